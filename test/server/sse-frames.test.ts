// serializeEvents: the frames of one batch of events, a run of deltas on the same block joined into one. Table
// of batches: what goes out, and that a client joining the pieces (as the Anthropic SDKs and Claude Code do)
// assembles exactly the same blocks from the joined frames as from one frame per event.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { serializeEvent, serializeEvents } from '../../src/server/sse.ts';
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

const text = (index: number, t: string): StreamEvent => ({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: t } });
const json = (index: number, t: string): StreamEvent => ({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: t } });
const think = (index: number, t: string): StreamEvent => ({ type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: t } });
const sig = (index: number, s: string): StreamEvent => ({ type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: s } });
const cite = (index: number): StreamEvent => ({
  type: 'content_block_delta', index,
  delta: { type: 'citations_delta', citation: { type: 'web_search_result_location', url: 'https://example.com/', title: 't', encrypted_index: 'e', cited_text: 'c' } },
});
const start = (index: number): StreamEvent => ({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
const stop = (index: number): StreamEvent => ({ type: 'content_block_stop', index });

/** The frames serializeEvents should give: one per listed event. */
const frames = (...events: StreamEvent[]): string => events.map(serializeEvent).join('');

const CASES: Array<{ name: string; batch: StreamEvent[]; want: string }> = [
  { name: 'empty batch', batch: [], want: '' },
  { name: 'one delta: as it is', batch: [text(0, 'hi')], want: frames(text(0, 'hi')) },
  { name: 'a run of text deltas on one block: one delta with the text joined', batch: [text(0, 'a'), text(0, 'b'), text(0, 'c')], want: frames(text(0, 'abc')) },
  {
    name: 'the run ends at another event; what follows is unchanged',
    batch: [start(0), text(0, 'x'), text(0, 'y'), stop(0), { type: 'message_stop' }],
    want: frames(start(0), text(0, 'xy'), stop(0), { type: 'message_stop' }),
  },
  { name: 'deltas on other blocks are not joined', batch: [text(0, 'a'), text(1, 'b'), text(1, 'c'), text(0, 'd')], want: frames(text(0, 'a'), text(1, 'bc'), text(0, 'd')) },
  { name: 'tool input JSON joined', batch: [json(2, '{"a"'), json(2, ':1'), json(2, '}')], want: frames(json(2, '{"a":1}')) },
  { name: 'thinking joined', batch: [think(0, 'one '), think(0, 'two')], want: frames(think(0, 'one two')) },
  { name: 'another delta type on the same block breaks the run', batch: [think(0, 'a'), sig(0, 's1'), think(0, 'b')], want: frames(think(0, 'a'), sig(0, 's1'), think(0, 'b')) },
  { name: 'signatures are never joined', batch: [sig(0, 's1'), sig(0, 's2')], want: frames(sig(0, 's1'), sig(0, 's2')) },
  { name: 'citations are never joined, and break a text run', batch: [text(0, 'a'), cite(0), cite(0), text(0, 'b'), text(0, 'c')], want: frames(text(0, 'a'), cite(0), cite(0), text(0, 'bc')) },
  {
    name: 'escapes, unicode, lone surrogates and empty pieces survive the join',
    batch: [text(0, 'quote " back \\ '), text(0, ''), text(0, 'new\nline \u2028 日本 🎉'), text(0, '\ud800'), text(0, '\u0000')],
    want: frames(text(0, 'quote " back \\ new\nline \u2028 日本 🎉\ud800\u0000')),
  },
  { name: 'a ping between deltas breaks the run', batch: [text(0, 'a'), { type: 'ping' }, text(0, 'b')], want: frames(text(0, 'a'), { type: 'ping' }, text(0, 'b')) },
];

/** What a client assembles from SSE frames: each block's joined text by kind, and every non-delta event in order. */
function assemble(sse: string): { blocks: Record<string, string>; others: string[] } {
  const blocks: Record<string, string> = {};
  const others: string[] = [];
  for (const frame of sse.split('\n\n').filter(Boolean)) {
    const data = JSON.parse(frame.slice(frame.indexOf('\ndata: ') + 7)) as StreamEvent;
    if (data.type === 'content_block_delta' && data.delta.type !== 'citations_delta' && data.delta.type !== 'signature_delta') {
      const d = data.delta as Record<string, string>;
      const key = `${data.index}:${d.type}`;
      blocks[key] = (blocks[key] ?? '') + (d.text ?? d.partial_json ?? d.thinking);
    } else {
      others.push(JSON.stringify(data));
    }
  }
  return { blocks, others };
}

describe('serializeEvents', () => {
  for (const c of CASES) {
    test(c.name, () => {
      const got = serializeEvents(c.batch);
      assert.equal(got, c.want);
      // the client's view is the same as with one frame per event
      assert.deepEqual(assemble(got), assemble(frames(...c.batch)));
    });
  }

  test('a 200-delta reply in one batch is one frame, its text whole', () => {
    const words = Array.from({ length: 200 }, (_, i) => `w${i} `);
    const batch = [start(0), ...words.map((w) => text(0, w)), stop(0)];
    const got = serializeEvents(batch);
    assert.equal(got.split('event: content_block_delta').length - 1, 1);
    assert.equal(got, frames(start(0), text(0, words.join('')), stop(0)));
  });

  test('the batch given is not changed', () => {
    const batch = [text(0, 'a'), text(0, 'b')];
    const copy = structuredClone(batch);
    serializeEvents(batch);
    assert.deepEqual(batch, copy);
  });
});
