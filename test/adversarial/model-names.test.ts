// Memory exhaustion through the `model` name (issue 8, item 3). The probe: every distinct model name became a
// Prometheus series that was never dropped (20,000 names, 20,000 series), 1 MB names were logged in full and
// kept RSS up for good, /metrics grew to 65 MB. Now labels keep only known names (and Claude families, and
// "other"), absurd names are refused with 400 before anything else sees them, and nothing logs them in full.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startHarness, CLIENT_KEY, type Harness } from '../e2e/sdk-harness.ts';
import { send, isAnthropicError, keepAlive } from './edge-client.ts';
import { capForLog, sanitizeLogFields } from '../../src/observability/logger.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { keepAlive.destroy(); await h.close(); });

const HEADERS = { 'content-type': 'application/json', 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01' };
const body = (model: string) => JSON.stringify({ model, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });

async function metricsText(): Promise<string> {
  const r = await fetch(`${h.gw.url}/metrics`);
  assert.equal(r.status, 200);
  return r.text();
}

function seriesOf(text: string, name: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(`${name}{`));
}

test('20,000 distinct model names make a bounded number of series; /metrics stays small', async () => {
  const N = 20_000;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < N) {
      const i = next++;
      // count_tokens never calls the upstream, so the 20,000 requests stay quick; a few go through the relay
      const path = i % 500 === 0 ? '/v1/messages' : '/v1/messages/count_tokens';
      const model = i % 3 === 0 ? `claude-made-up-${i}` : i % 3 === 1 ? `gpt-5-probe-${i}` : `probe-${i}-${'x'.repeat(i % 200)}`;
      const r = await send(`${h.gw.url}${path}`, 'POST', HEADERS, body(model), keepAlive);
      assert.equal(r.status, 200, r.text);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  const text = await metricsText();
  const requests = seriesOf(text, 'packybridge_requests_total');
  assert.ok(requests.length > 0);
  assert.ok(requests.length <= 12, `requests_total has ${requests.length} series:\n${requests.join('\n')}`);
  for (const line of requests) assert.match(line, /model="(other|unknown|gpt-5-codex|claude-(opus|sonnet|haiku))"/, line);
  // the relayed ones (gpt-5-probe-* passes through upstream unchanged) are bounded in the upstream metrics too
  for (const name of ['packybridge_upstream_duration_seconds_count', 'packybridge_tokens_total']) {
    const series = seriesOf(text, name);
    assert.ok(series.length <= 8, `${name} has ${series.length} series`);
    assert.ok(!series.some((l) => /probe-/.test(l)), `${name} names a client's model: ${series.join('\n')}`);
  }
  assert.ok(text.length < 100_000, `/metrics is ${text.length} bytes`);
});

test('known names keep their own series: the catalog, Claude families and configured names', async () => {
  for (const model of ['gpt-5-codex-high', 'claude-sonnet-4-5-20250929', 'claude-opus-4-8', 'haiku']) {
    const r = await send(`${h.gw.url}/v1/messages/count_tokens`, 'POST', HEADERS, body(model));
    assert.equal(r.status, 200, r.text);
  }
  const text = await metricsText();
  for (const label of ['gpt-5-codex-high', 'claude-sonnet', 'claude-opus', 'claude-haiku']) {
    assert.ok(seriesOf(text, 'packybridge_requests_total').some((l) => l.includes(`model="${label}"`)), label);
  }
});

test('a 1 MB model name is refused with 400 on both routes, never echoed, never logged in full, and its memory returns', async () => {
  const huge = `gpt-${'m'.repeat(1024 * 1024)}`;
  const upstreamBefore = h.mock.requestCount;
  const warm = await send(`${h.gw.url}/v1/messages`, 'POST', HEADERS, body(huge));
  assert.equal(isAnthropicError(warm, 400, 'invalid_request_error'), undefined);
  gc(); gc();
  const heapBefore = process.memoryUsage().heapUsed;
  for (let i = 0; i < 60; i++) {
    const path = i % 2 ? '/v1/messages' : '/v1/messages/count_tokens';
    const r = await send(`${h.gw.url}${path}`, 'POST', HEADERS, body(`${huge}${i}`));
    assert.equal(isAnthropicError(r, 400, 'invalid_request_error'), undefined, path);
    assert.match(r.json.error.message, /^model: is 1048\d+ characters long; a model name has at most 256/);
    assert.ok(r.text.length < 1000, `the reply is ${r.text.length} bytes`);
  }
  gc(); gc();
  const grown = process.memoryUsage().heapUsed - heapBefore;
  assert.ok(grown < 40 * 1024 * 1024, `heap grew by ${Math.round(grown / 1e6)} MB after 60 refused 1 MB names`);
  assert.equal(h.mock.requestCount, upstreamBefore, 'nothing reached the upstream');
  const longest = Math.max(...h.gw.logLines.map((l) => l.length));
  assert.ok(longest < 4096, `a log line of ${longest} characters`);
  assert.ok(!h.gw.logLines.some((l) => l.includes('mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm')));
  assert.ok((await metricsText()).length < 100_000);
});

test('control characters in a model name: 400, upstream untouched', async () => {
  const before = h.mock.requestCount;
  for (const model of ['gpt-5\u0000', 'gpt-5\r\nx-injected: 1', 'gpt\u001b[31m', 'gpt-5\u202e']) {
    const r = await send(`${h.gw.url}/v1/messages`, 'POST', HEADERS, body(model));
    assert.equal(isAnthropicError(r, 400, 'invalid_request_error'), undefined, JSON.stringify(model));
    assert.match(r.json.error.message, /non-printable/);
  }
  assert.equal(h.mock.requestCount, before);
});

test('the log helpers: one cap for client strings, and every field of a line capped by the production logger', () => {
  assert.equal(capForLog('gpt-5'), 'gpt-5');
  assert.equal(capForLog(undefined), undefined);
  const capped = capForLog('u'.repeat(10_000));
  assert.ok(capped.length < 300 && capped.endsWith('…[10000 chars]'), capped.slice(-30));
  const line = sanitizeLogFields({ ua: 'a'.repeat(50_000), nested: { sessionId: 's'.repeat(50_000), n: 1 }, status: 400 });
  assert.ok(JSON.stringify(line).length < 5000);
  assert.equal(line.status, 400);
  assert.equal((line.nested as { n: number }).n, 1);
});
