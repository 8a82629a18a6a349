// Relaying a request to Anthropic-compatible fallbacks: bytes through unchanged, failover before the first
// byte, counting, and an operator-readable error when every fallback fails. Real HTTP on 127.0.0.1.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { AnthropicFallback, ConfigSnapshot } from '../../src/config/types.ts';
import { Runtime } from '../../src/runtime.ts';
import { closeUpstreamPools } from '../../src/upstream/pool.ts';
import {
  failoverClientError, leadingStreamError, relayToFallback, serveFromFallbacks,
} from '../../src/server/fallback-relay.ts';
import type { FailoverResult } from '../../src/server/fallback-relay.ts';
import type { PackycodeFailure } from '../../src/routing/failover.ts';
import { errorBody } from '../../src/server/errors.ts';
import { memoryLogger } from '../support/gateway.ts';
import { anthropicSseFrames, startMockAnthropic } from '../support/mock-anthropic.ts';
import type { MockAnthropic } from '../support/mock-anthropic.ts';

const KEY_A = 'sk-ant-fallback-a-1111';
const KEY_B = 'sk-ant-fallback-b-2222';
const CLIENT_KEY = 'client-key-must-not-travel';
const PROMPT = 'a secret prompt that must never be logged';

let a: MockAnthropic;
let b: MockAnthropic;
let app: FastifyInstance;
let base: string;
let runtime: Runtime;
let logLines: string[];
let fallbacks: AnthropicFallback[];
let lastResult: FailoverResult | undefined;
let firstByteMs = 5_000;

function snapshot(): ConfigSnapshot {
  return {
    path: null, host: '127.0.0.1', port: 0, apiKeys: [], clientKeys: [], logLevel: 'debug',
    remoteManagement: { secretKey: '', allowRemote: false },
    packycode: {
      enabled: false, baseUrl: '', requiresOpenaiAuth: true, wireApi: 'responses',
      privacy: { disableResponseStorage: true }, defaults: { model: 'gpt-5-codex', modelReasoningEffort: 'medium' },
      credentials: { openaiApiKey: '' }, modelMap: [], forwardSamplingParams: false,
    },
    effectiveSource: 'none',
    timeouts: { connectMs: 2_000, firstByteMs, idleMs: 5_000 },
    fallbacks,
    dataDir: null, usage: { retentionDays: 400, prices: {} }, state: { backend: 'memory', url: '' },
    packycodeProblems: [],
    loadedAt: Date.now(),
  };
}

before(async () => {
  a = await startMockAnthropic({ apiKey: KEY_A });
  b = await startMockAnthropic({ apiKey: KEY_B });
  logLines = [];
  fallbacks = [];
  runtime = new Runtime(snapshot(), memoryLogger(logLines), { defaultMetrics: false });
  app = Fastify({ logger: false });
  // the test route: a Packycode failure named by a header, then failover, then the combined error
  app.post('/v1/messages', async (request, reply) => {
    const failure = JSON.parse(String(request.headers['x-test-failure'] ?? '{"kind":"connect"}')) as PackycodeFailure;
    const s = snapshot();
    const model = (request.body as { model: string }).model;
    reply.hijack();
    const abort = new AbortController();
    reply.raw.on('close', () => { if (!reply.raw.writableFinished) abort.abort(); });
    const r = await serveFromFallbacks(runtime, s, model, failure, request.body as object, request.headers, reply, request.id, abort.signal);
    lastResult = r;
    if (r.served || r.clientAborted) return;
    const err = failoverClientError({ status: 502, type: 'api_error', message: 'packybridge could not connect to Packycode' }, r.attempts);
    reply.raw.writeHead(err.status, { 'content-type': 'application/json', ...err.headers });
    reply.raw.end(JSON.stringify(errorBody(err.type, err.message, request.id)));
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});

after(async () => {
  await app.close();
  await a.close();
  await b.close();
  await closeUpstreamPools();
});

beforeEach(() => {
  a.reset();
  b.reset();
  lastResult = undefined;
  firstByteMs = 5_000;
  logLines.length = 0;
  fallbacks = [
    { name: 'alpha', baseUrl: a.url, apiKey: KEY_A, models: [] },
    { name: 'beta', baseUrl: b.url, apiKey: KEY_B, models: [] },
  ];
});

const body = (over: Record<string, unknown> = {}) => ({
  model: 'claude-opus-4-8',
  max_tokens: 512,
  messages: [{ role: 'user', content: [{ type: 'text', text: PROMPT }] }],
  stream: true,
  ...over,
});

function post(payload: unknown, failure?: PackycodeFailure, signal?: AbortSignal): Promise<Response> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-api-key': CLIENT_KEY,
    'anthropic-version': '2023-06-01',
    'anthropic-beta': 'fine-grained-tool-streaming-2025-05-14',
  };
  if (failure) headers['x-test-failure'] = JSON.stringify(failure);
  return fetch(`${base}/v1/messages`, { method: 'POST', headers, body: JSON.stringify(payload), signal });
}

function served(): NonNullable<Extract<FailoverResult, { served: true }>> {
  assert.ok(lastResult?.served, `expected a served result, got ${JSON.stringify(lastResult)}`);
  return lastResult;
}

test('a stream is relayed byte for byte, with our request id and the fallback named', async () => {
  const sse = anthropicSseFrames('Exactly these bytes.', 'claude-opus-4-8').join('');
  a.enqueue({ kind: 'raw', status: 200, contentType: 'text/event-stream; charset=utf-8', body: sse });
  const res = await post(body());
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  assert.equal(res.headers.get('x-packybridge-fallback'), 'alpha');
  assert.match(res.headers.get('request-id') ?? '', /.+/);
  assert.equal(await res.text(), sse);
  const r = served().result;
  assert.equal(r.fallback, 'alpha');
  assert.equal(r.status, 200);
  assert.deepEqual(r.usage, { input_tokens: 11, cache_creation_input_tokens: 0, cache_read_input_tokens: 3, output_tokens: 7 });
  assert.equal(r.stopReason, 'end_turn');
  assert.equal(r.errorKind, undefined);
  assert.equal(b.requests.length, 0);
});

test('the body goes out unchanged with the fallback key; the client key never travels', async () => {
  const payload = body({ some_new_field: { nested: [1, 2, 3] }, metadata: { user_id: 'u1' } });
  const res = await post(payload);
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
  const res = await post(body({ stream: false }));
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  const msg = await res.json() as { type: string; content: Array<{ text: string }> };
  assert.equal(msg.type, 'message');
  assert.equal(msg.content[0].text, 'Hello from the mock fallback.');
  const r = served().result;
  assert.equal(r.usage?.output_tokens, 7);
  assert.equal(r.stopReason, 'end_turn');
});

test('counts every move to a fallback: counters.failovers and the failovers metric by target', async () => {
  const before = runtime.counters.failovers;
  await (await post(body())).text();
  assert.equal(runtime.counters.failovers, before + 1);
  const metric = await runtime.metrics.failovers.get();
  const alpha = metric.values.find((v) => v.labels.to === 'alpha');
  assert.ok(alpha && alpha.value >= 1);
});

test('first fallback overloaded (529), the second serves; the failure is counted as an upstream error', async () => {
  a.enqueue({ kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' });
  const errorsBefore = runtime.counters.upstreamErrors;
  const failoversBefore = runtime.counters.failovers;
  const res = await post(body());
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-packybridge-fallback'), 'beta');
  assert.match(await res.text(), /event: message_stop/);
  const s = served();
  assert.equal(s.result.fallback, 'beta');
  assert.deepEqual(s.attempts.map((x) => [x.name, x.error.kind, x.error.status]), [['alpha', 'http', 529]]);
  assert.equal(runtime.counters.upstreamErrors, errorsBefore + 1);
  assert.equal(runtime.counters.failovers, failoversBefore + 2);
  const errs = await runtime.metrics.upstreamErrors.get();
  assert.ok(errs.values.some((v) => v.labels.kind === 'fallback-http'));
});

test('a 200 stream whose first event is an overloaded error moves on to the next fallback', async () => {
  a.enqueue({ kind: 'sse-error', type: 'overloaded_error', message: 'Overloaded' });
  const res = await post(body());
  const text = await res.text();
  assert.equal(res.headers.get('x-packybridge-fallback'), 'beta');
  assert.doesNotMatch(text, /overloaded_error/);
  assert.match(text, /^event: message_start/);
  assert.deepEqual(served().attempts.map((x) => [x.name, x.error.status, x.error.upstreamCode]), [['alpha', 529, 'overloaded_error']]);
});

test('a first event split across chunks is still held back whole before committing', async () => {
  a.enqueue({ kind: 'sse', firstChunkSplit: true });
  const res = await post(body());
  assert.match(await res.text(), /^event: message_start\ndata: \{"type":"message_start"/);
  assert.equal(served().result.fallback, 'alpha');
});

test('a connect failure and a first-byte timeout move on; the next fallback serves', async () => {
  fallbacks = [{ name: 'dead', baseUrl: 'http://127.0.0.1:1', apiKey: 'sk-dead-0000', models: [] }, ...fallbacks];
  a.enqueue({ kind: 'hang' });
  firstByteMs = 200;
  const res = await post(body());
  assert.equal(res.status, 200);
  await res.text();
  const s = served();
  assert.equal(s.result.fallback, 'beta');
  assert.deepEqual(s.attempts.map((x) => [x.name, x.error.kind]), [['dead', 'connect'], ['alpha', 'timeout']]);
});

test('a request error (400) from the fallback is passed to the client as is; no further fallback is tried', async () => {
  a.enqueue({ kind: 'error', status: 400, type: 'invalid_request_error', message: 'prompt is too long: 300000 tokens > 200000 maximum', headers: { 'x-should-retry': 'false' } });
  const res = await post(body());
  assert.equal(res.status, 400);
  assert.equal(res.headers.get('x-should-retry'), 'false');
  const json = await res.json() as { error: { type: string; message: string } };
  assert.deepEqual(json.error, { type: 'invalid_request_error', message: 'prompt is too long: 300000 tokens > 200000 maximum' });
  assert.equal(b.requests.length, 0);
  const r = served().result;
  assert.equal(r.status, 400);
  assert.equal(r.errorKind, 'fallback-request-error');
});

test('every fallback fails: nothing was written, the client gets Packycode\'s error naming each attempt', async () => {
  fallbacks = [
    { name: 'alpha', baseUrl: a.url, apiKey: 'sk-wrong-key-3333', models: [] },
    { name: 'beta', baseUrl: `${b.url}/v1`, apiKey: KEY_B, models: [] },
  ];
  const res = await post(body());
  assert.equal(res.status, 502);
  const json = await res.json() as { error: { type: string; message: string } };
  assert.equal(json.error.type, 'api_error');
  const m = json.error.message;
  assert.match(m, /^packybridge could not connect to Packycode\. Failover also failed: /);
  assert.match(m, /fallback "alpha" rejected its api-key \(HTTP 401: invalid x-api-key\); check the api-key of fallback "alpha" in config\.yaml/);
  assert.match(m, /fallback "beta" answered 404 at .*\/v1\/v1\/messages.*without \/v1/);
  assert.ok(!m.includes('sk-wrong-key-3333'));
  assert.equal(lastResult?.served, false);
});

test('failures not worth a failover and models no fallback serves: no fallback is called', async () => {
  for (const failure of [{ kind: 'http', status: 400 }, { kind: 'aborted' }, { kind: 'internal', status: 500 }] as PackycodeFailure[]) {
    const res = await post(body(), failure);
    assert.equal(res.status, 502);
    await res.text();
    assert.deepEqual(lastResult, { served: false, attempts: [] });
  }
  fallbacks = [{ name: 'alpha', baseUrl: a.url, apiKey: KEY_A, models: ['claude-haiku-*'] }];
  const res = await post(body());
  assert.equal(res.status, 502);
  await res.text();
  assert.equal(a.requests.length + b.requests.length, 0);
});

test('models filter: only a fallback that serves the model is used', async () => {
  fallbacks = [
    { name: 'alpha', baseUrl: a.url, apiKey: KEY_A, models: ['gpt-*'] },
    { name: 'beta', baseUrl: b.url, apiKey: KEY_B, models: ['claude-opus-*'] },
  ];
  const res = await post(body(), { kind: 'not-configured' });
  assert.equal(res.headers.get('x-packybridge-fallback'), 'beta');
  await res.text();
  assert.equal(a.requests.length, 0);
});

test('the fallback breaking off mid-stream: the client gets what came, then an error event', async () => {
  a.enqueue({ kind: 'sse', stopAfter: 4, then: 'drop' });
  const res = await post(body());
  assert.equal(res.status, 200);
  const text = await res.text();
  assert.match(text, /^event: message_start/);
  assert.match(text, /event: error\ndata: \{"type":"error","error":\{"type":"api_error","message":"packybridge: fallback \\"alpha\\" broke off mid-stream: [^"]+"\}\}\n\n$/);
  assert.equal(b.requests.length, 0); // too late to move on
  const r = served().result;
  assert.equal(r.errorKind, 'fallback-disconnect');
  assert.equal(r.usage?.input_tokens, 11);
});

test('the client going away mid-stream aborts the fallback request', async () => {
  a.enqueue({ kind: 'sse', stopAfter: 3, then: 'stall' });
  const ac = new AbortController();
  const res = await post(body(), undefined, ac.signal);
  const reader = res.body!.getReader();
  await reader.read();
  ac.abort();
  await a.requests[0].finished;
  assert.equal(a.requests[0].aborted, true);
  while (lastResult === undefined) await new Promise((r) => setImmediate(r));
  const r = served().result;
  assert.equal(r.clientAborted, true);
});

test('logs name the fallback and the outcome, never a key or the prompt', async () => {
  a.enqueue({ kind: 'error', status: 503, type: 'api_error', message: 'upstream down' });
  await (await post(body())).text();
  const all = logLines.join('\n');
  assert.match(all, /"fallback":"alpha".*"fallback failed"/);
  assert.match(all, /"fallback":"beta".*"served by fallback"/);
  for (const secret of [KEY_A, KEY_B, CLIENT_KEY, PROMPT]) assert.ok(!all.includes(secret), `log leaked ${secret}`);
});

test('relayToFallback refuses a response already started; leaves an unserved reply untouched', async () => {
  const direct = Fastify({ logger: false });
  let outcome: unknown;
  direct.post('/started', async (request, reply) => {
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'text/plain' });
    await assert.rejects(relayToFallback(runtime, fallbacks[0], request.body as object, request.headers, reply, 'req_x'), /already started/);
    reply.raw.end('ok');
  });
  direct.post('/unserved', async (request, reply) => {
    outcome = await relayToFallback(runtime, { ...fallbacks[0], apiKey: 'sk-bad-4444' }, request.body as object, request.headers, reply, 'req_y');
    reply.raw.writeHead(503, { 'content-type': 'text/plain' });
    reply.raw.end('caller decides');
  });
  await direct.listen({ host: '127.0.0.1', port: 0 });
  try {
    const url = `http://127.0.0.1:${(direct.server.address() as AddressInfo).port}`;
    const r1 = await fetch(`${url}/started`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body()) });
    assert.equal(await r1.text(), 'ok');
    const r2 = await fetch(`${url}/unserved`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body()) });
    assert.equal(r2.status, 503);
    assert.equal(await r2.text(), 'caller decides');
    assert.ok(outcome && (outcome as { ok: boolean }).ok === false);
    assert.equal((outcome as { error: { status: number } }).error.status, 401);
  } finally {
    await direct.close();
  }
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
