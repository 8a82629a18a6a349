// The upstream client against the mock upstream, over real HTTP on 127.0.0.1.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { closeUpstreamPools, openResponsesStream, UpstreamError, USER_AGENT } from '../../src/upstream/responses-client.ts';
import type { OpenStreamOptions, UpstreamStream } from '../../src/upstream/responses-client.ts';
import type { ResponsesEvent } from '../../src/wire/responses-stream.ts';
import { startMockUpstream } from '../support/mock-upstream.ts';
import type { MockUpstream } from '../support/mock-upstream.ts';
import * as S from '../support/response-scenarios.ts';
import { refusedPort } from '../support/free-port.ts';

const KEY = 'sk-test-client-0001';
let mock: MockUpstream;

before(async () => { mock = await startMockUpstream({ apiKey: KEY }); });
after(async () => { await mock.close(); await closeUpstreamPools(); });
beforeEach(() => { mock.reset(); });

const timeouts = { connectMs: 2_000, firstByteMs: 5_000, idleMs: 5_000 };
const body = {
  model: 'gpt-5-codex',
  input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hello' }] }],
  tools: [], tool_choice: 'auto', parallel_tool_calls: false, reasoning: { effort: 'medium', summary: 'auto' },
  store: false, stream: true, include: ['reasoning.encrypted_content'], prompt_cache_key: 'sess-1234',
};
const open = (over: Partial<OpenStreamOptions> = {}): Promise<UpstreamStream> =>
  openResponsesStream({ target: { baseUrl: mock.url, apiKey: KEY }, body, timeouts, ...over });

async function collect(stream: UpstreamStream): Promise<ResponsesEvent[]> {
  const out: ResponsesEvent[] = [];
  for await (const ev of stream.events) out.push(ev);
  return out;
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

test('streams a text reply: every event, in order, as sent', async () => {
  const scenario = S.text('Hello there, friend.', { model: 'gpt-5-codex' });
  mock.enqueue(scenario);
  const stream = await open();
  assert.equal(stream.status, 200);
  assert.match(String(stream.headers['content-type']), /text\/event-stream/);
  assert.match(stream.requestId ?? '', /^req_/);
  const events = await collect(stream);
  assert.ok(scenario.kind === 'events');
  assert.deepEqual(events, scenario.events);
  assert.deepEqual(events.map((e) => e.sequence_number), events.map((_, i) => i));
  assert.equal(events.at(-1)?.type, 'response.completed');
});

test('an encode function makes the bytes of an object body; the session headers are still read from the object', async () => {
  mock.enqueue(S.text('ok'));
  let calls = 0;
  const encode = (b: object): Buffer => { calls++; return Buffer.from(JSON.stringify({ ...b, encoded: true })); };
  await collect(await open({ encode }));
  const [req] = mock.requests;
  assert.equal(calls, 1);
  assert.deepEqual(req.body, { ...body, encoded: true });
  assert.equal(req.headers['session-id'], 'sess-1234');
  assert.equal(req.headers.session_id, 'sess-1234');
});

test('sends the body once as JSON with auth, SSE accept, user-agent and session headers', async () => {
  mock.enqueue(S.text('ok'));
  await collect(await open({ headers: { 'X-Extra': 'yes' } }));
  const [req] = mock.requests;
  assert.equal(req.method, 'POST');
  assert.equal(req.path, '/v1/responses');
  assert.deepEqual(req.body, body);
  assert.equal(req.headers.authorization, `Bearer ${KEY}`);
  assert.equal(req.headers['content-type'], 'application/json');
  assert.equal(req.headers.accept, 'text/event-stream');
  assert.equal(req.headers['user-agent'], USER_AGENT);
  assert.match(USER_AGENT, /^packybridge\/\d+\.\d+\.\d+/);
  assert.equal(req.headers['session-id'], 'sess-1234');
  assert.equal(req.headers.session_id, 'sess-1234');
  assert.equal(req.headers['x-extra'], 'yes');
  assert.equal(req.headers.originator, undefined);
  // a fixed-length body (not chunked), its length in bytes (the JSON has non-ASCII text in other tests)
  assert.equal(req.headers['content-length'], String(Buffer.byteLength(JSON.stringify(body))));
  assert.equal(req.headers['transfer-encoding'], undefined);
});

test('a non-ASCII body is sent with its byte length', async () => {
  mock.enqueue(S.text('ok'));
  const unicode = { ...body, input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Grüße 🎉 日本語' }] }] };
  await collect(await open({ body: unicode }));
  const [req] = mock.requests;
  assert.deepEqual(req.body, unicode);
  assert.equal(req.headers['content-length'], String(Buffer.byteLength(JSON.stringify(unicode))));
});

test('a trailing slash on the base URL is tolerated; no key means no authorization header', async () => {
  const open401 = openResponsesStream({ target: { baseUrl: `${mock.url}/` }, body, timeouts });
  const e = await rejection(open401);
  assert.equal(mock.requests[0].path, '/v1/responses');
  assert.equal(mock.requests[0].headers.authorization, undefined);
  assert.equal(e.kind, 'http');
  assert.equal(e.status, 401);
});

test('keep-alive: sequential requests reuse one connection', async () => {
  const own = await startMockUpstream(); // a fresh origin, so the pool has no other idle connection
  try {
    own.enqueue(S.text('one'), S.text('two'), S.text('three'));
    for (let i = 0; i < 3; i++) {
      await collect(await openResponsesStream({ target: { baseUrl: own.url }, body, timeouts }));
      // let undici mark the connection idle (back-to-back, it may open a second one)
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(own.requests.length, 3);
    assert.equal(new Set(own.requests.map((r) => r.remotePort)).size, 1);
  } finally {
    await own.close();
  }
});

test('batches: the events of one body chunk arrive together, none empty, the same events in order', async () => {
  const source = S.text('one two three four five six seven', { chunks: 7 });
  assert.ok(source.kind === 'events');
  const sse = S.toSse(source.events);
  // the whole reply in one write, then the same reply split inside an event: batches follow the chunks
  for (const chunkSize of [sse.length, 97]) {
    mock.enqueue(S.rawSse(sse, { chunkSize }));
    const batches: ResponsesEvent[][] = [];
    for await (const batch of (await open()).batches) batches.push(batch);
    assert.ok(batches.every((b) => b.length > 0), 'no empty batch');
    assert.deepEqual(batches.flat(), source.events);
    if (chunkSize === sse.length) assert.ok(batches[0].length > 1, `one write arrives as few batches: ${batches.map((b) => b.length).join(',')}`);
  }
});

test('SSE written byte by byte (multi-byte characters split) parses to the same events', async () => {
  const source = S.text('Grüße 🎉 日本語 — fin.', { chunks: 4 });
  assert.ok(source.kind === 'events');
  mock.enqueue(S.rawSse(`: keep-alive\n\n${S.toSse(source.events)}data: [DONE]\n\n`, { chunkSize: 1 }));
  assert.deepEqual(await collect(await open()), source.events);
});

test('HTTP errors carry status, retry-after, code and message', async () => {
  const rows: Array<{ scenario: S.Scenario; status: number; code?: string; message?: RegExp; retryAfter?: string }> = [
    { scenario: S.httpError(429, undefined, { 'retry-after': '7' }), status: 429, code: 'rate_limit_exceeded', message: /Rate limit/, retryAfter: '7' },
    { scenario: S.httpError(429, undefined, { 'retry-after-ms': '1500' }), status: 429, code: 'rate_limit_exceeded', retryAfter: '2' },
    { scenario: S.httpError(500), status: 500, code: 'server_error', message: /had an error/ },
    { scenario: S.httpError(503, '<html><h1>503 Service Unavailable</h1></html>', { 'content-type': 'text/html' }), status: 503, message: /503 Service Unavailable/ },
    { scenario: S.httpError(400, { error: { message: 'Unsupported parameter: temperature', type: 'invalid_request_error', param: 'temperature', code: 'unsupported_parameter' } }), status: 400, code: 'unsupported_parameter', message: /temperature/ },
  ];
  for (const row of rows) {
    mock.enqueue(row.scenario);
    const e = await rejection(open());
    assert.equal(e.kind, 'http');
    assert.equal(e.status, row.status);
    assert.equal(e.upstreamCode, row.code);
    if (row.message) assert.match(e.upstreamMessage ?? '', row.message);
    assert.equal(e.retryAfter, row.retryAfter);
    assert.match(e.message, new RegExp(`HTTP ${row.status}`));
    assert.match(e.requestId ?? '', /^req_/);
  }
});

test('a wrong key gets the upstream 401 with its code, and the key is not echoed whole', async () => {
  const e = await rejection(open({ target: { baseUrl: mock.url, apiKey: 'sk-wrong-key-99999' } }));
  assert.equal(e.kind, 'http');
  assert.equal(e.status, 401);
  assert.equal(e.upstreamCode, 'invalid_api_key');
  assert.doesNotMatch(e.message, /sk-wrong-key-99999/);
});

test('connection refused -> connect, naming the URL', async () => {
  const port = await refusedPort();
  const url = `http://127.0.0.1:${port}/v1`;
  const e = await rejection(openResponsesStream({ target: { baseUrl: url }, body, timeouts }));
  assert.equal(e.kind, 'connect');
  assert.equal(e.url, `${url}/responses`);
  assert.ok(e.message.includes(`${url}/responses`));
  assert.match(e.message, /ECONNREFUSED/);
  assert.equal(typeof e.waitedMs, 'number');
});

test('a TLS handshake that never completes -> connect (timeouts.connect-ms)', async () => {
  const held = new Set<import('node:net').Socket>();
  const srv = (await import('node:net')).createServer((sock) => { held.add(sock); }); // accepts TCP, never speaks TLS
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const url = `https://127.0.0.1:${(srv.address() as AddressInfo).port}/v1`;
  try {
    const e = await rejection(openResponsesStream({ target: { baseUrl: url }, body, timeouts: { ...timeouts, connectMs: 150 } }));
    assert.equal(e.kind, 'connect');
    assert.ok(e.message.includes(`${url}/responses`));
    assert.match(e.message, /connect timeout \(150 ms/);
  } finally {
    for (const sock of held) sock.destroy();
    await new Promise<void>((r) => srv.close(() => r()));
  }
});

test('no response headers within first-byte-ms -> timeout', async () => {
  mock.enqueue(S.hang());
  const e = await rejection(open({ timeouts: { ...timeouts, firstByteMs: 150 } }));
  assert.equal(e.kind, 'timeout');
  assert.match(e.message, /150 ms/);
  await mock.requests[0].finished;
  assert.equal(mock.requests[0].aborted, true);
});

test('silence mid-stream longer than idle-ms -> idle-timeout after the events that did arrive', async () => {
  mock.enqueue(S.stall(3));
  const stream = await open({ timeouts: { ...timeouts, idleMs: 150 } });
  const seen: string[] = [];
  const e = await rejection((async () => { for await (const ev of stream.events) seen.push(ev.type); })());
  assert.equal(e.kind, 'idle-timeout');
  assert.deepEqual(seen, ['response.created', 'response.in_progress', 'response.output_item.added']);
});

test('headers then silence also counts as idle', async () => {
  mock.enqueue(S.hang({ afterHeaders: true }));
  const stream = await open({ timeouts: { ...timeouts, idleMs: 150 } });
  const e = await rejection(collect(stream));
  assert.equal(e.kind, 'idle-timeout');
});

/** The first `n` events of a text reply as SSE, then `filler` chunks written `delayMs` apart, the connection held open. */
function headThen(n: number, filler: string[], delayMs: number): S.Scenario {
  const base = S.text('never finished');
  assert.ok(base.kind === 'events');
  return { kind: 'raw', chunks: [S.toSse(base.events.slice(0, n)), ...filler], delayMs, end: 'hang' };
}

test('SSE comments keep no request open: idle time counts from the last event that moves the response on', async () => {
  mock.enqueue(headThen(2, Array.from({ length: 40 }, () => ': keep-alive\n\n'), 50));
  const stream = await open({ timeouts: { ...timeouts, idleMs: 300 } });
  const seen: string[] = [];
  const e = await rejection((async () => { for await (const ev of stream.events) seen.push(ev.type); })());
  assert.equal(e.kind, 'idle-timeout');
  assert.deepEqual(seen, ['response.created', 'response.in_progress']);
  assert.match(e.message, /300 ms between two events \(timeouts\.idle-ms\)/);
  assert.doesNotMatch(e.message, /mid-stream/);
});

test('unknown events keep no request open either', async () => {
  const unknown = 'event: keepalive\ndata: {"type":"keepalive"}\n\n';
  mock.enqueue(headThen(1, Array.from({ length: 40 }, () => unknown), 50));
  const stream = await open({ timeouts: { ...timeouts, idleMs: 300 } });
  const e = await rejection(collect(stream));
  assert.equal(e.kind, 'idle-timeout');
});

test('an upstream that sends one byte at a time ends within idle-ms of its last whole event', async () => {
  const base = S.text('trickle');
  assert.ok(base.kind === 'events');
  const bytes = [...S.toSse(base.events.slice(1, 3))];
  mock.enqueue(headThen(1, bytes, 20));
  const stream = await open({ timeouts: { ...timeouts, idleMs: 300 } });
  const started = Date.now();
  const e = await rejection(collect(stream));
  assert.equal(e.kind, 'idle-timeout');
  assert.ok(Date.now() - started < bytes.length * 20, 'ended before the trickle did');
});

test('headers then nothing: the idle error says no event came, not "mid-stream"', async () => {
  mock.enqueue(S.hang({ afterHeaders: true }));
  const stream = await open({ timeouts: { ...timeouts, idleMs: 150 } });
  const e = await rejection(collect(stream));
  assert.match(e.message, /before any event/);
  assert.doesNotMatch(e.message, /mid-stream/);
});

test('abort before the headers: rejects as aborted and the upstream sees the request go away', async () => {
  mock.enqueue(S.hang());
  const ac = new AbortController();
  const p = open({ signal: ac.signal });
  await mock.waitForRequests(1);
  ac.abort();
  const e = await rejection(p);
  assert.equal(e.kind, 'aborted');
  await mock.requests[0].finished;
  assert.equal(mock.requests[0].aborted, true);
});

test('abort mid-stream: iteration throws aborted and the upstream request is destroyed', async () => {
  mock.enqueue(S.stall(4));
  const ac = new AbortController();
  const stream = await open({ signal: ac.signal });
  const e = await rejection((async () => {
    let n = 0;
    for await (const _ev of stream.events) if (++n === 2) ac.abort();
  })());
  assert.equal(e.kind, 'aborted');
  await mock.requests[0].finished;
  assert.equal(mock.requests[0].aborted, true);
});

test('an already-aborted signal never reaches the upstream', async () => {
  const ac = new AbortController();
  ac.abort();
  const e = await rejection(open({ signal: ac.signal }));
  assert.equal(e.kind, 'aborted');
  assert.equal(mock.requests.length, 0);
});

test('a consumer that stops iterating early releases the upstream request', async () => {
  mock.enqueue(S.stall(5));
  const stream = await open();
  for await (const ev of stream.events) if (ev.type === 'response.in_progress') break;
  await mock.requests[0].finished;
  assert.equal(mock.requests[0].aborted, true);
});

test('a body that ends cleanly without a terminal event just ends (the translator flags it)', async () => {
  mock.enqueue(S.truncated(5));
  const events = await collect(await open());
  assert.equal(events.length, 5);
  assert.ok(!events.some((e) => e.type === 'response.completed'));
});

test('a socket dropped mid-body -> disconnect, after the events that arrived', async () => {
  mock.enqueue(S.truncated(4, { end: 'destroy' }));
  const stream = await open();
  const seen: string[] = [];
  const e = await rejection((async () => { for await (const ev of stream.events) seen.push(ev.type); })());
  assert.equal(e.kind, 'disconnect');
  assert.equal(seen.length, 4);
});

test('malformed JSON in a data line -> protocol', async () => {
  mock.enqueue(S.rawSse(`${S.toSse([{ type: 'response.created', sequence_number: 0 }])}data: {"type":"response.output_text.delta",\n\n`));
  const stream = await open();
  const seen: string[] = [];
  const e = await rejection((async () => { for await (const ev of stream.events) seen.push(ev.type); })());
  assert.equal(e.kind, 'protocol');
  assert.match(e.message, /malformed JSON/);
  assert.deepEqual(seen, ['response.created']);
});

test('2xx JSON holding a whole response object -> one response.completed event', async () => {
  mock.enqueue(S.jsonResponse('Not streamed.'));
  const events = await collect(await open());
  assert.equal(events.length, 1);
  assert.equal(events[0].type, 'response.completed');
  const item = events[0].response?.output?.[0];
  assert.equal(item?.type, 'message');
  assert.deepEqual((item as { content: unknown[] }).content.map((c) => (c as { text: string }).text), ['Not streamed.']);
});

test('2xx that is neither SSE nor a response object -> protocol', async () => {
  const rows: S.Scenario[] = [
    { kind: 'http', status: 200, body: '<html>Please sign in</html>', headers: { 'content-type': 'text/html' } },
    { kind: 'http', status: 200, body: '{"hello":"world"}', headers: { 'content-type': 'application/json' } },
    { kind: 'http', status: 200, body: '', headers: { 'content-type': 'text/plain' } },
  ];
  for (const s of rows) {
    mock.enqueue(s);
    const e = await rejection(open());
    assert.equal(e.kind, 'protocol', s.kind === 'http' ? s.body : '');
  }
});

test('SSE served without a content type (or as text/plain) is sniffed and parsed', async () => {
  const source = S.text('sniffed');
  assert.ok(source.kind === 'events');
  for (const contentType of ['', 'text/plain']) {
    mock.enqueue(S.rawSse(S.toSse(source.events), { contentType, chunkSize: 7 }));
    assert.deepEqual(await collect(await open()), source.events, `content-type "${contentType}"`);
  }
});

test('many concurrent streams through one pool', async () => {
  const n = 50;
  mock.setHandler(() => S.text('concurrent reply', { delayMs: 5 }));
  const results = await Promise.all(Array.from({ length: n }, async () => (await collect(await open())).at(-1)?.type));
  assert.deepEqual(results, Array(n).fill('response.completed'));
});
