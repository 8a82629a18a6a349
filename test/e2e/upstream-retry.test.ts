// The gateway retries a Packycode blip before the first byte itself, then tells the client not to retry.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { startHarness, userRequest, type Harness } from './sdk-harness.ts';
import { httpError, text } from '../support/response-scenarios.ts';
import { relayTuning } from '../../src/relay/relay.ts';
import { startTestGateway } from '../support/gateway.ts';

let h: Harness;
const saved = relayTuning.retry;
before(async () => {
  relayTuning.retry = { delaysMs: [20, 40], maxRetryAfterMs: 1500 };
  h = await startHarness();
});
after(async () => { relayTuning.retry = saved; await h.close(); });
beforeEach(() => { h.mock.reset(); h.gw.runtime.forgetUpstreamHealth(); }); // each case starts with no key resting

for (const stream of [false, true]) {
  test(`a 503 then success: the client gets the answer (stream=${stream})`, async () => {
    h.mock.enqueue(httpError(503), text('after the blip'));
    const r = await h.post('/v1/messages', userRequest('hello', { stream }));
    assert.equal(r.status, 200);
    assert.match(r.text, /after/);
    assert.equal(h.mock.requests.length, 2, 'the upstream saw the failure and the retry');
  });
}

test('a 429 that persists: 429 to the client after three tries, retry-after passed on, x-should-retry false', async () => {
  const limited = () => httpError(429, undefined, { 'retry-after': '1' });
  h.mock.enqueue(limited(), limited(), limited());
  const started = Date.now();
  const r = await h.post('/v1/messages', userRequest('hello'));
  assert.equal(r.status, 429);
  assert.equal(r.json.error.type, 'rate_limit_error');
  assert.equal(r.headers.get('retry-after'), '1');
  assert.equal(r.headers.get('x-should-retry'), 'false');
  assert.match(r.json.error.message, /tried 3 times/);
  assert.equal(h.mock.requests.length, 3);
  assert.ok(Date.now() - started >= 2000, 'each retry waited the upstream\'s retry-after (1 s)');
});

test('a 429 whose retry-after is long is not waited for', async () => {
  h.mock.enqueue(httpError(429, undefined, { 'retry-after': '30' }));
  const r = await h.post('/v1/messages', userRequest('hello'));
  assert.equal(r.status, 429);
  assert.equal(r.headers.get('retry-after'), '30');
  assert.equal(r.headers.get('x-should-retry'), 'false');
  assert.equal(h.mock.requests.length, 1);
});

test('a 400 is never retried', async () => {
  h.mock.enqueue(httpError(400));
  const r = await h.post('/v1/messages', userRequest('hello'));
  assert.equal(r.status, 400);
  assert.equal(h.mock.requests.length, 1);
});

test('an unreachable upstream: three connection attempts, then a 502 naming the URL', async () => {
  const srv = createServer();
  await new Promise<void>((res) => srv.listen(0, '127.0.0.1', res));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((res) => srv.close(() => res()));
  const gw = await startTestGateway([
    'packycode:', '  enabled: true', `  base-url: http://127.0.0.1:${port}/v1`,
    '  credentials:', '    openai-api-key: sk-test-unreachable-0000',
  ].join('\n'));
  try {
    const r = await fetch(`${gw.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(userRequest('hello')) });
    const body = await r.json() as any;
    assert.equal(r.status, 502);
    assert.match(body.error.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
    assert.match(body.error.message, /tried 3 times/);
    assert.equal(r.headers.get('x-should-retry'), 'false');
  } finally {
    await gw.stop();
  }
});
