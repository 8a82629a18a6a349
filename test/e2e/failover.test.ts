// Failover end to end: a real gateway, the mock Responses upstream as Packycode, mock Anthropic fallbacks.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, packycodeYaml, type TestGateway } from '../support/gateway.ts';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.ts';
import { httpError, failed, text } from '../support/response-scenarios.ts';
import { startMockAnthropic, type MockAnthropic } from '../support/mock-anthropic.ts';
import { closeUpstreamPools } from '../../src/upstream/pool.ts';
import { relayTuning } from '../../src/relay/relay.ts';

const FB_KEY = 'sk-ant-e2e-fallback-7777';
let packy: MockUpstream;
let fb: MockAnthropic;
let gw: TestGateway;
let noPacky: TestGateway;

const fallbacksYaml = (url: string, models = '[]') => [
  'fallbacks:',
  '  - name: anthropic',
  `    base-url: ${url}`,
  `    api-key: ${FB_KEY}`,
  `    models: ${models}`,
].join('\n');

const savedRetry = relayTuning.retry;
before(async () => {
  relayTuning.retry = { delaysMs: [], maxRetryAfterMs: 0 }; // one Packycode failure goes straight to the fallback
  packy = await startMockUpstream();
  fb = await startMockAnthropic({ apiKey: FB_KEY });
  gw = await startTestGateway(packycodeYaml(packy.url, fallbacksYaml(fb.url, '[claude-*]')));
  noPacky = await startTestGateway(['api-keys:', '  - test-client-key', fallbacksYaml(fb.url, '[claude-*]')].join('\n'));
});
after(async () => {
  relayTuning.retry = savedRetry;
  await gw.stop();
  await noPacky.stop();
  await packy.close();
  await fb.close();
  await closeUpstreamPools();
});
beforeEach(() => { packy.reset(); fb.reset(); gw.runtime.forgetUpstreamHealth(); noPacky.runtime.forgetUpstreamHealth(); });

function post(g: TestGateway, body: unknown): Promise<Response> {
  return fetch(`${g.url}/v1/messages?beta=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'test-client-key', 'anthropic-version': '2023-06-01', 'anthropic-beta': 'b1' },
    body: JSON.stringify(body),
  });
}
const req = (over: Record<string, unknown> = {}) => ({ model: 'claude-opus-4-8', max_tokens: 100, messages: [{ role: 'user', content: 'hello' }], stream: true, ...over });

test('Packycode 503: the fallback serves the stream, body passed through unchanged', async () => {
  packy.enqueue(httpError(503));
  const body = req({ context_management: { edits: [] } });
  const res = await post(gw, body);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-packybridge-fallback'), 'anthropic');
  assert.match(await res.text(), /event: message_stop/);
  assert.deepEqual(fb.requests[0].body, body);
  assert.equal(fb.requests[0].headers['x-api-key'], FB_KEY);
  assert.ok(gw.logLines.some((l) => l.includes('"via":"fallback:anthropic"')));
});

test('Packycode response.failed (server_error) before any output: failover, non-streaming too', async () => {
  packy.enqueue(failed('server_error', 'boom'));
  const res = await post(gw, req({ stream: false }));
  assert.equal(res.status, 200);
  const msg = await res.json() as { type: string };
  assert.equal(msg.type, 'message');
  assert.equal(fb.requests.length, 1);
});

test('Packycode response.failed before any output, streaming: failover, the pings never start our own reply', async () => {
  packy.enqueue(failed('server_error', 'boom'));
  const res = await post(gw, req());
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-packybridge-fallback'), 'anthropic');
  const t = await res.text();
  assert.match(t, /^event: message_start/);
  assert.equal((t.match(/event: message_start/g) ?? []).length, 1);
});

test('Packycode 400: no failover, the client gets the error', async () => {
  packy.enqueue(httpError(400));
  const res = await post(gw, req());
  assert.equal(res.status, 400);
  await res.text();
  assert.equal(fb.requests.length, 0);
});

test('a model no fallback serves: Packycode\'s error as before', async () => {
  packy.enqueue(httpError(503));
  const res = await post(gw, req({ model: 'gpt-5-codex' }));
  assert.equal(res.status, 529);
  await res.text();
  assert.equal(fb.requests.length, 0);
});

test('Packycode 503 and the fallback 529: Packycode\'s status, a message naming both', async () => {
  packy.enqueue(httpError(503));
  fb.enqueue({ kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' });
  const res = await post(gw, req());
  assert.equal(res.status, 529);
  const j = await res.json() as { error: { message: string } };
  assert.match(j.error.message, /Packycode is overloaded.*Failover also failed: fallback "anthropic": .*HTTP 529/);
});

test('Packycode succeeds: no fallback involved', async () => {
  packy.enqueue(text('from packycode'));
  const res = await post(gw, req());
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-packybridge-fallback'), null);
  assert.match(await res.text(), /"text":"packycode"/);
  assert.equal(fb.requests.length, 0);
});

test('Packycode not configured: the fallback serves; a model it does not serve gets the 503 explanation', async () => {
  const res = await post(noPacky, req());
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-packybridge-fallback'), 'anthropic');
  await res.text();
  const res2 = await post(noPacky, req({ model: 'gpt-5' }));
  assert.equal(res2.status, 503);
  assert.equal(res2.headers.get('x-should-retry'), 'false');
  const j = await res2.json() as { error: { message: string } };
  assert.match(j.error.message, /Packycode/);
});

test('Packycode unreachable: connect error fails over', async () => {
  const g = await startTestGateway(packycodeYaml('http://127.0.0.1:1/v1', fallbacksYaml(fb.url)));
  try {
    const res = await post(g, req());
    assert.equal(res.status, 200);
    assert.match(await res.text(), /message_stop/);
  } finally {
    await g.stop();
  }
});
