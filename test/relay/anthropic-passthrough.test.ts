// Anthropic-compatible candidates (fallbacks) through the one relay loop: bytes through unchanged, failover
// before the first byte, counting, and an operator-readable error when every one fails. A real gateway on
// 127.0.0.1 with Packycode not configured (or a mock Packycode), mock Anthropic upstreams behind it.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeUpstreamPools } from '../../src/upstream/pool.ts';
import { leadingStreamError } from '../../src/relay/anthropic-passthrough.ts';
import type { RequestRecord } from '../../src/accounting/request-record.ts';
import { startTestGateway, packycodeYaml, type TestGateway } from '../support/gateway.ts';
import { anthropicSseFrames, startMockAnthropic } from '../support/mock-anthropic.ts';
import type { MockAnthropic } from '../support/mock-anthropic.ts';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.ts';
import { httpError } from '../support/response-scenarios.ts';

const KEY_A = 'sk-ant-fallback-a-1111';
const KEY_B = 'sk-ant-fallback-b-2222';
const CLIENT_KEY = 'client-key-must-not-travel';
const PROMPT = 'a secret prompt that must never be logged';

interface Fb { name: string; url: string; key: string; models?: string[] }

let a: MockAnthropic;
let b: MockAnthropic;
let packy: MockUpstream;
let gw: TestGateway;
let records: RequestRecord[];

function fallbacksYaml(list: Fb[], extra = ''): string {
  const lines = [`api-keys: [${CLIENT_KEY}]`, 'timeouts:', '  connect-ms: 2000', '  first-byte-ms: 400', '  idle-ms: 2000', 'fallbacks:'];
  for (const f of list) {
    lines.push(`  - name: ${f.name}`, `    base-url: ${f.url}`, `    api-key: ${f.key}`, `    models: [${(f.models ?? []).join(', ')}]`);
  }
  return lines.join('\n') + (extra ? `\n${extra}` : '');
}

async function gateway(yaml: string): Promise<TestGateway> {
  const g = await startTestGateway(yaml);
  g.runtime.observers.push({ record: (r) => records.push(r) });
  return g;
}

/** Runs `fn` against a gateway of its own (for a fallback list other than the default alpha, beta). */
async function withGateway(yaml: string, fn: (g: TestGateway) => Promise<void>): Promise<void> {
  const g = await gateway(yaml);
  try { await fn(g); } finally { await g.stop(); }
}

before(async () => {
  a = await startMockAnthropic({ apiKey: KEY_A });
  b = await startMockAnthropic({ apiKey: KEY_B });
  packy = await startMockUpstream();
  records = [];
  gw = await gateway(fallbacksYaml([{ name: 'alpha', url: a.url, key: KEY_A }, { name: 'beta', url: b.url, key: KEY_B }]));
});

after(async () => {
  await gw.stop();
  await a.close();
  await b.close();
  await packy.close();
  await closeUpstreamPools();
});

beforeEach(() => {
  a.reset();
  b.reset();
  packy.reset();
  records.length = 0;
  gw.logLines.length = 0;
  gw.runtime.forgetUpstreamHealth();
});

const body = (over: Record<string, unknown> = {}) => ({
  model: 'claude-opus-4-8',
  max_tokens: 512,
  messages: [{ role: 'user', content: [{ type: 'text', text: PROMPT }] }],
  stream: true,
  ...over,
});

function post(g: TestGateway, payload: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(`${g.url}/v1/messages`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-api-key': CLIENT_KEY,
      'anthropic-version': '2023-06-01',
      'anthropic-beta': 'fine-grained-tool-streaming-2025-05-14',
    },
    body: JSON.stringify(payload),
    signal,
  });
}

/** The accounting record of the one request just made (emitted after the reply ended). */
async function record(): Promise<RequestRecord> {
  for (let i = 0; i < 200 && records.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(records.length, 1, 'one record per client request');
  return records[0];
}

test('a stream is relayed byte for byte, with our request id and the fallback named; usage recorded', async () => {
  const sse = anthropicSseFrames('Exactly these bytes.', 'claude-opus-4-8').join('');
  a.enqueue({ kind: 'raw', status: 200, contentType: 'text/event-stream; charset=utf-8', body: sse });
  const res = await post(gw, body());
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  assert.equal(res.headers.get('x-packybridge-fallback'), 'alpha');
  assert.match(res.headers.get('request-id') ?? '', /^req_/);
  assert.equal(await res.text(), sse);
  const r = await record();
  assert.equal(r.provider, 'alpha');
  assert.equal(r.status, 200);
  assert.equal(r.route, 'messages');
  assert.equal(r.client, 'anonymous');
  assert.equal(r.modelAsked, 'claude-opus-4-8');
  assert.equal(r.stream, true);
  assert.deepEqual([r.inputTokens, r.cachedInputTokens, r.outputTokens], [11, 3, 7]);
  assert.equal(r.errorKind, undefined);
  assert.equal(b.requests.length, 0);
});

test('the body goes out unchanged with the fallback key; the client key never travels', async () => {
  const payload = body({ some_new_field: { nested: [1, 2, 3] }, metadata: { user_id: 'u1' } });
  const res = await post(gw, payload);
  await res.text();
  const [req] = a.requests;
  assert.deepEqual(req.body, payload);
  assert.equal(req.headers['x-api-key'], KEY_A);
  assert.equal(req.headers['anthropic-version'], '2023-06-01');
  assert.equal(req.headers['anthropic-beta'], 'fine-grained-tool-streaming-2025-05-14');
  assert.equal(req.headers.authorization, undefined);
  assert.ok(!JSON.stringify(req.headers).includes(CLIENT_KEY));
});

test('a non-streaming request gets the whole Message as JSON; usage is read from it', async () => {
  const res = await post(gw, body({ stream: false }));
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  const msg = await res.json() as { type: string; content: Array<{ text: string }> };
  assert.equal(msg.type, 'message');
  assert.equal(msg.content[0].text, 'Hello from the mock fallback.');
  const r = await record();
  assert.equal(r.outputTokens, 7);
  assert.equal(r.stream, false);
});

test('counts every move to a fallback: counters.failovers and the failovers metric by target', async () => {
  const before = gw.runtime.counters.failovers;
  await (await post(gw, body())).text();
  assert.equal(gw.runtime.counters.failovers, before + 1);
  const metric = await gw.runtime.metrics.failovers.get();
  const alpha = metric.values.find((v) => v.labels.to === 'alpha');
  assert.ok(alpha && alpha.value >= 1);
});

test('first fallback overloaded (529), the second serves; the failure is counted as an upstream error', async () => {
  a.enqueue({ kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' });
  const errorsBefore = gw.runtime.counters.upstreamErrors;
  const failoversBefore = gw.runtime.counters.failovers;
  const res = await post(gw, body());
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-packybridge-fallback'), 'beta');
  assert.match(await res.text(), /event: message_stop/);
  assert.equal((await record()).provider, 'beta');
  assert.equal(a.requests.length, 1);
  assert.equal(gw.runtime.counters.upstreamErrors, errorsBefore + 1);
  assert.equal(gw.runtime.counters.failovers, failoversBefore + 2);
  const errs = await gw.runtime.metrics.upstreamErrors.get();
  assert.ok(errs.values.some((v) => v.labels.kind === 'fallback-http'));
});

test('a 200 stream whose first event is an overloaded error moves on to the next fallback', async () => {
  a.enqueue({ kind: 'sse-error', type: 'overloaded_error', message: 'Overloaded' });
  const res = await post(gw, body());
  const text = await res.text();
  assert.equal(res.headers.get('x-packybridge-fallback'), 'beta');
  assert.doesNotMatch(text, /overloaded_error/);
  assert.match(text, /^event: message_start/);
  assert.ok(gw.logLines.some((l) => l.includes('"provider":"alpha"') && l.includes('"status":529') && l.includes('"code":"overloaded_error"')));
});

test('a first event split across chunks is still held back whole before committing', async () => {
  a.enqueue({ kind: 'sse', firstChunkSplit: true });
  const res = await post(gw, body());
  assert.match(await res.text(), /^event: message_start\ndata: \{"type":"message_start"/);
  assert.equal((await record()).provider, 'alpha');
});

test('a connect failure and a first-byte timeout move on; the next fallback serves', async () => {
  a.enqueue({ kind: 'hang' });
  await withGateway(fallbacksYaml([
    { name: 'dead', url: 'http://127.0.0.1:1', key: 'sk-dead-0000' },
    { name: 'alpha', url: a.url, key: KEY_A },
    { name: 'beta', url: b.url, key: KEY_B },
  ]), async (g) => {
    const res = await post(g, body());
    assert.equal(res.status, 200);
    await res.text();
    assert.equal((await record()).provider, 'beta');
    const failed = g.logLines.filter((l) => l.includes('upstream attempt failed'));
    assert.ok(failed.some((l) => l.includes('"provider":"dead"') && l.includes('"kind":"connect"')), failed.join('\n'));
    assert.ok(failed.some((l) => l.includes('"provider":"alpha"') && l.includes('"kind":"timeout"')), failed.join('\n'));
  });
});

test('a request error (400) from the fallback is passed to the client as is; no further fallback is tried', async () => {
  a.enqueue({ kind: 'error', status: 400, type: 'invalid_request_error', message: 'prompt is too long: 300000 tokens > 200000 maximum', headers: { 'x-should-retry': 'false' } });
  const res = await post(gw, body());
  assert.equal(res.status, 400);
  assert.equal(res.headers.get('x-should-retry'), 'false');
  const json = await res.json() as { error: { type: string; message: string } };
  assert.deepEqual(json.error, { type: 'invalid_request_error', message: 'prompt is too long: 300000 tokens > 200000 maximum' });
  assert.equal(b.requests.length, 0);
  const r = await record();
  assert.equal(r.status, 400);
  assert.equal(r.errorKind, 'fallback-request-error');
});

test('every fallback fails: nothing was written, the client gets the first error naming each attempt', async () => {
  await withGateway(fallbacksYaml([
    { name: 'alpha', url: a.url, key: 'sk-wrong-key-3333' },
    { name: 'beta', url: `${b.url}/v1`, key: KEY_B },
  ]), async (g) => {
    const res = await post(g, body());
    assert.equal(res.status, 503);
    const json = await res.json() as { error: { type: string; message: string } };
    assert.equal(json.error.type, 'api_error');
    const m = json.error.message;
    assert.match(m, /Packycode/);
    assert.match(m, /Failover also failed: /);
    assert.match(m, /fallback "alpha" rejected its api-key \(HTTP 401: invalid x-api-key\); check the api-key of fallback "alpha" in config\.yaml/);
    assert.match(m, /fallback "beta" answered 404 at .*\/v1\/v1\/messages.*without \/v1/);
    assert.ok(!m.includes('sk-wrong-key-3333'));
    assert.equal((await record()).status, 503);
  });
});

test('Packycode failures not worth a failover and models no fallback serves: no fallback is called', async () => {
  await withGateway(packycodeYaml(packy.url, [
    'fallbacks:',
    `  - { name: alpha, base-url: "${a.url}", api-key: ${KEY_A}, models: ["claude-haiku-*"] }`,
    `  - { name: beta, base-url: "${b.url}", api-key: ${KEY_B}, models: ["claude-opus-*"] }`,
  ].join('\n')), async (g) => {
    packy.enqueue(httpError(400));
    const res = await fetch(`${g.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'test-client-key' }, body: JSON.stringify(body()) });
    assert.equal(res.status, 400);
    await res.text();
    assert.equal(a.requests.length + b.requests.length, 0);
    packy.enqueue(httpError(503), httpError(503), httpError(503)); // the last candidate is retried twice
    const res2 = await fetch(`${g.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'test-client-key' }, body: JSON.stringify(body({ model: 'claude-sonnet-5' })) });
    assert.equal(res2.status, 529);
    await res2.text();
    assert.equal(a.requests.length + b.requests.length, 0);
  });
});

test('models filter: only a fallback that serves the model is used', async () => {
  await withGateway(fallbacksYaml([
    { name: 'alpha', url: a.url, key: KEY_A, models: ['gpt-*'] },
    { name: 'beta', url: b.url, key: KEY_B, models: ['claude-opus-*'] },
  ]), async (g) => {
    const res = await post(g, body());
    assert.equal(res.headers.get('x-packybridge-fallback'), 'beta');
    await res.text();
    assert.equal(a.requests.length, 0);
  });
});

test('the fallback breaking off mid-stream: the client gets what came, then an error event', async () => {
  a.enqueue({ kind: 'sse', stopAfter: 4, then: 'drop' });
  const res = await post(gw, body());
  assert.equal(res.status, 200);
  const text = await res.text();
  assert.match(text, /^event: message_start/);
  assert.match(text, /event: error\ndata: \{"type":"error","error":\{"type":"api_error","message":"packybridge: fallback \\"alpha\\" broke off mid-stream: [^"]+"\}\}\n\n$/);
  assert.equal(b.requests.length, 0); // too late to move on
  const r = await record();
  assert.equal(r.errorKind, 'disconnect');
  assert.equal(r.inputTokens, 11);
});

test('the client going away mid-stream aborts the fallback request', async () => {
  a.enqueue({ kind: 'sse', stopAfter: 3, then: 'stall' });
  const ac = new AbortController();
  const res = await post(gw, body(), ac.signal);
  const reader = res.body!.getReader();
  await reader.read();
  ac.abort();
  await a.requests[0].finished;
  assert.equal(a.requests[0].aborted, true);
  assert.equal((await record()).status, 499);
});

test('logs name the fallback and the outcome, never a key or the prompt', async () => {
  a.enqueue({ kind: 'error', status: 503, type: 'api_error', message: 'upstream down' });
  await (await post(gw, body())).text();
  await record();
  const all = gw.logLines.join('\n');
  assert.match(all, /"provider":"alpha".*"upstream attempt failed"/);
  assert.match(all, /"provider":"beta".*"served by failover"/);
  assert.match(all, /"via":"fallback:beta"/);
  for (const secret of [KEY_A, KEY_B, CLIENT_KEY, PROMPT]) assert.ok(!all.includes(secret), `log leaked ${secret}`);
});

test('leadingStreamError reads the first event only', () => {
  const table: Array<[string, ReturnType<typeof leadingStreamError>]> = [
    ['event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n', { type: 'overloaded_error', status: 529, message: 'Overloaded' }],
    ['event: error\r\ndata: {"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}\r\n\r\n', { type: 'rate_limit_error', status: 429, message: 'slow down' }],
    ['data: {"type":"error","error":{"type":"api_error"}}\n\n', { type: 'api_error', status: 500 }],
    ['event: error\ndata: not json\n\n', { type: 'api_error', status: 500 }],
    ['event: error\ndata: {"type":"error","error":{"type":"invalid_request_error","message":"bad"}}\n\n', { type: 'invalid_request_error', status: 400, message: 'bad' }],
    ['event: message_start\ndata: {"type":"message_start"}\n\nevent: error\ndata: {}\n\n', null],
    ['event: ping\ndata: {"type": "ping"}\n\n', null],
    ['', null],
  ];
  for (const [text, expected] of table) assert.deepEqual(leadingStreamError(Buffer.from(text)), expected, text);
});
