// Upstream failures as the client sees them. Before the first byte: a real HTTP status with an Anthropic
// error body (and the SDK's matching error class). After it: an `event: error` in the stream, never a
// stream that ends as if it succeeded.
import { test, before, after, beforeEach, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import { startHarness, parseSse, userRequest, type Harness } from './sdk-harness.ts';
import { packycodeYaml } from '../support/gateway.ts';
import { relayTuning } from '../../src/relay/relay.ts';
import {
  httpError, hang, streamError, sequence, truncated, stall, text, failed, type Scenario,
} from '../support/response-scenarios.ts';

const TIMEOUTS = ['timeouts:', '  connect-ms: 2000', '  first-byte-ms: 400', '  idle-ms: 400'].join('\n');

let h: Harness;
const savedRetry = relayTuning.retry;
// these tests check how one upstream failure reaches the client; the gateway's own short retries are
// covered in upstream-retry.test.ts
before(async () => { relayTuning.retry = { delaysMs: [], maxRetryAfterMs: 0 }; h = await startHarness({ extraYaml: TIMEOUTS }); });
after(async () => { relayTuning.retry = savedRetry; await h.close(); });
beforeEach(() => { h.mock.reset(); h.gw.runtime.forgetUpstreamHealth(); }); // each case starts with no key resting

const params = (extra: Record<string, unknown> = {}) => ({
  model: 'gpt-5-codex', max_tokens: 1024, messages: [{ role: 'user' as const, content: 'fail please' }], ...extra,
}) as Anthropic.MessageCreateParamsNonStreaming;

/** Sends the scenario to a raw non-streaming and a raw streaming request (at once); both must answer `status`. */
async function bothModes(scenario: () => Scenario, status: number, type: string): Promise<Array<{ json: any; headers: Headers }>> {
  h.mock.enqueue(scenario(), scenario());
  return Promise.all([false, true].map(async (stream) => {
    const r = await h.post('/v1/messages', userRequest('fail please', { stream }));
    assert.equal(r.status, status, `stream=${stream}: HTTP ${r.status} ${r.text.slice(0, 300)}`);
    assert.match(r.headers.get('content-type') ?? '', /application\/json/, `stream=${stream}: a JSON error, not an event stream`);
    assert.equal(r.json.type, 'error');
    assert.equal(r.json.error.type, type);
    assert.equal(typeof r.json.error.message, 'string');
    assert.match(r.headers.get('request-id') ?? '', /^req_/);
    return { json: r.json, headers: r.headers };
  }));
}

describe('before the first byte', () => {
  test('upstream 429 with retry-after -> HTTP 429 rate_limit_error, retry-after passed on', async () => {
    const replies = await bothModes(() => httpError(429, undefined, { 'retry-after': '7' }), 429, 'rate_limit_error');
    for (const r of replies) {
      assert.equal(r.headers.get('retry-after'), '7');
      assert.match(r.json.error.message, /rate limit/i);
    }
  });

  test('upstream 429: the SDK (maxRetries 0) throws RateLimitError, for create and for stream', async () => {
    h.mock.enqueue(httpError(429, undefined, { 'retry-after': '3' }));
    await assert.rejects(h.client.messages.create(params()), (e: unknown) => {
      assert.ok(e instanceof Anthropic.RateLimitError, String(e));
      assert.equal(e.status, 429);
      assert.equal(e.headers?.get('retry-after'), '3');
      return true;
    });
    h.mock.enqueue(httpError(429, undefined, { 'retry-after': '3' }));
    await assert.rejects(h.client.messages.stream(params()).finalMessage(), Anthropic.RateLimitError);
  });

  test('upstream 401 -> 401 authentication_error naming packycode.credentials.openai-api-key', async () => {
    const replies = await bothModes(() => httpError(401), 401, 'authentication_error');
    for (const r of replies) assert.match(r.json.error.message, /packycode\.credentials\.openai-api-key/);
    h.mock.enqueue(httpError(401));
    await assert.rejects(h.client.messages.create(params()), Anthropic.AuthenticationError);
  });

  test('upstream 500 -> api_error; 503 -> overloaded_error', async () => {
    await bothModes(() => httpError(500), 500, 'api_error');
    await bothModes(() => httpError(503), 529, 'overloaded_error');
    h.mock.enqueue(httpError(503));
    await assert.rejects(h.client.messages.create(params()), (e: unknown) => e instanceof Anthropic.APIError && e.status === 529);
  });

  test('first-byte timeout (upstream accepts and never answers) -> 504 timeout_error naming the setting', async () => {
    const replies = await bothModes(() => hang(), 504, 'timeout_error');
    for (const r of replies) {
      assert.match(r.json.error.message, /first-byte-ms \(400 ms\)/, 'names the setting and its value');
      assert.ok(r.json.error.message.includes(h.mock.url), r.json.error.message);
    }
  });

  test('headers then silence past idle-ms, before any event -> 502 api_error naming the silence', async () => {
    const replies = await bothModes(() => hang({ afterHeaders: true }), 502, 'api_error');
    for (const r of replies) assert.match(r.json.error.message, /idle-ms/);
  });

  test('an `error` event before any output -> a real HTTP status, not a 200 stream', async () => {
    await bothModes(() => streamError('server_error', 'The upstream broke before answering.'), 500, 'api_error');
    const [r] = await bothModes(() => streamError('rate_limit_exceeded', 'Slow down.'), 429, 'rate_limit_error');
    assert.match(r.json.error.message, /Slow down/);
    h.gw.runtime.forgetUpstreamHealth(); // the rate limit rests the only key; the next case needs it
    await bothModes(() => failed('server_error', 'failed without an error event'), 500, 'api_error');
  });

  test('a stream that ends before any output -> an HTTP error, not an empty success', async () => {
    for (const stream of [false, true]) {
      h.mock.enqueue(truncated(2));
      const r = await h.post('/v1/messages', userRequest('cut', { stream }));
      assert.ok(r.status >= 500, `stream=${stream}: HTTP ${r.status}`);
      assert.equal(r.json?.type, 'error');
    }
  });
});

describe('where the upstream cannot be reached', () => {
  test('unreachable base-url (closed port) -> 502 api_error naming the URL and the time waited', async () => {
    const port = await closedPort();
    const baseUrl = `http://127.0.0.1:${port}/v1`;
    const other = await startHarness({ yaml: () => packycodeYaml(baseUrl, TIMEOUTS) });
    try {
      for (const stream of [false, true]) {
        const r = await other.post('/v1/messages', userRequest('anyone there', { stream }));
        assert.equal(r.status, 502);
        assert.equal(r.json.error.type, 'api_error');
        assert.ok(r.json.error.message.includes(`127.0.0.1:${port}`), r.json.error.message);
        assert.match(r.json.error.message, /\d+ ms/);
        assert.match(r.json.error.message, /packycode\.base-url/);
      }
      await assert.rejects(other.client.messages.create(params()), (e: unknown) => e instanceof Anthropic.APIError && e.status === 502);
    } finally {
      await other.close();
    }
  });

  test('upstream rejects the configured key (real 401 from the mock) -> authentication_error', async () => {
    const other = await startHarness({ mock: { apiKey: 'sk-a-different-key-9999' } });
    try {
      const r = await other.post('/v1/messages', userRequest('hi'));
      assert.equal(r.status, 401);
      assert.equal(r.json.error.type, 'authentication_error');
      assert.match(r.json.error.message, /packycode\.credentials\.openai-api-key/);
      assert.ok(!r.text.includes('sk-test-upstream-key-1234'), 'the upstream key is not echoed whole');
    } finally {
      await other.close();
    }
  });
});

/** Text deltas, then an `error` event and response.failed. */
function errorAfterText(): Scenario {
  const s = sequence().start();
  const events = s.message('Partial answer that', ['Partial ', 'answer ', 'that']).events;
  // drop the message's done events so the error arrives mid-block
  const cut = events.filter((e) => !['response.output_text.done', 'response.content_part.done', 'response.output_item.done'].includes(e.type));
  const tail = sequence();
  tail.error('server_error', 'The upstream failed mid-answer.');
  tail.failed('server_error', 'The upstream failed mid-answer.');
  return { kind: 'events', events: [...cut, ...tail.events] };
}

describe('after the first byte', () => {
  test('error event after some text -> `event: error` last, no message_stop; the SDK stream throws', async () => {
    h.mock.enqueue(errorAfterText());
    const r = await h.post('/v1/messages', userRequest('go', { stream: true }));
    assert.equal(r.status, 200);
    const events = parseSse(r.text).filter((e) => e.event !== 'ping');
    assert.equal(events[0].event, 'message_start');
    assert.ok(events.some((e) => e.event === 'content_block_delta'));
    assert.equal(events.at(-1)!.event, 'error');
    assert.equal(events.at(-1)!.data.error.type, 'api_error');
    assert.match(events.at(-1)!.data.error.message, /failed mid-answer/);
    assert.ok(!events.some((e) => e.event === 'message_stop' || e.event === 'message_delta'));

    h.mock.enqueue(errorAfterText());
    const stream = h.client.messages.stream(params());
    let got = '';
    stream.on('text', (d) => { got += d; });
    await assert.rejects(stream.finalMessage(), (e: unknown) => e instanceof Anthropic.APIError && /failed mid-answer/.test(e.message));
    assert.equal(got, 'Partial answer that');
  });

  test('the same failure without streaming -> an HTTP error with the upstream message', async () => {
    h.mock.enqueue(errorAfterText());
    const r = await h.post('/v1/messages', userRequest('go'));
    assert.equal(r.status, 500);
    assert.equal(r.json.error.type, 'api_error');
    assert.match(r.json.error.message, /failed mid-answer/);
  });

  for (const end of ['end', 'destroy'] as const) {
    test(`truncated stream (upstream body ${end === 'end' ? 'ends cleanly' : 'dropped'} without response.completed) -> event: error`, async () => {
      const base = text('This reply is cut off before it ends properly.');
      h.mock.enqueue(truncated(6, { base, end }));
      const r = await h.post('/v1/messages', userRequest('go', { stream: true }));
      assert.equal(r.status, 200);
      const events = parseSse(r.text).filter((e) => e.event !== 'ping');
      assert.ok(events.some((e) => e.event === 'content_block_delta'), 'some text went out first');
      assert.equal(events.at(-1)!.event, 'error');
      assert.ok(!events.some((e) => e.event === 'message_stop'));

      h.mock.enqueue(truncated(6, { base, end }));
      await assert.rejects(h.client.messages.stream(params()).finalMessage(), Anthropic.APIError);

      h.mock.enqueue(truncated(6, { base, end }));
      const whole = await h.post('/v1/messages', userRequest('go'));
      assert.ok(whole.status >= 500, `non-streaming: HTTP ${whole.status}`);
      assert.equal(whole.json.type, 'error');
    });
  }

  test('upstream goes silent mid-stream past idle-ms -> event: error naming the silence', async () => {
    h.mock.enqueue(stall(6));
    const r = await h.post('/v1/messages', userRequest('go', { stream: true }));
    assert.equal(r.status, 200);
    const events = parseSse(r.text).filter((e) => e.event !== 'ping');
    assert.equal(events.at(-1)!.event, 'error');
    assert.match(events.at(-1)!.data.error.message, /idle-ms|silent/);
    assert.ok(!events.some((e) => e.event === 'message_stop'));
  });
});

describe('after the last event', () => {
  test('the upstream keeps its body open after response.completed: the reply ends at message_stop, whole, logged as served', async () => {
    h.mock.enqueue({ ...text('All of the reply, then the upstream lingers.'), end: 'hang' } as Scenario);
    const logged = h.gw.logLines.length;
    const r = await h.post('/v1/messages', userRequest('go', { stream: true }));
    assert.equal(r.status, 200);
    const events = parseSse(r.text).filter((e) => e.event !== 'ping');
    // the response ended with its last event: before, it waited for the upstream's end and got an error at idle-ms
    assert.equal(events.at(-1)!.event, 'message_stop');
    assert.ok(!events.some((e) => e.event === 'error'), r.text);
    const said = events.filter((e) => e.event === 'content_block_delta').map((e) => e.data.delta.text).join('');
    assert.equal(said, 'All of the reply, then the upstream lingers.');
    // the relay still reads the upstream until idle-ms gives up on it; the request is not counted as failed
    let line: Record<string, unknown> | undefined;
    for (let i = 0; i < 100 && line === undefined; i++) {
      line = h.gw.logLines.slice(logged).map((l) => JSON.parse(l)).find((o) => o.msg === 'request');
      if (line === undefined) await new Promise((res) => setTimeout(res, 20));
    }
    assert.ok(line, 'the request was logged');
    assert.equal(line.status, 200);
    assert.equal(line.errorKind, undefined, JSON.stringify(line));
  });
});

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
