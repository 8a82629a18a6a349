// GET /metrics after real traffic: requests by route, model and status; upstream latency and time-to-first-byte
// histograms; upstream errors by kind; tokens in and out; in-flight streams back to zero.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, userRequest, type Harness } from './sdk-harness.ts';
import { httpError, text } from '../support/response-scenarios.ts';
import { relayTuning } from '../../src/relay/relay.ts';

let h: Harness;
const saved = relayTuning.retry;
before(async () => { relayTuning.retry = { delaysMs: [], maxRetryAfterMs: 0 }; h = await startHarness(); });
after(async () => { relayTuning.retry = saved; await h.close(); });

function sample(metrics: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of metrics.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

test('metrics reflect requests, latency, tokens and upstream errors', async () => {
  h.mock.enqueue(text('one two three', { usage: { input_tokens: 40, output_tokens: 7 } } as never), httpError(500));
  const ok = await h.post('/v1/messages', userRequest('hello', { stream: true, model: 'gpt-5-codex' }));
  assert.equal(ok.status, 200);
  const bad = await h.post('/v1/messages', userRequest('hello', { model: 'gpt-5-codex' }));
  assert.equal(bad.status, 500);
  const counted = await h.post('/v1/messages/count_tokens', userRequest('count me'));
  assert.equal(counted.status, 200);

  const r = await fetch(`${h.gw.url}/metrics`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /text\/plain/);
  const m = await r.text();
  assert.equal(sample(m, 'packybridge_requests_total', { route: '/v1/messages', model: 'gpt-5-codex', status: '200' }), 1);
  assert.equal(sample(m, 'packybridge_requests_total', { route: '/v1/messages', model: 'gpt-5-codex', status: '500' }), 1);
  assert.equal(sample(m, 'packybridge_requests_total', { route: '/v1/messages/count_tokens', status: '200' }), 1);
  assert.equal(sample(m, 'packybridge_upstream_ttfb_seconds_count', { model: 'gpt-5-codex' }), 1);
  assert.equal(sample(m, 'packybridge_upstream_duration_seconds_count', { model: 'gpt-5-codex' }), 1);
  assert.equal(sample(m, 'packybridge_upstream_errors_total', { kind: 'http' }), 1);
  assert.ok((sample(m, 'packybridge_tokens_total', { direction: 'in', model: 'gpt-5-codex' }) ?? 0) > 0);
  assert.ok((sample(m, 'packybridge_tokens_total', { direction: 'out', model: 'gpt-5-codex' }) ?? 0) > 0);
  assert.equal(sample(m, 'packybridge_inflight_streams'), 0);
  assert.ok(sample(m, 'packybridge_process_resident_memory_bytes') !== undefined, 'process metrics are exported too');
});
