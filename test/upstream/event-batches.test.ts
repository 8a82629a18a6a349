// EventBatches (a reply body's chunks as batches of decoded events) on a stream in this process: the reader's
// side of every way a body can go. The same class over real HTTP: responses-client.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { setImmediate as turn } from 'node:timers/promises';
import { EventBatches, firstChunk } from '../../src/upstream/event-batches.ts';
import type { PostReply } from '../../src/upstream/http.ts';
import { UpstreamError, toUpstreamError } from '../../src/upstream/upstream-error.ts';
import type { ResponsesEvent } from '../../src/wire/responses-stream.ts';

const URL_SHOWN = 'http://127.0.0.1:9/v1/responses';

function replyFor(body: PassThrough): PostReply {
  return {
    status: 200, headers: {}, contentType: 'text/event-stream', url: URL_SHOWN, body, requestId: 'req_1',
    failure: (err) => toUpstreamError(err, {
      url: URL_SHOWN, elapsedMs: 5, afterHeaders: true, sinceLastChunkMs: 0, aborted: false, connectMs: 1, firstByteMs: 1, idleMs: 1,
    }),
  };
}

const frame = (ev: object): string => `event: ${(ev as { type: string }).type}\ndata: ${JSON.stringify(ev)}\n\n`;
const delta = (text: string, i = 0): string => frame({ type: 'response.output_text.delta', sequence_number: i, item_id: 'msg_1', output_index: 0, content_index: 0, delta: text });
const created = frame({ type: 'response.created', sequence_number: 0, response: { id: 'resp_1', object: 'response', status: 'in_progress', output: [] } });

function open(idleMs = 5_000, first: Buffer | null = null): { body: PassThrough; batches: EventBatches } {
  const body = new PassThrough();
  return { body, batches: new EventBatches(body, replyFor(body), idleMs, {}, first) };
}

async function rejectionOf(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  assert.fail('expected a rejection');
}

const names = (b: ResponsesEvent[]): string[] => b.map((e) => (e as { delta?: string }).delta ?? e.type);

test('each turn\'s events come as one batch, in order, never empty; an event split over chunks comes whole', async () => {
  const { body, batches } = open();
  const whole = delta('b', 2);
  const got: ResponsesEvent[][] = [];
  const reading = (async () => { for await (const b of batches) got.push(b); })();
  body.write(created + delta('a', 1) + whole.slice(0, 20));
  await turn();
  body.write(whole.slice(20) + ': a comment\n\n');
  await turn();
  body.write(': only a comment\n\n');
  await turn();
  body.end(delta('c', 3));
  await reading;
  assert.deepEqual(got.map(names), [['response.created', 'a'], ['b'], ['c']]);
});

test('the chunks of one turn (one socket read of a chunked body) come as one batch', async () => {
  const { body, batches } = open();
  const pending = batches.next();
  await turn();
  // what undici does with one read that holds several chunks: a push each, one after the other
  body.write(created);
  body.write(frame({ type: 'response.in_progress', sequence_number: 1, response: { id: 'resp_1', object: 'response', status: 'in_progress', output: [] } }));
  body.write(delta('a', 2));
  body.write(delta('b', 3));
  // the first content ends its batch: the body waits with the rest until the reader asks again
  const step = await pending;
  assert.deepEqual(names(step.value!), ['response.created', 'response.in_progress', 'a']);
  assert.equal(body.readableFlowing, false);
  assert.deepEqual(names((await batches.next()).value!), ['b']);
  const later = batches.next();
  await turn();
  body.write(delta('x', 4));
  body.write(delta('y', 5));
  body.write(delta('z', 6));
  assert.deepEqual(names((await later).value!), ['x', 'y', 'z']);
  body.write(delta('c', 3));
  body.write(delta('d', 4));
  await turn();
  // nobody waited this time: the first chunk's events wait, and the body is paused at once (the next chunk
  // stays in it) until they are read
  assert.equal(body.readableFlowing, false);
  assert.deepEqual(names((await batches.next()).value!), ['c']);
  assert.deepEqual(names((await batches.next()).value!), ['d']);
  body.end();
  assert.deepEqual(await batches.next(), { done: true, value: undefined });
});

test('events promised to the reader are not lost to an end or an error in the same turn', async () => {
  {
    const { body, batches } = open();
    const pending = batches.next();
    await turn();
    body.end(delta('last', 1));
    assert.deepEqual(names((await pending).value!), ['last']);
    assert.deepEqual(await batches.next(), { done: true, value: undefined });
  }
  {
    const { body, batches } = open();
    const pending = batches.next();
    await turn();
    body.write(delta('before', 1));
    body.destroy(new Error('socket hang up'));
    assert.deepEqual(names((await pending).value!), ['before']);
    const err = await rejectionOf(batches.next());
    assert.ok(err instanceof UpstreamError, String(err));
  }
});

test('the reader waiting first gets the batch the next chunk completes', async () => {
  const { body, batches } = open();
  const pending = batches.next();
  await turn();
  body.write(delta('x'));
  const step = await pending;
  assert.equal(step.done, false);
  assert.equal((step.value![0] as { delta: string }).delta, 'x');
  body.end();
  assert.deepEqual(await batches.next(), { done: true, value: undefined });
});

test('a batch nobody reads yet pauses the body; reading it lets the body flow again', async () => {
  const { body, batches } = open();
  body.write(delta('1'));
  await turn();
  assert.equal(body.readableFlowing, false, 'paused while a batch waits for its reader');
  body.write(delta('2'));
  await turn();
  const first = await batches.next();
  assert.equal((first.value![0] as { delta: string }).delta, '1');
  assert.equal(body.readableFlowing, true, 'flowing again once the queue is empty');
  const second = await batches.next();
  assert.equal((second.value![0] as { delta: string }).delta, '2');
});

test('a final event without its blank line is still delivered at the end of the body', async () => {
  const { body, batches } = open();
  body.end(delta('last').trimEnd());
  const step = await batches.next();
  assert.equal((step.value![0] as { delta: string }).delta, 'last');
  assert.equal((await batches.next()).done, true);
});

test('malformed data: the events before it first, then a protocol UpstreamError; the body is released', async () => {
  const { body, batches } = open();
  body.write(delta('ok') + 'event: response.output_text.delta\ndata: {"type":\n\n');
  const step = await batches.next();
  assert.equal((step.value![0] as { delta: string }).delta, 'ok');
  const e = await rejectionOf(batches.next());
  assert.ok(e instanceof UpstreamError);
  assert.equal(e.kind, 'protocol');
  assert.match(e.message, new RegExp(`^upstream ${URL_SHOWN.replace(/[/.]/g, '\\$&')}: `));
  assert.equal(e.requestId, 'req_1');
  assert.equal(body.destroyed, true);
  assert.equal((await batches.next()).done, true, 'the error is given once');
});

test('a read error after some events: the events, then the reply\'s disconnect error', async () => {
  const { body, batches } = open();
  body.write(delta('before'));
  await turn();
  body.destroy(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }));
  const step = await batches.next();
  assert.equal((step.value![0] as { delta: string }).delta, 'before');
  const e = await rejectionOf(batches.next());
  assert.ok(e instanceof UpstreamError);
  assert.equal(e.kind, 'disconnect');
  assert.match(e.message, /UND_ERR_SOCKET/);
});

test('a body closed before its end without an error reads as a premature close, not as the end', async () => {
  const { body, batches } = open();
  const pending = batches.next();
  body.destroy();
  const e = await rejectionOf(pending);
  assert.ok(e instanceof UpstreamError);
  assert.equal(e.kind, 'disconnect');
  assert.match(e.message, /ERR_STREAM_PREMATURE_CLOSE/);
});

test('return() (the reader stops early) destroys the body and ends the iteration', async () => {
  const { body, batches } = open();
  body.write(delta('a'));
  body.write(delta('b'));
  await turn();
  await batches.return();
  assert.equal(body.destroyed, true);
  assert.deepEqual(await batches.next(), { done: true, value: undefined });
});

test('no event within idle-ms: the idle-timeout error, worded for a reply that sent none', async () => {
  const { body, batches } = open(40);
  body.write(': only a comment\n\n');
  const e = await rejectionOf(batches.next());
  assert.ok(e instanceof UpstreamError);
  assert.equal(e.kind, 'idle-timeout');
  assert.match(e.message, /before any event/);
  assert.equal(body.destroyed, true);
});

test('a first chunk read ahead (the sniffed body) is decoded first and the paused body flows on', async () => {
  const body = new PassThrough();
  body.write(Buffer.from(''));
  body.write(delta('one'));
  const first = await firstChunk(body);
  assert.ok(first);
  assert.equal(body.readableFlowing, false);
  const batches = new EventBatches(body, replyFor(body), 5_000, {}, first);
  body.end(delta('two'));
  const got: string[] = [];
  for await (const b of batches) for (const e of b) got.push((e as { delta: string }).delta);
  assert.deepEqual(got, ['one', 'two']);
});

test('firstChunk: null for a body that ends with no bytes; a read error rejects', async () => {
  const empty = new PassThrough();
  empty.end();
  assert.equal(await firstChunk(empty), null);
  const broken = new PassThrough();
  const p = firstChunk(broken);
  broken.destroy(new Error('reset'));
  assert.equal((await rejectionOf(p)).message, 'reset');
});

test('two reads asked for at once are answered in order by the next two batches; the end answers any left', async () => {
  const { body, batches } = open();
  const a = batches.next();
  const b = batches.next();
  const c = batches.next();
  body.write(delta('1'));
  await turn();
  body.end(delta('2'));
  assert.equal(((await a).value![0] as { delta: string }).delta, '1');
  assert.equal(((await b).value![0] as { delta: string }).delta, '2');
  assert.deepEqual(await c, { done: true, value: undefined });
});
