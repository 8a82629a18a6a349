// Idle upstreams on the Anthropic pass-through path (issue 8, item 6). The probe: an upstream that sent some text
// and then `: keep-alive` every second kept a request open forever. Idle time now counts from the last event
// with content or progress: SSE comments, `event: ping` and a trickle of bytes that never completes an event
// end the reply within timeouts.idle-ms (an `event: error` naming it on a stream that had begun, an Anthropic
// error status otherwise); a JSON reply must arrive whole within it. A real gateway with one fallback, a mock
// Anthropic upstream on 127.0.0.1; idle-ms is shortened to 1 s.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { closeUpstreamPools } from '../../src/upstream/pool.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { anthropicMessage, anthropicSseFrames, startMockAnthropic, type AnthropicScenario, type MockAnthropic } from '../support/mock-anthropic.ts';
import { parseSse } from '../e2e/sdk-harness.ts';

const KEY = 'sk-ant-fallback-idle-1111';
const CLIENT_KEY = 'client-key-idle';
const IDLE_MS = 1_000;
/** every reply must be over well before the trickle is: it would last this long */
const TRICKLE_PIECES = 120;

let up: MockAnthropic;
let gw: TestGateway;

before(async () => {
  up = await startMockAnthropic({ apiKey: KEY });
  gw = await startTestGateway([
    `api-keys: [${CLIENT_KEY}]`, 'timeouts:', '  connect-ms: 2000', '  first-byte-ms: 2000', `  idle-ms: ${IDLE_MS}`,
    'fallbacks:', '  - name: idler', `    base-url: ${up.url}`, `    api-key: ${KEY}`, '    models: []',
  ].join('\n'));
});
after(async () => {
  await gw.stop();
  await up.close();
  await closeUpstreamPools();
});

interface Reply { status: number; text: string; ended: 'end' | 'cut'; ms: number }

/** One request; reads until the reply ends or the connection is cut (never rejects). */
function ask(stream: boolean): Promise<Reply> {
  const started = Date.now();
  const body = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 100, stream, messages: [{ role: 'user', content: 'idle?' }] });
  return new Promise((resolve) => {
    let status = 0;
    let text = '';
    let done = false;
    const finish = (ended: Reply['ended']): void => { if (!done) { done = true; resolve({ status, text, ended, ms: Date.now() - started }); } };
    const req = httpRequest(`${gw.url}/v1/messages`, {
      method: 'POST', agent: false,
      headers: { 'content-type': 'application/json', 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01' },
    }, (res) => {
      status = res.statusCode ?? 0;
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => finish('end'));
      res.on('error', () => finish('cut'));
      res.on('close', () => finish('cut'));
    });
    req.on('error', () => finish('cut'));
    req.end(body);
  });
}

/** The first events of a stream (message_start, content_block_start, ping, the first text), then `pieces`. */
function sseThen(pieces: string[], everyMs: number): AnthropicScenario {
  const frames = anthropicSseFrames('Some text first, then the upstream idles.', 'claude-sonnet-4-5', 3);
  return { kind: 'trickle', contentType: 'text/event-stream; charset=utf-8', head: frames.slice(0, 4).join(''), pieces, everyMs };
}

const repeat = (piece: string): string[] => Array.from({ length: TRICKLE_PIECES }, () => piece);
/** the bytes of the rest of a stream, one at a time */
const oneByOne = (): string[] => [...anthropicSseFrames('and more text that never arrives whole', 'claude-sonnet-4-5', 6).slice(3).join('')].slice(0, TRICKLE_PIECES);

async function streamEndsWithIdleError(scenario: AnthropicScenario): Promise<void> {
  up.setHandler(() => scenario); // retries get the same
  const r = await ask(true);
  assert.equal(r.status, 200);
  assert.ok(r.ms < TRICKLE_PIECES * 100, `ended after ${r.ms} ms`);
  const events = parseSse(r.text);
  assert.match(JSON.stringify(events), /Some text first/, 'the text before the stall arrived');
  const last = events.at(-1)!;
  assert.equal(last.event, 'error', r.text.slice(-300));
  assert.match(last.data.error.message, /timeouts\.idle-ms/);
  assert.match(last.data.error.message, new RegExp(`${IDLE_MS} ms between two events`));
}

test('streaming: `: keep-alive` comments after some text end the reply within idle-ms with event: error', async () => {
  await streamEndsWithIdleError(sseThen(repeat(': keep-alive\n\n'), 100));
});

test('streaming: `event: ping` forever after some text ends the reply within idle-ms with event: error', async () => {
  await streamEndsWithIdleError(sseThen(repeat('event: ping\ndata: {"type": "ping"}\n\n'), 100));
});

test('streaming: unknown events keep nothing open either', async () => {
  await streamEndsWithIdleError(sseThen(repeat('event: keepalive\ndata: {"type":"keepalive"}\n\n'), 100));
});

test('streaming: an upstream sending one byte at a time (twice a second) is ended within idle-ms', async () => {
  up.setHandler(() => sseThen(oneByOne(), 500));
  const r = await ask(true);
  assert.equal(r.status, 200);
  assert.ok(r.ms < TRICKLE_PIECES * 500, `ended after ${r.ms} ms`);
  assert.match(r.text, /Some text first/);
  // mid-event there is no clean place for an error event: the connection is cut (the honest signal)
  assert.equal(r.ended, 'cut', r.text.slice(-300));
  assert.ok(r.text.length < 2_000, 'the trickle was not relayed to its end');
});

test('non-streaming: whitespace keep-alives before the JSON end within idle-ms with an Anthropic error status', async () => {
  up.setHandler(() => ({ kind: 'trickle', contentType: 'application/json', head: '\n', pieces: repeat(' '), everyMs: 100 }));
  const r = await ask(false);
  assert.ok(r.status >= 500, `status ${r.status}: ${r.text.slice(0, 300)}`);
  const json = JSON.parse(r.text);
  assert.equal(json.type, 'error');
  assert.match(json.error.message, /timeouts\.idle-ms/);
  assert.ok(r.ms < TRICKLE_PIECES * 100, `answered after ${r.ms} ms`);
});

test('non-streaming: a JSON body sent one byte at a time (twice a second) is ended within idle-ms', async () => {
  const bytes = [...JSON.stringify(anthropicMessage('never whole'))].slice(0, TRICKLE_PIECES);
  up.setHandler(() => ({ kind: 'trickle', contentType: 'application/json', head: '', pieces: bytes, everyMs: 500 }));
  const r = await ask(false);
  assert.ok(r.status >= 500, `status ${r.status}: ${r.text.slice(0, 300)}`);
  assert.match(JSON.parse(r.text).error.message, /timeouts\.idle-ms/);
  assert.ok(r.ms < TRICKLE_PIECES * 500, `answered after ${r.ms} ms`);
});

test('a reply that keeps moving is never cut: text deltas slower than pings but within idle-ms', async () => {
  const frames = anthropicSseFrames('one two three four five six seven eight', 'claude-sonnet-4-5', 8);
  up.setHandler(() => ({ kind: 'trickle', contentType: 'text/event-stream', head: frames[0], pieces: frames.slice(1), everyMs: 300, end: true }));
  const r = await ask(true);
  assert.equal(r.status, 200);
  assert.ok(r.ms > IDLE_MS, 'the reply took longer than idle-ms in all');
  assert.equal(parseSse(r.text).at(-1)?.event, 'message_stop', r.text.slice(-300));
});
