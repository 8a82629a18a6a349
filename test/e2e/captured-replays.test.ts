// Replays every request Claude Code really sent (shared captured fixtures, read at test time) to the
// gateway, with the mock's default handler as upstream: each gets a valid reply, and what goes upstream
// is clean (no billing header, no cache_control, strict:false tools without $schema).
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHarness, parseSse, type Harness } from './sdk-harness.ts';
import { BILLING_HEADER_PREFIX } from '../../src/translate/convert-messages.ts';
import { sharedFixture } from '../support/shared-fixtures.ts';

const DIR = sharedFixture('captured/claude-code') ?? '/nonexistent';

interface Capture { fixture?: string; method: string; url: string; headers: Record<string, string>; body: any }

const captures: Array<{ file: string; c: Capture }> = existsSync(DIR)
  ? readdirSync(DIR).filter((f) => f.endsWith('.json')).sort()
    .map((file) => ({ file, c: JSON.parse(readFileSync(join(DIR, file), 'utf8')) as Capture }))
    .filter(({ c }) => c.method === 'POST' && /^\/v1\/messages(\/count_tokens)?(\?|$)/.test(c.url))
  : [];

/** The client's own headers that matter here (auth replaced by the test key). */
function replayHeaders(c: Capture): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ['anthropic-version', 'anthropic-beta', 'x-app', 'user-agent']) if (c.headers[k]) out[k] = c.headers[k];
  return out;
}

/** Every key path in a JSON value, e.g. tools.0.parameters.$schema */
function hasKey(v: unknown, key: string): boolean {
  if (Array.isArray(v)) return v.some((x) => hasKey(x, key));
  if (v && typeof v === 'object') return Object.entries(v).some(([k, x]) => k === key || hasKey(x, key));
  return false;
}

describe('captured Claude Code requests replayed through the gateway', { skip: captures.length === 0 ? `no captures in ${DIR}` : false }, () => {
  let h: Harness;
  before(async () => { h = await startHarness(); });
  after(async () => { await h.close(); });

  for (const { file, c } of captures) {
    const isCount = c.url.includes('count_tokens');
    test(`${file} (${c.body?.model}, ${isCount ? 'count_tokens' : c.body?.stream ? 'stream' : 'non-streaming'})`, async () => {
      const before = h.mock.requestCount;
      const r = await h.post(c.url, c.body, replayHeaders(c));
      assert.equal(r.status, 200, `HTTP ${r.status}: ${r.text.slice(0, 400)}`);

      if (isCount) {
        assert.ok(Number.isInteger(r.json.input_tokens) && r.json.input_tokens > 0, r.text);
        assert.equal(h.mock.requestCount, before, 'count_tokens does not call the upstream');
        return;
      }

      assert.equal(h.mock.requestCount, before + 1);
      if (c.body.stream) {
        assert.match(r.headers.get('content-type') ?? '', /text\/event-stream/);
        const events = parseSse(r.text).filter((e) => e.event !== 'ping');
        const types = events.map((e) => e.event);
        assert.equal(types[0], 'message_start');
        assert.equal(types.at(-1), 'message_stop');
        assert.ok(!types.includes('error'), r.text.slice(-400));
        assert.equal(events[0].data.message.model, c.body.model);
        const md = events.find((e) => e.event === 'message_delta')!;
        assert.ok(['end_turn', 'tool_use'].includes(md.data.delta.stop_reason));
        assert.ok(md.data.usage.input_tokens + md.data.usage.cache_read_input_tokens > 0);
        // every block opened is closed, indexes in order
        const starts = events.filter((e) => e.event === 'content_block_start').map((e) => e.data.index);
        const stops = events.filter((e) => e.event === 'content_block_stop').map((e) => e.data.index);
        assert.deepEqual(starts, starts.map((_, i) => i));
        assert.deepEqual(stops, starts);
        if (c.body.output_config?.format?.type === 'json_schema') {
          const textOut = events.filter((e) => e.event === 'content_block_delta' && e.data.delta.type === 'text_delta').map((e) => e.data.delta.text).join('');
          assert.equal(typeof JSON.parse(textOut), 'object', 'a json_schema request gets JSON text');
        }
      } else {
        assert.equal(r.json.type, 'message');
        assert.equal(r.json.model, c.body.model);
        assert.ok(r.json.content.length > 0);
      }

      const up = h.lastUpstream().body;
      const text = JSON.stringify(up);
      assert.ok(!text.includes(BILLING_HEADER_PREFIX), 'no billing header upstream');
      assert.ok(!hasKey(up, 'cache_control'), 'no cache_control upstream');
      assert.ok(!hasKey(up, '$schema'), 'no $schema upstream');
      for (const k of ['metadata', 'context_management', 'output_config', 'thinking', 'max_tokens', 'system', 'messages']) assert.ok(!(k in up), `${k} not sent upstream`);
      assert.equal(up.stream, true);
      assert.equal(up.store, false);
      const clientTools = (c.body.tools ?? []).filter((t: { type?: string }) => !t.type || t.type === 'custom');
      assert.equal(up.tools.length, clientTools.length);
      for (const t of up.tools) {
        assert.equal(t.type, 'function');
        assert.equal(t.strict, false);
        assert.match(t.name, /^[a-zA-Z0-9_-]{1,64}$/);
      }
      if (c.body.metadata?.user_id) assert.match(up.prompt_cache_key, /^[0-9a-f-]{36}$/);
    });
  }
});
