// The saturation queue (limits.saturation-queue-at, src/server/admission.ts) in a real gateway process: bursts
// of concurrent streaming requests of Claude Code's size over keep-alive connections saturate its event loop,
// connections are parked between requests (counted in /metrics), and every request is still answered in full,
// exactly once upstream, with nothing left waiting afterwards.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.ts';
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.ts';
import { longText } from '../support/response-scenarios.ts';
import { packycodeYaml } from '../support/gateway.ts';

const DELTAS = 120;
const CONNECTIONS = 40;

let mock: MockUpstream;
let dir: string;
let gw: GatewayProcess;
let expected: string;

before(async () => {
  mock = await startMockUpstream({ handler: () => longText(DELTAS), maxRecorded: 0 });
  // the text longText(DELTAS) streams, as its deltas joined
  const scenario = longText(DELTAS);
  assert.equal(scenario.kind, 'events');
  expected = scenario.kind === 'events' ? scenario.events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta).join('') : '';
  assert.ok(expected.length > 100, 'the scenario streams text deltas');
  dir = mkdtempSync(join(tmpdir(), 'pb-saturation-'));
  const config = join(dir, 'config.yaml');
  writeFileSync(config, `${packycodeYaml(mock.url)}\nlimits: { saturation-queue-at: 2 }\n`);
  gw = await startGatewayProcess(config);
});

after(async () => {
  await gw?.stop();
  await mock.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A Claude Code-sized request (~60 KB), different for every call. */
function body(i: number): string {
  return JSON.stringify({
    model: 'gpt-5-codex', max_tokens: 1024, stream: true,
    system: [{ type: 'text', text: `request ${i}: ${'You are a careful assistant. '.repeat(1200)}` }],
    messages: [{ role: 'user', content: `${i}: ${'const value = compute(input);\n'.repeat(800)}What does this do?` }],
  });
}

/** The text a client assembles from an Anthropic event stream. */
function textOf(sse: string): string {
  let out = '';
  for (const frame of sse.split('\n\n')) {
    const at = frame.indexOf('data: ');
    if (at < 0) continue;
    const ev = JSON.parse(frame.slice(at + 6)) as { type: string; delta?: { type: string; text?: string } };
    if (ev.type === 'content_block_delta' && ev.delta?.type === 'text_delta') out += ev.delta.text;
  }
  return out;
}

async function parkedTotal(): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  const m = /^packybridge_parked_connections_total (\d+)/m.exec(text);
  assert.ok(m, 'the parked connections counter is in /metrics');
  return Number(m[1]);
}

test('bursts that saturate the loop park connections between requests; every request is answered in full, once', { timeout: 120_000 }, async () => {
  const pool = new Pool(gw.url, { connections: CONNECTIONS, pipelining: 1 });
  let sent = 0;
  const before = mock.requestCount;
  try {
    let parked = 0;
    for (let burst = 0; burst < 30 && parked === 0; burst++) {
      const replies = await Promise.all(Array.from({ length: CONNECTIONS * 2 }, async () => {
        const i = sent++;
        const res = await pool.request({
          path: '/v1/messages', method: 'POST', body: body(i),
          headers: { 'content-type': 'application/json', 'x-api-key': 'test-client-key', 'anthropic-version': '2023-06-01' },
        });
        return { status: res.statusCode, text: await res.body.text() };
      }));
      for (const r of replies) {
        assert.equal(r.status, 200);
        assert.equal(textOf(r.text), expected, 'a reply arrived whole');
        assert.match(r.text, /event: message_stop/);
      }
      parked = await parkedTotal();
    }
    assert.ok(parked > 0, `no connection was parked in ${sent} requests`);
    // every request reached the upstream exactly once
    assert.equal(mock.requestCount - before, sent);
    // nothing is left waiting: a request on every connection is answered at once
    const t0 = Date.now();
    const last = await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
      const res = await pool.request({
        path: '/v1/messages', method: 'POST', body: body(sent++),
        headers: { 'content-type': 'application/json', 'x-api-key': 'test-client-key', 'anthropic-version': '2023-06-01' },
      });
      return textOf(await res.body.text());
    }));
    assert.ok(last.every((t) => t === expected));
    assert.ok(Date.now() - t0 < 20_000, `the last round took ${Date.now() - t0} ms`);
  } finally {
    await pool.close();
  }
});
