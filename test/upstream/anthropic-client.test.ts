// The Anthropic pass-through client against the mock Anthropic upstream, over real HTTP on 127.0.0.1.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ANTHROPIC_VERSION, anthropicMessagesUrl, anthropicRequestHeaders, openAnthropicMessages,
} from '../../src/upstream/anthropic-client.ts';
import type { AnthropicReply, AnthropicRequestOptions } from '../../src/upstream/anthropic-client.ts';
import { USER_AGENT } from '../../src/upstream/responses-client.ts';
import { closeUpstreamPools } from '../../src/upstream/pool.ts';
import { UpstreamError } from '../../src/upstream/upstream-error.ts';
import { anthropicSseFrames, startMockAnthropic } from '../support/mock-anthropic.ts';
import type { MockAnthropic } from '../support/mock-anthropic.ts';
import { refusedPort } from '../support/free-port.ts';

const KEY = 'sk-ant-test-fallback-0001';
let mock: MockAnthropic;

before(async () => { mock = await startMockAnthropic({ apiKey: KEY }); });
after(async () => { await mock.close(); await closeUpstreamPools(); });
beforeEach(() => { mock.reset(); });

const timeouts = { connectMs: 2_000, firstByteMs: 5_000, idleMs: 5_000 };
const streamBody = {
  model: 'claude-opus-4-8',
  max_tokens: 1024,
  system: [{ type: 'text', text: 'You are a test.', cache_control: { type: 'ephemeral' } }],
  messages: [{ role: 'user', content: 'say something short' }],
  metadata: { user_id: 'user_test' },
  thinking: { type: 'adaptive' },
  some_future_field: { kept: true },
  stream: true,
};
const open = (over: Partial<AnthropicRequestOptions> = {}): Promise<AnthropicReply> =>
  openAnthropicMessages({ target: { baseUrl: mock.url, apiKey: KEY }, body: streamBody, timeouts, ...over });

async function text(reply: AnthropicReply): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of reply.body) parts.push(c);
  return Buffer.concat(parts).toString('utf8');
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await sleep(5);
}

async function rejection(p: Promise<unknown>): Promise<UpstreamError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof UpstreamError, `expected UpstreamError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a rejection');
}

test('URL: {base-url}/v1/messages, trailing slashes tolerated', () => {
  const table: Array<[string, string]> = [
    ['https://api.anthropic.com', 'https://api.anthropic.com/v1/messages'],
    ['https://api.anthropic.com/', 'https://api.anthropic.com/v1/messages'],
    ['https://gw.example.com/anthropic//', 'https://gw.example.com/anthropic/v1/messages'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080/v1/messages'],
  ];
  for (const [base, url] of table) assert.equal(anthropicMessagesUrl(base).href, url);
});

test('headers: the fallback key, JSON, our user-agent; only anthropic-version and anthropic-beta from the client', () => {
  const h = anthropicRequestHeaders({ baseUrl: 'https://x', apiKey: KEY }, {
    'x-api-key': 'client-key-must-not-leak',
    authorization: 'Bearer client-token-must-not-leak',
    'anthropic-version': '2023-06-01',
    'anthropic-beta': 'interleaved-thinking-2025-05-14,context-management-2025-06-27',
    'x-app': 'cli',
    'x-claude-code-session-id': 'sess-1',
    cookie: 'a=b',
  });
  assert.deepEqual(h, {
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    'x-api-key': KEY,
    'anthropic-version': '2023-06-01',
    'anthropic-beta': 'interleaved-thinking-2025-05-14,context-management-2025-06-27',
  });
  assert.deepEqual(anthropicRequestHeaders({ baseUrl: 'https://x', apiKey: KEY }), {
    'content-type': 'application/json', 'user-agent': USER_AGENT, 'x-api-key': KEY, 'anthropic-version': ANTHROPIC_VERSION,
  });
  // repeated headers are joined, as HTTP allows for comma lists
  assert.equal(anthropicRequestHeaders({ baseUrl: 'https://x', apiKey: KEY }, { 'anthropic-beta': ['a', 'b'] })['anthropic-beta'], 'a, b');
});

test('streams the reply bytes exactly as sent, and sends the body unchanged', async () => {
  const reply = await open({ clientHeaders: { 'anthropic-beta': 'beta-x', 'x-api-key': 'client-key' } });
  assert.equal(reply.status, 200);
  assert.equal(reply.sse, true);
  assert.match(reply.contentType, /^text\/event-stream/);
  assert.match(reply.requestId ?? '', /^req_mock/);
  const got = await text(reply);
  const frames = anthropicSseFrames(undefined, 'claude-opus-4-8');
  // message ids differ per call: compare the event order and the text deltas
  assert.deepEqual(got.match(/^event: \S+/gm), frames.join('').match(/^event: \S+/gm));
  assert.ok(got.endsWith('event: message_stop\ndata: {"type":"message_stop"}\n\n'));
  const [req] = mock.requests;
  assert.equal(req.path, '/v1/messages');
  assert.equal(req.raw, JSON.stringify(streamBody));
  assert.deepEqual(req.body, streamBody);
  assert.equal(req.headers['x-api-key'], KEY);
  assert.equal(req.headers['anthropic-version'], ANTHROPIC_VERSION);
  assert.equal(req.headers['anthropic-beta'], 'beta-x');
  assert.equal(req.headers.authorization, undefined);
});

test('a string or Buffer body goes out byte for byte', async () => {
  const raw = '{"model":"claude-sonnet-5",  "max_tokens":10,"messages":[{"role":"user","content":"hi"}],"stream":false}';
  for (const body of [raw, Buffer.from(raw)]) {
    mock.reset();
    const reply = await open({ body });
    assert.equal(reply.status, 200);
    assert.equal(reply.sse, false);
    const msg = JSON.parse(await text(reply));
    assert.equal(msg.type, 'message');
    assert.equal(msg.model, 'claude-sonnet-5');
    assert.equal(mock.requests[0].raw, raw);
  }
});

test('non-2xx: UpstreamError http with status, Anthropic error type and message, retry-after', async () => {
  mock.enqueue({ kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded', headers: { 'retry-after': '7' } });
  const e = await rejection(open());
  assert.equal(e.kind, 'http');
  assert.equal(e.status, 529);
  assert.equal(e.upstreamCode, 'overloaded_error');
  assert.equal(e.upstreamMessage, 'Overloaded');
  assert.equal(e.retryAfter, '7');
  assert.match(e.requestId ?? '', /^req_mock/);
  assert.equal(e.url, `${mock.url}/v1/messages`);
  assert.match(e.message, /HTTP 529 \(overloaded_error\): Overloaded/);
});

test('a wrong key is a 401 http error that names no key', async () => {
  const e = await rejection(openAnthropicMessages({ target: { baseUrl: mock.url, apiKey: 'sk-wrong-9999' }, body: streamBody, timeouts }));
  assert.equal(e.kind, 'http');
  assert.equal(e.status, 401);
  assert.equal(e.upstreamCode, 'authentication_error');
  assert.doesNotMatch(e.message, /sk-wrong/);
});

test('passStatus hands chosen non-2xx replies back with their body', async () => {
  mock.enqueue({ kind: 'error', status: 400, type: 'invalid_request_error', message: 'prompt is too long' });
  const reply = await open({ passStatus: (s) => s === 400 });
  assert.equal(reply.status, 400);
  const body = JSON.parse(await text(reply));
  assert.deepEqual(body.error, { type: 'invalid_request_error', message: 'prompt is too long' });
});

test('nothing listening: connect error', async () => {
  const port = await refusedPort();
  const e = await rejection(openAnthropicMessages({ target: { baseUrl: `http://127.0.0.1:${port}`, apiKey: KEY }, body: streamBody, timeouts }));
  assert.equal(e.kind, 'connect');
  assert.match(e.message, /ECONNREFUSED/);
});

test('no response headers within first-byte-ms: timeout (streaming request)', async () => {
  mock.enqueue({ kind: 'hang' });
  const e = await rejection(open({ timeouts: { ...timeouts, firstByteMs: 150 } }));
  assert.equal(e.kind, 'timeout');
});

test('a non-streaming request waits longer for headers than first-byte-ms (the reply comes whole)', async () => {
  mock.enqueue({ kind: 'hang' });
  const ac = new AbortController();
  const p = open({ body: { ...streamBody, stream: false }, timeouts: { ...timeouts, firstByteMs: 50 }, nonStreamHeadersMs: 60_000, signal: ac.signal });
  await until(() => mock.requests.length > 0);
  await sleep(300); // six times first-byte-ms
  ac.abort();
  const e = await rejection(p);
  assert.equal(e.kind, 'aborted'); // not 'timeout': first-byte-ms did not apply
});

test('silence mid-stream: idle-timeout from the body iterator', async () => {
  mock.enqueue({ kind: 'sse', stopAfter: 2, then: 'stall' });
  const reply = await open({ timeouts: { ...timeouts, idleMs: 150 } });
  const e = await rejection(text(reply));
  assert.equal(e.kind, 'idle-timeout');
});

test('connection dropped mid-stream: disconnect', async () => {
  mock.enqueue({ kind: 'sse', stopAfter: 3, then: 'drop' });
  const reply = await open();
  const e = await rejection(text(reply));
  assert.equal(e.kind, 'disconnect');
});

test('abort before and during the request: aborted, and the upstream sees the request go away', async () => {
  const pre = new AbortController();
  pre.abort();
  assert.equal((await rejection(open({ signal: pre.signal }))).kind, 'aborted');

  mock.enqueue({ kind: 'sse', stopAfter: 2, then: 'stall' });
  const ac = new AbortController();
  const reply = await open({ signal: ac.signal });
  const it = reply.body[Symbol.asyncIterator]();
  assert.equal((await it.next()).done, false);
  ac.abort();
  const e = await rejection((async () => { for (;;) { if ((await it.next()).done) break; } })());
  assert.equal(e.kind, 'aborted');
  await mock.requests[0].finished;
  assert.equal(mock.requests[0].aborted, true);
});

test('cancel() releases the upstream request', async () => {
  mock.enqueue({ kind: 'sse', stopAfter: 2, then: 'stall' });
  const reply = await open();
  const it = reply.body[Symbol.asyncIterator]();
  await it.next();
  reply.cancel();
  await mock.requests[0].finished;
  assert.equal(mock.requests[0].aborted, true);
});

test('an SSE event past 16 MiB ends the body with a protocol error naming the limit; the connection is closed', async () => {
  const piece = 'x'.repeat(1024 * 1024);
  mock.enqueue({
    kind: 'trickle', contentType: 'text/event-stream', head: anthropicSseFrames('before', 'claude-x', 1)[0],
    pieces: ['event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"type":"text_delta","text":"', ...Array.from({ length: 20 }, () => piece)], everyMs: 1,
  });
  const reply = await open();
  let bytes = 0;
  let error: unknown;
  try {
    for await (const c of reply.body) bytes += c.length;
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof UpstreamError, String(error));
  assert.equal(error.kind, 'protocol');
  assert.match(error.message, /larger than 16 MiB/);
  assert.ok(bytes <= 17 * 1024 * 1024, `${bytes} bytes relayed`);
  await mock.requests[0].finished;
  assert.equal(mock.requests[0].aborted, true, 'the upstream request was closed');
});
