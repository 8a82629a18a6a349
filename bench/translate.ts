// Translation alone, in one thread (= per core, timed in CPU time): Responses events in, Anthropic SSE text
// out, no sockets.
//   decode+translate: SSE bytes -> createResponsesEventDecoder -> StreamTranslator -> serializeEvents (what the
//                     gateway does per upstream chunk); chunked one event per chunk, as a live stream arrives
//   translate:        parsed events -> StreamTranslator -> serializeEvents
// Streams: the recorded-style fixtures in test/fixtures/responses/*.jsonl and generated long streams.
// Usage: node bench/translate.ts [--ms 4000] [--json]
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { ResponsesEvent } from '../src/wire/responses-stream.ts';
import type { StreamEvent } from '../src/wire/anthropic-stream.ts';
import { StreamTranslator } from '../src/translate/stream-to-anthropic.ts';
import { createResponsesEventDecoder } from '../src/upstream/sse-events.ts';
import { serializeEvents } from '../src/server/sse.ts';
import { functionCalls, longText, reasoningThenText, toSse } from '../test/support/response-scenarios.ts';
import type { Scenario } from '../test/support/response-scenarios.ts';

export interface TranslateResult {
  /** upstream events per second, one thread */
  eventsPerSec: { decodeTranslate: number; translate: number };
  /** per stream set: events per second (decode+translate) */
  byStream: Array<{ name: string; events: number; eventsPerSec: number; outBytesPerEvent: number }>;
}

interface Stream { name: string; events: ResponsesEvent[]; chunks: Buffer[] }

/** A scenario's events, each response object given a model (as an upstream names it). */
export function eventsOf(s: Scenario): ResponsesEvent[] {
  if (s.kind !== 'events') throw new Error('events scenario expected');
  return s.events.map((e) => (e.response && e.response.model === undefined ? { ...e, response: { ...e.response, model: 'gpt-5-codex' } } : e));
}

function loadStreams(): Stream[] {
  const dir = new URL('../test/fixtures/responses/', import.meta.url);
  const recorded: ResponsesEvent[][] = readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort().map((f) =>
    readFileSync(new URL(f, dir), 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as ResponsesEvent));
  const sets: Array<{ name: string; streams: ResponsesEvent[][] }> = [
    { name: `recorded fixtures (${recorded.length} streams)`, streams: recorded },
    { name: 'long text (500 deltas)', streams: [eventsOf(longText(500))] },
    {
      name: 'reasoning + text (300 deltas)',
      streams: [eventsOf(reasoningThenText(
        { summaries: ['**Plan**\n\n' + 'Think about the next step. '.repeat(40), '**Check**\n\n' + 'Verify it again. '.repeat(40)], encrypted: 'gAAAAB' + 'x'.repeat(2000), text: 'word '.repeat(300) },
        { chunks: 300 },
      ))],
    },
    {
      name: 'tool calls (3 x 100 argument deltas)',
      streams: [eventsOf(functionCalls([
        { name: 'Shell', arguments: { command: 'ls -la '.repeat(60) } },
        { name: 'ReadFile', arguments: { file_path: '/home/dev/project/src/' + 'a'.repeat(300) } },
        { name: 'EditFile', arguments: { file_path: '/x', old_string: 'foo '.repeat(80), new_string: 'bar '.repeat(80) } },
      ], { argChunks: 100 }))],
    },
  ];
  return sets.map((s) => {
    const events = s.streams.flat();
    // one chunk per event, streams one after the other (each decoder sees one stream)
    const chunks = s.streams.flatMap((evs) => evs.map((e) => Buffer.from(toSse([e]))));
    return { name: s.name, events, chunks, bounds: s.streams.map((x) => x.length) } as Stream & { bounds: number[] };
  });
}

/** Counts the bytes of the frames written. */
class Sink {
  bytes = 0;
  /** the frames of one batch, as the relay writes them (a chunk's events at once) */
  write(events: StreamEvent[]): void { if (events.length > 0) this.bytes += serializeEvents(events).length; }
}

function runDecodeTranslate(s: Stream & { bounds?: number[] }, sink: Sink): number {
  let n = 0;
  let at = 0;
  for (const len of s.bounds ?? [s.chunks.length]) {
    const dec = createResponsesEventDecoder();
    const t = new StreamTranslator({ model: 'claude-sonnet-4-5' });
    for (let i = at; i < at + len; i++) {
      const evs = dec.push(s.chunks[i]);
      const out: StreamEvent[] = [];
      for (let j = 0; j < evs.length; j++) {
        t.push(evs[j], out);
        n++;
      }
      sink.write(out);
    }
    const rest: StreamEvent[] = [];
    for (const ev of dec.end()) { t.push(ev, rest); n++; }
    for (const ev of t.end()) rest.push(ev);
    sink.write(rest);
    at += len;
  }
  return n;
}

function runTranslate(s: Stream & { bounds?: number[] }, sink: Sink): number {
  let at = 0;
  for (const len of s.bounds ?? [s.events.length]) {
    const t = new StreamTranslator({ model: 'claude-sonnet-4-5' });
    for (let i = at; i < at + len; i++) sink.write(t.push(s.events[i]));
    sink.write(t.end());
    at += len;
  }
  return s.events.length;
}

/** This thread's CPU time in ms: other processes on a busy machine do not count against the result. */
export function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Events per CPU second of `fn`, run for about `ms` of CPU time after a warm-up. */
function rate(ms: number, fn: () => number): number {
  const warmEnd = cpuNow() + Math.min(300, ms / 4);
  while (cpuNow() < warmEnd) fn();
  let events = 0;
  const start = cpuNow();
  let now = start;
  while (now - start < ms) {
    events += fn();
    now = cpuNow();
  }
  return (events / (now - start)) * 1000;
}

export function benchTranslate(msTotal: number): TranslateResult {
  const streams = loadStreams();
  const per = msTotal / (streams.length + 2);
  const sink = new Sink();
  const byStream = streams.map((s) => {
    sink.bytes = 0;
    const events = runDecodeTranslate(s, sink);
    const outBytesPerEvent = sink.bytes / events;
    return { name: s.name, events: s.events.length, eventsPerSec: rate(per, () => runDecodeTranslate(s, sink)), outBytesPerEvent };
  });
  // aggregate: every stream set in turn, weighted by its events
  const all = (fn: (s: Stream, k: Sink) => number) => () => streams.reduce((n, s) => n + fn(s, sink), 0);
  return {
    eventsPerSec: { decodeTranslate: rate(per, all(runDecodeTranslate)), translate: rate(per, all(runTranslate)) },
    byStream,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { ms: { type: 'string', default: '4000' }, json: { type: 'boolean', default: false } } });
  const r = benchTranslate(Number(values.ms));
  if (!values.json) {
    console.log(`decode+translate+serialise: ${Math.round(r.eventsPerSec.decodeTranslate).toLocaleString('en-US')} events/s per core`);
    console.log(`translate+serialise:        ${Math.round(r.eventsPerSec.translate).toLocaleString('en-US')} events/s per core`);
    for (const s of r.byStream) console.log(`  ${s.name.padEnd(40)} ${Math.round(s.eventsPerSec).toLocaleString('en-US').padStart(10)} events/s  (${s.events} events, ${s.outBytesPerEvent.toFixed(0)} B out/event)`);
  }
  console.log(JSON.stringify(r));
}
