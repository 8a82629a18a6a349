// Replays the project's own recordings of Claude Code 2.1.332 (test/fixtures/captured/claude-code-2.1.332,
// written by claude-code-2.1.332.test.ts with PACKYBRIDGE_RECORD_FIXTURES=1) through a fresh gateway and the
// mock's default handler, streamed and not: auto mode's safeguard_results come back on every reply (a verdict
// per tool call), safeguards never go upstream, and the model list Claude Code discovered is answered again.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHarness, parseSse, rawRequest, CLIENT_KEY, type Harness } from './sdk-harness.ts';
import { FIXTURE_DIR_2_1_332, type ClaudeCodeFixture } from '../support/claude-code-fixtures.ts';

const fixtures: ClaudeCodeFixture[] = readdirSync(FIXTURE_DIR_2_1_332).filter((f) => f.endsWith('.json')).sort()
  .map((f) => JSON.parse(readFileSync(join(FIXTURE_DIR_2_1_332, f), 'utf8')) as ClaudeCodeFixture);

function replayHeaders(f: ClaudeCodeFixture): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ['anthropic-version', 'anthropic-beta', 'x-app', 'user-agent']) if (f.headers[k]) out[k] = f.headers[k];
  return out;
}

describe('Claude Code 2.1.332 recordings replayed through the gateway', () => {
  let h: Harness;
  before(async () => { h = await startHarness(); });
  after(async () => { await h.close(); });

  test('the recordings are there, from 2.1.332, keys masked, without Claude Code\'s prompt texts', () => {
    assert.ok(fixtures.length >= 5);
    for (const f of fixtures) {
      assert.match(f.client, /^claude-(cli|code)\/2\.1\.332\b/, f.id);
      assert.equal(f.headers['x-api-key'], '<REDACTED>', f.id);
      for (const s of f.body?.system ?? []) assert.match(s.text, /^<system prompt: \d+ characters>$/, f.id);
      for (const t of f.body?.tools ?? []) if (t.description !== undefined) assert.match(t.description, /^<tool description: \d+ characters>$/, `${f.id} ${t.name}`);
    }
  });

  for (const f of fixtures.filter((x) => x.method === 'POST' && x.url.startsWith('/v1/messages?'))) {
    for (const stream of [true, false]) {
      test(`${f.id} (${f.note}), stream=${stream}`, async () => {
        const r = await h.post(f.url, { ...f.body, stream }, replayHeaders(f));
        assert.equal(r.status, 200, r.text.slice(0, 300));
        const upstream = h.lastUpstream();
        assert.equal('safeguards' in upstream.body, false, 'safeguards are not sent upstream');
        const asked = Array.isArray(f.body.safeguards);
        let results: any;
        let toolUseIds: string[];
        if (stream) {
          const events = parseSse(r.text);
          results = events.find((e) => e.event === 'message_delta')?.data.delta.safeguard_results;
          toolUseIds = events.filter((e) => e.event === 'content_block_start' && e.data.content_block.type === 'tool_use').map((e) => e.data.content_block.id);
        } else {
          results = r.json.safeguard_results;
          toolUseIds = r.json.content.filter((b: any) => b.type === 'tool_use').map((b: any) => b.id);
        }
        if (!asked) { assert.equal(results, undefined); return; }
        assert.equal(results.length, 1);
        assert.equal(results[0].type, 'dangerous_tool_use');
        assert.equal(results[0].status.type, 'available');
        assert.deepEqual(Object.keys(results[0].status.tool_uses).sort(), [...toolUseIds].sort(), 'a verdict for each tool call of the reply');
        for (const v of Object.values(results[0].status.tool_uses)) assert.deepEqual(v, { type: 'unavailable', reason: 'not_judged_as_run' });
      });
    }
  }

  for (const f of fixtures.filter((x) => x.method === 'GET')) {
    test(`${f.id}: ${f.url} answered as when recorded`, async () => {
      const r = await rawRequest(`${h.gw.url}${f.url}`, 'GET', undefined, { ...replayHeaders(f), 'x-api-key': CLIENT_KEY });
      assert.equal(r.status, 200);
      const ids = (j: any) => (j.data as Array<{ id: string }>).map((m) => m.id).filter((id) => /claude|anthropic/i.test(id));
      assert.deepEqual(ids(r.json), ids(JSON.parse(f.reply)));
    });
  }
});
