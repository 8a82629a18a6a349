import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { serializeEvent, SseWriter } from '../../src/server/sse.ts';
import type { StreamEvent } from '../../src/wire/anthropic-stream.ts';

const TEXTS = ['', 'plain', 'quote " backslash \\ slash /', 'new\nline\ttab\r', 'ünïcödé 日本語 🎉', '\u0000\u001f\u2028\u2029', '\ud800 lone surrogate'];

test('serializeEvent: every delta kind gives exactly `event: <type>\\ndata: <JSON.stringify(ev)>\\n\\n`', () => {
  const events: StreamEvent[] = [];
  for (const t of TEXTS) {
    events.push({ type: 'content_block_delta', index: 3, delta: { type: 'text_delta', text: t } });
    events.push({ type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: t } });
    events.push({ type: 'content_block_delta', index: 12, delta: { type: 'thinking_delta', thinking: t } });
    events.push({ type: 'content_block_delta', index: 1, delta: { type: 'signature_delta', signature: t } });
  }
  events.push(
    { type: 'message_stop' },
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    { type: 'error', error: { type: 'api_error', message: 'boom "x"' } },
  );
  for (const ev of events) assert.equal(serializeEvent(ev), `event: ${ev.type}\ndata: ${JSON.stringify(ev)}\n\n`, JSON.stringify(ev));
});

/** A ServerResponse stand-in that records writes and can report back-pressure. */
class FakeRes extends EventEmitter {
  writes: string[] = [];
  ended = false;
  endChunk: string | undefined;
  writableNeedDrain = false;
  destroyed = false;
  get writableEnded(): boolean { return this.ended; }
  writeHead(): this { return this; }
  write(chunk: string): boolean { this.writes.push(chunk); return !this.writableNeedDrain; }
  end(chunk?: string): void { this.ended = true; this.endChunk = chunk; }
}

const delta = (text: string): StreamEvent => ({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } });

test('SseWriter: events written in one tick go out as one write, in order', async () => {
  const res = new FakeRes();
  const w = new SseWriter(res as unknown as ServerResponse);
  w.start({});
  w.write([delta('a')]);
  w.write([delta('b'), delta('c')]);
  assert.equal(res.writes.length, 0, 'nothing written before the tick ends');
  await new Promise((r) => process.nextTick(r));
  assert.deepEqual(res.writes, [[delta('a'), delta('b'), delta('c')].map(serializeEvent).join('')]);
  w.write([delta('d')]);
  await new Promise((r) => process.nextTick(r));
  assert.equal(res.writes.length, 2);
});

test('SseWriter: end() sends what is still queued with the end of the response', () => {
  const res = new FakeRes();
  const w = new SseWriter(res as unknown as ServerResponse);
  w.start({});
  w.write([delta('last'), { type: 'message_stop' }]);
  w.end();
  assert.equal(res.ended, true);
  assert.equal(res.endChunk, serializeEvent(delta('last')) + serializeEvent({ type: 'message_stop' }));
  w.write([delta('after end')]);
  w.flush();
  assert.equal(res.writes.length, 0, 'nothing after end');
});

test('SseWriter: back-pressure: write() returns a promise while the socket needs to drain', async () => {
  const res = new FakeRes();
  const w = new SseWriter(res as unknown as ServerResponse);
  w.start({});
  assert.equal(w.write([delta('x')]), undefined);
  res.writableNeedDrain = true;
  const wait = w.write([delta('y')]);
  assert.ok(wait instanceof Promise);
  let resolved = false;
  void wait.then(() => { resolved = true; });
  await new Promise((r) => setImmediate(r));
  assert.equal(resolved, false);
  res.writableNeedDrain = false;
  res.emit('drain');
  await wait;
  assert.equal(resolved, true);
  assert.equal(res.listenerCount('drain'), 0, 'listeners removed');
  assert.equal(res.listenerCount('close'), 0);
});
