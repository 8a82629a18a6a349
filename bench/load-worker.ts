// The load generator: a separate process (forked by bench/main.ts, commands over IPC) that sends requests
// through one keep-alive undici Pool per origin and times each: response headers (TTFB), first text delta
// (TTFT), end of body. It only scans bytes for markers; it never parses the streams.
import { Pool } from 'undici';
import { bodyText, type BodyName } from './bodies.ts';

export type LoadMode = 'anthropic' | 'responses' | 'json';

export interface LoadSpec {
  origin: string;
  path: string;
  headers: Record<string, string>;
  body: BodyName;
  /** a new body per request (bodyText(body, i)); otherwise one body for all */
  uniqueBodies?: boolean;
  concurrency: number;
  requests: number;
  /** requests sent first and not counted (connections, JIT) */
  warmup: number;
  /** the measured phase stops starting requests after this long */
  maxMs: number;
  mode: LoadMode;
  /**
   * stamp each measured request for bench/hops.ts: an `x-bench-t0` header with the send time, and the time the
   * first text was seen, both on the machine's monotonic clock (the one every process reads), in `stamps`
   */
  stamp?: boolean;
}

export interface LoadResult {
  completed: number;
  errors: number;
  errorSamples: string[];
  wallMs: number;
  ttfb: number[];
  ttft: number[];
  total: number[];
  bytes: number;
  /** with `stamp`: [sent, first text seen] per measured request, ms on the monotonic clock (see monotonicMs) */
  stamps?: Array<[number, number]>;
}

/** Milliseconds on CLOCK_MONOTONIC: the same clock in every process on the machine (performance.now() is not). */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

const MARKERS: Record<LoadMode, { text: string | null; end: string; error: string[] }> = {
  anthropic: { text: '"text_delta"', end: 'event: message_stop', error: ['event: error\n'] },
  responses: { text: 'event: response.output_text.delta', end: 'event: response.completed', error: ['event: error\n', 'event: response.failed'] },
  json: { text: null, end: 'input_tokens', error: ['"type":"error"'] },
};

const pools = new Map<string, Pool>();

function poolFor(origin: string): Pool {
  let p = pools.get(origin);
  if (!p) {
    p = new Pool(origin, { connections: 512, pipelining: 1, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 120_000 });
    pools.set(origin, p);
  }
  return p;
}

interface One { ok: boolean; why?: string; ttfb: number; ttft: number; total: number; bytes: number; stamp?: [number, number] }

/** An event line's start: the stream is read as if a line break came before its first byte. */
const EVENT_LINE = Buffer.from('\nevent: ');

/**
 * Finds the first occurrence of each of a set of markers in a byte stream, also when a chunk boundary splits
 * one. The markers that name an SSE event (`event: ...`) are found as event lines, in one pass a chunk for a
 * line break followed by `event: `: the echoed request, most of a direct reply's ~250 KB, holds no line break,
 * so that pass skips it at memchr's speed. One pass a marker cost this process ~0.35 ms a direct reply, CPU
 * the mock on the same two cores then lacked, and which wrk does not take from it. Other markers (a text delta
 * inside an Anthropic event, a JSON field) get a pass of their own.
 */
export class MarkerScan {
  /** what is searched: an event marker with the line break before it */
  readonly #patterns: Buffer[];
  readonly #eventLine: boolean[];
  readonly #keep: number;
  #carry: Buffer = Buffer.from('\n');
  readonly found: boolean[];

  constructor(markers: readonly string[]) {
    this.#eventLine = markers.map((m) => m.startsWith('event: '));
    this.#patterns = markers.map((m, k) => Buffer.from(this.#eventLine[k] ? `\n${m}` : m));
    this.found = markers.map(() => false);
    this.#keep = Math.max(1, ...this.#patterns.map((m) => m.length - 1));
  }

  /** feeds one chunk; `found` tells which markers the stream has held so far */
  feed(chunk: Buffer): void {
    const carry = this.#carry;
    // the markers that begin in the carried tail of the last chunk and end in this one
    this.#scan(Buffer.concat([carry, chunk.subarray(0, this.#keep)]), carry.length);
    this.#scan(chunk, chunk.length);
    this.#carry = chunk.length >= this.#keep ? chunk.subarray(chunk.length - this.#keep) : Buffer.concat([carry, chunk]).subarray(-this.#keep);
  }

  /** looks for the markers not found yet that start before `before` and lie wholly in `buf` */
  #scan(buf: Buffer, before: number): void {
    const ps = this.#patterns;
    let lines = false;
    for (let k = 0; k < ps.length; k++) {
      if (this.found[k]) continue;
      if (this.#eventLine[k]) { lines = true; continue; }
      const at = buf.indexOf(ps[k]);
      if (at >= 0 && at < before) this.found[k] = true;
    }
    if (!lines) return;
    for (let at = buf.indexOf(EVENT_LINE); at >= 0 && at < before; at = buf.indexOf(EVENT_LINE, at + 1)) {
      for (let k = 0; k < ps.length; k++) {
        if (this.found[k] || !this.#eventLine[k]) continue;
        const p = ps[k];
        if (at + p.length <= buf.length && buf.compare(p, 0, p.length, at, at + p.length) === 0) this.found[k] = true;
      }
    }
  }
}

async function one(pool: Pool, spec: LoadSpec, body: Buffer, stamp = false): Promise<One> {
  const m = MARKERS[spec.mode];
  const sent = stamp ? monotonicMs() : 0;
  const t0 = performance.now();
  let res;
  try {
    res = await pool.request({
      path: spec.path, method: 'POST', headers: stamp ? { ...spec.headers, 'x-bench-t0': String(sent) } : spec.headers,
      body, headersTimeout: 60_000, bodyTimeout: 60_000,
    });
  } catch (e) {
    return { ok: false, why: `request: ${(e as Error).message}`, ttfb: 0, ttft: 0, total: 0, bytes: 0 };
  }
  const ttfb = performance.now() - t0;
  let ttft = -1;
  let textSeen = -1;
  let bytes = 0;
  let tail: Buffer = Buffer.alloc(0);
  // [end, ...errors, text?]: one scanner for all of them
  const scan = new MarkerScan([m.end, ...m.error, ...(m.text === null ? [] : [m.text])]);
  const textAt = m.text === null ? -1 : 1 + m.error.length;
  try {
    for await (const c of res.body) {
      const chunk = c as Buffer;
      bytes += chunk.length;
      scan.feed(chunk);
      if (textAt >= 0 && ttft < 0 && scan.found[textAt]) {
        ttft = performance.now() - t0;
        if (stamp) textSeen = monotonicMs();
      }
      tail = chunk.length >= 200 ? chunk.subarray(chunk.length - 200) : Buffer.concat([tail, chunk]).subarray(-200);
    }
  } catch (e) {
    return { ok: false, why: `body: ${(e as Error).message}`, ttfb, ttft, total: performance.now() - t0, bytes };
  }
  const total = performance.now() - t0;
  const last = (): string => tail.toString('utf8').replace(/\s+/g, ' ').slice(-160);
  if (res.statusCode !== 200) return { ok: false, why: `HTTP ${res.statusCode}: ${last()}`, ttfb, ttft, total, bytes };
  if (m.error.some((_, i) => scan.found[1 + i])) return { ok: false, why: `error in the stream: ${last()}`, ttfb, ttft, total, bytes };
  if (!scan.found[0]) return { ok: false, why: `no ${m.end} in the reply`, ttfb, ttft, total, bytes };
  if (textAt >= 0 && ttft < 0) return { ok: false, why: 'no text delta', ttfb, ttft, total, bytes };
  return { ok: true, ttfb, ttft, total, bytes, ...(stamp ? { stamp: [sent, textSeen] as [number, number] } : {}) };
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const pool = poolFor(spec.origin);
  const n = spec.warmup + spec.requests;
  const bodies: Buffer[] = spec.uniqueBodies
    ? Array.from({ length: n }, (_, i) => Buffer.from(bodyText(spec.body, i)))
    : [Buffer.from(bodyText(spec.body))];
  const bodyFor = (i: number): Buffer => bodies[spec.uniqueBodies ? i : 0];

  // warm-up: same concurrency, not recorded
  let w = 0;
  await Promise.all(Array.from({ length: Math.min(spec.concurrency, Math.max(1, spec.warmup)) }, async () => {
    while (w < spec.warmup) await one(pool, spec, bodyFor(w++));
  }));

  const r: LoadResult = { completed: 0, errors: 0, errorSamples: [], wallMs: 0, ttfb: [], ttft: [], total: [], bytes: 0 };
  let next = 0;
  const start = performance.now();
  const deadline = start + spec.maxMs;
  await Promise.all(Array.from({ length: spec.concurrency }, async () => {
    while (next < spec.requests && performance.now() < deadline) {
      const o = await one(pool, spec, bodyFor(spec.warmup + next++), spec.stamp === true);
      r.bytes += o.bytes;
      if (!o.ok) {
        r.errors++;
        if (r.errorSamples.length < 5) r.errorSamples.push(o.why ?? 'unknown');
        continue;
      }
      r.completed++;
      r.ttfb.push(o.ttfb);
      if (o.ttft >= 0) r.ttft.push(o.ttft);
      r.total.push(o.total);
      if (o.stamp) (r.stamps ??= []).push(o.stamp);
    }
  }));
  r.wallMs = performance.now() - start;
  return r;
}

// IPC: {id, spec} in, {id, result} or {id, error} out. Exits with the parent.
if (process.send) {
  process.on('message', (msg: { id: number; spec: LoadSpec }) => {
    runLoad(msg.spec).then(
      (result) => process.send!({ id: msg.id, result }),
      (e: unknown) => process.send!({ id: msg.id, error: (e as Error)?.stack ?? String(e) }),
    );
  });
  process.on('disconnect', () => {
    for (const p of pools.values()) p.destroy().catch(() => {});
    process.exit(0);
  });
}
