// The decoder's joinDeltas mode (sse-events.ts + delta-runs.ts): whatever the stream and however it is cut into
// chunks, a consumer that appends each delta's text gets what the plain decoder gives: the same other events,
// in the same places, and the same text for every part. Recorded streams from OpenAI's and Azure's servers,
// the mock's streams in both key orders, and framings the fast path does not read (CRLF, id lines, comments).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createResponsesEventDecoder } from '../../src/upstream/sse-events.ts';
import type { ResponsesEvent } from '../../src/wire/responses-stream.ts';
import { longText, reasoningThenText, textThenFunctionCall, toSse, text } from '../support/response-scenarios.ts';
import { eventsOf } from '../../bench/translate.ts';
import { rng } from '../../bench/text.ts';

const DELTA = /\.delta$/;

function decode(chunks: Array<string | Uint8Array>, joinDeltas: boolean): { events: ResponsesEvent[]; batches: number[] } {
  const d = createResponsesEventDecoder({ joinDeltas });
  const events: ResponsesEvent[] = [];
  const batches: number[] = [];
  for (const c of chunks) {
    const got = d.push(c);
    batches.push(got.length);
    events.push(...got);
  }
  events.push(...d.end());
  return { events, batches };
}

/** What an appending consumer sees: other events as they are, each run of one part's deltas as its text. */
function fold(events: ResponsesEvent[]): unknown[] {
  const out: unknown[] = [];
  let last: { part: string; text: string } | null = null;
  for (const ev of events) {
    if (DELTA.test(ev.type) && typeof ev.delta === 'string') {
      const part = JSON.stringify([ev.type, ev.item_id, ev.output_index, ev.content_index, ev.summary_index]);
      if (last !== null && last.part === part) last.text += ev.delta;
      else out.push(last = { part, text: ev.delta });
    } else {
      last = null;
      out.push(ev);
    }
  }
  return out;
}

function sortedKeys(ev: ResponsesEvent): ResponsesEvent {
  const o = ev as Record<string, unknown>;
  return Object.fromEntries([['type', o.type], ...Object.keys(o).filter((k) => k !== 'type').sort().map((k) => [k, o[k]])]) as ResponsesEvent;
}

const recorded = (): Array<[string, ResponsesEvent[]]> => {
  const dir = new URL('../fixtures/responses/', import.meta.url);
  return readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort().map((f) => [f, readFileSync(new URL(f, dir), 'utf8')
    .split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as ResponsesEvent)]);
};

const ESCAPES = ['say "hi"\n', 'C:\\path\\', 'tab\there', ' é – 日本 😀', '\u0001ctl', '</script>', '{"a":1}', ' plain'];

const streams = (): Array<[string, ResponsesEvent[]]> => [
  ...recorded(),
  ['mock, 60 deltas', eventsOf(longText(60))],
  ['mock, 60 deltas, keys sorted', eventsOf(longText(60)).map(sortedKeys)],
  ['mock, escapes and non-ASCII', eventsOf(text(ESCAPES.join(''), { chunks: ESCAPES }))],
  ['mock, reasoning summaries then text', eventsOf(reasoningThenText({ summaries: ['**Plan** one', 'two "quoted"'], encrypted: 'gAAAA', text: 'the answer here' }, { chunks: 4 }))],
  ['mock, text then a tool call', eventsOf(textThenFunctionCall('Reading it.', { name: 'Read', arguments: '{"file_path":"/tmp/a \\"b\\".ts"}', callId: 'call_1' }))],
  // sorted keys past the first output item: logprobs and obfuscation before a non-zero output_index
  ['mock, reasoning then text, keys sorted', eventsOf(reasoningThenText({ summaries: ['one two', 'three'], encrypted: 'gAAAA', text: 'four five six' }, { chunks: 3 }))
    .map((e) => sortedKeys(DELTA.test(e.type) ? { ...e, obfuscation: 'Xy1' } : e))],
  ['mock, text then a tool call, keys sorted', eventsOf(textThenFunctionCall('Reading it.', { name: 'Read', arguments: '{"a":1}', callId: 'call_1' })).map(sortedKeys)],
];

const framings: Array<[string, (evs: ResponsesEvent[]) => string]> = [
  ['event and data lines', toSse],
  ['data lines only', (evs) => evs.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('')],
  ['data: without its space', (evs) => evs.map((e) => `event: ${e.type}\ndata:${JSON.stringify(e)}\n\n`).join('')],
  ['CRLF line ends', (evs) => evs.map((e) => `event: ${e.type}\r\ndata: ${JSON.stringify(e)}\r\n\r\n`).join('')],
  ['id lines, comments and extra blank lines', (evs) => evs.map((e, i) => `${i % 3 === 0 ? ': keep-alive\n\n' : ''}id: ${i}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n${i % 5 === 0 ? '\n' : ''}`).join('')],
  ['every third event with an id line', (evs) => evs.map((e, i) => `${i % 3 === 0 ? `id: ${i}\n` : ''}event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join('')],
];

test('joined or not, an appending consumer gets the same reply: every stream, framing and chunking', () => {
  const random = rng(7);
  for (const [name, evs] of streams()) {
    for (const [framing, frame] of framings) {
      const sse = frame(evs);
      const bytes = Buffer.from(sse, 'utf8');
      const expected = fold(decode([sse], false).events);
      const chunkings: Array<[string, Array<string | Uint8Array>]> = [['one chunk', [sse]], ['bytes, one chunk', [bytes]]];
      // cut at random places (inside a frame, a UTF-8 character, a CRLF, between the two LFs of a blank line)
      for (let k = 0; k < 6; k++) {
        const cuts = Array.from({ length: 1 + Math.floor(random() * 8) }, () => Math.floor(random() * bytes.length)).sort((a, b) => a - b);
        const parts: Uint8Array[] = [];
        let at = 0;
        for (const c of [...cuts, bytes.length]) { parts.push(bytes.subarray(at, c)); at = c; }
        chunkings.push([`cut at ${cuts.join(',')}`, parts]);
      }
      for (const [how, chunks] of chunkings) {
        assert.deepEqual(fold(decode(chunks, true).events), expected, `${name}, ${framing}, ${how}`);
      }
    }
  }
});

test('cut in two at every position of a short stream: the same reply', () => {
  const evs = eventsOf(text('one "two" three\nfour', { chunks: ['one ', '"two" ', 'three\n', 'four'] }));
  for (const [framing, frame] of framings) {
    const sse = frame(evs);
    const expected = fold(decode([sse], false).events);
    for (let i = 0; i <= sse.length; i++) {
      assert.deepEqual(fold(decode([sse.slice(0, i), sse.slice(i)], true).events), expected, `${framing}, cut at ${i}`);
    }
  }
});

test('a chunk of deltas becomes the first delta alone, then one event per run', () => {
  const evs = eventsOf(longText(200));
  const { events } = decode([toSse(evs)], true);
  const deltas = events.filter((e) => DELTA.test(e.type));
  const pieces = evs.filter((e) => DELTA.test(e.type)).map((e) => e.delta);
  assert.equal(deltas.length, 2, 'the first delta, then the other 199 joined');
  assert.equal(deltas[0].delta, pieces[0], 'the first text goes out as it came');
  assert.equal(deltas[1].delta, pieces.slice(1).join(''));
  assert.deepEqual(Object.keys(deltas[1]), ['type', 'item_id', 'output_index', 'content_index', 'delta']);
  // the other events are the plain decoder's, untouched
  assert.deepEqual(events.filter((e) => !DELTA.test(e.type)), decode([toSse(evs)], false).events.filter((e) => !DELTA.test(e.type)));
});

test('runs end at a chunk\'s end, at another event and at another part', () => {
  const evs = eventsOf(reasoningThenText({ summaries: ['a b c d', 'e f g h'], encrypted: 'gAAAA', text: 'one two three four' }, { chunks: 4 }));
  const sse = toSse(evs);
  const whole = decode([sse], true).events.filter((e) => DELTA.test(e.type));
  // summary 0 (its first delta alone, then the rest), summary 1, the text: one run each after the first
  assert.deepEqual(whole.map((e) => [e.type, e.summary_index ?? e.content_index]), [
    ['response.reasoning_summary_text.delta', 0], ['response.reasoning_summary_text.delta', 0],
    ['response.reasoning_summary_text.delta', 1], ['response.output_text.delta', 0],
  ]);
  // the same stream one frame per chunk: nothing to join, one event per delta
  const frames = sse.split(/(?<=\n\n)/);
  const { events, batches } = decode(frames, true);
  assert.equal(events.filter((e) => DELTA.test(e.type)).length, evs.filter((e) => DELTA.test(e.type)).length);
  assert.ok(batches.every((n) => n <= 1));
});

test('a delta frame the fast path does not take goes to JSON.parse, with its rules', () => {
  // summary_index twice (sorted order): JSON.parse keeps the last
  const twice = '{"type":"response.reasoning_summary_text.delta","delta":"x","item_id":"rs_1","output_index":0,"summary_index":1,"sequence_number":3,"summary_index":2}';
  // whitespace in the JSON, an unknown field
  const spaced = '{"type": "response.output_text.delta", "item_id": "m", "output_index": 0, "content_index": 0, "delta": "y"}';
  const extra = '{"type":"response.output_text.delta","item_id":"m","output_index":0,"content_index":0,"delta":"z","extra":true}';
  const sse = [twice, spaced, extra].map((d) => `data: ${d}\n\n`).join('');
  assert.deepEqual(decode([sse], true).events, [JSON.parse(twice), JSON.parse(spaced), JSON.parse(extra)]);
});

test('malformed data after joined deltas: the deltas first, then the protocol error', () => {
  const evs = eventsOf(longText(5)).filter((e) => DELTA.test(e.type));
  const d = createResponsesEventDecoder({ joinDeltas: true });
  const got = d.push(`${toSse(evs)}data: {"type":"response.output_text.delta",\n\n`);
  assert.equal(got.map((e) => e.delta).join(''), evs.map((e) => e.delta).join(''));
  assert.match(String(d.failure), /malformed JSON/);
  assert.throws(() => d.push('data: {}\n\n'), /malformed JSON/);
});

/** Events and the protocol error, as a consumer meets them (push after push until the error is thrown). */
function outcome(chunks: string[], joinDeltas: boolean): { folded: unknown[]; error: string | null } {
  const d = createResponsesEventDecoder({ joinDeltas });
  const events: ResponsesEvent[] = [];
  try {
    for (const c of chunks) events.push(...d.push(c));
    events.push(...d.end());
    return { folded: fold(events), error: d.failure === null ? null : String(d.failure) };
  } catch (e) {
    return { folded: fold(events), error: String(e) };
  }
}

test('an event spread over lines or cut mid-way reads as SSE says, wherever the chunks are cut', () => {
  const delta = (t: string, item = 'msg_1') => `{"type":"response.output_text.delta","item_id":"${item}","output_index":0,"content_index":0,"delta":"${t}"}`;
  const cases: Array<[string, string]> = [
    // a data line the parser holds, then a delta frame: one event with two data lines (not JSON): an error
    ['a held data line joins the next frame', `data: ${delta('a')}\n\ndata: 1\ndata: ${delta('b')}\n\n`],
    // a lone CR ends a line: the data line after it belongs to the same event
    ['a lone CR inside an event line', `data: ${delta('a')}\n\nevent: x\rdata: 1\ndata: ${delta('b')}\n\n`],
    // valid JSON over two data lines (they join with a LF, which JSON allows between tokens)
    ['one event over two data lines', `data: ${delta('a')}\n\ndata: {"type":"response.output_text.delta","item_id":"msg_1",\ndata: "output_index":0,"content_index":0,"delta":"b"}\n\ndata: ${delta('c')}\n\n`],
    // an event line held across the cut, then its data
    ['an event line, then its data', `event: response.output_text.delta\ndata: ${delta('a')}\n\nevent: response.output_text.delta\ndata: ${delta('b')}\n\n`],
    // the same part but another item: never joined
    ['another item, same indices', `data: ${delta('a')}\n\ndata: ${delta('b')}\n\ndata: ${delta('c', 'msg_2')}\n\ndata: ${delta('d')}\n\n`],
  ];
  for (const [name, sse] of cases) {
    const expected = outcome([sse], false);
    for (let i = 0; i <= sse.length; i++) {
      assert.deepEqual(outcome([sse.slice(0, i), sse.slice(i)], true), expected, `${name}, cut at ${i}`);
    }
  }
});

test('another item, or another part of the same item, is another run', () => {
  const d = (t: string, item: string) => `data: {"type":"response.output_text.delta","item_id":"${item}","output_index":0,"content_index":0,"delta":"${t}"}\n\n`;
  const { events } = decode([d('first', 'm1') + d('a', 'm1') + d('b', 'm1') + d('c', 'm2') + d('d', 'm2')], true);
  assert.deepEqual(events.map((e) => [e.item_id, e.delta]), [['m1', 'first'], ['m1', 'ab'], ['m2', 'cd']]);
  // and another content part of the same item
  const part = (t: string, k: number) => `data: {"type":"response.output_text.delta","item_id":"m1","output_index":0,"content_index":${k},"delta":"${t}"}\n\n`;
  const parts = decode([part('first', 0) + part('a', 0) + part('b', 1) + part('c', 1)], true).events;
  assert.deepEqual(parts.map((e) => [e.content_index, e.delta]), [[0, 'first'], [0, 'a'], [1, 'bc']]);
  // or the same item id at another output index (no upstream sends it; the part is still another)
  const at = (t: string, o: number) => `data: {"type":"response.output_text.delta","item_id":"m1","output_index":${o},"content_index":0,"delta":"${t}"}\n\n`;
  const places = decode([at('first', 0) + at('a', 0) + at('b', 1) + at('c', 1)], true).events;
  assert.deepEqual(places.map((e) => [e.output_index, e.delta]), [[0, 'first'], [0, 'a'], [1, 'bc']]);
});

test('a chunk that starts with the blank line ending the last chunk\'s event is still read joined', () => {
  const frames = eventsOf(longText(40)).filter((e) => DELTA.test(e.type)).map((e) => toSse([e]));
  // chunk 1: two whole frames and a third without its blank line; chunk 2: that blank line, then 37 frames
  const head = frames.slice(0, 3).join('').slice(0, -1);
  const { events, batches } = decode([head, '\n' + frames.slice(3).join('')], true);
  const pieces = eventsOf(longText(40)).filter((e) => DELTA.test(e.type)).map((e) => e.delta);
  assert.deepEqual(batches, [2, 2], 'chunk 2: the held frame (through the parser), then one run of 37');
  assert.deepEqual(events.map((e) => e.delta), [pieces[0], pieces[1], pieces[2], pieces.slice(3).join('')]);
});
