// Where the first text's time goes, hop by hop (the bench's hops phase). The load generator stamps each request
// with its send time and notes when it saw the first text; the mock upstream and the gateway, each with
// bench/hop-tap.mjs preloaded, note when each request started, when the gateway called the upstream and when
// each wrote its first text. All on the machine's monotonic clock, so one request's times from three processes
// line up, and the steps below add up to the time to first text, request by request.
//
// Instrumented processes are not the measured ones: this phase has a mock and a gateway of its own, and the
// latency phase's figures (the targets) come from processes without the preload.
import { readFileSync } from 'node:fs';
import { pct } from './stats.ts';

/** One request as a server saw it (bench/hop-tap.mjs writes these). */
export interface HopRecord {
  /** the client's send time, when the request carried one (x-bench-t0) */
  stamp: number | null;
  /** sent by the gateway (its user-agent), not by the load generator */
  viaGateway: boolean;
  start: number;
  /** the server's first upstream request (the gateway's; null in the mock) */
  upstream: number | null;
  /** its first write that held a text delta */
  text: number | null;
}

/** [sent, first text seen] on the client, per request (load-worker.ts `stamps`). */
export type ClientStamp = [number, number];

export interface DirectHops {
  /** the client's send to the mock's request start: the client's write, the loopback, the mock waking up */
  toMock: number;
  /** the mock's request start to its first text written: reading the body, the reply's first events */
  mock: number;
  /** the mock's text written to the client seeing it */
  toClient: number;
  total: number;
}

export interface ThroughHops {
  /** the client's send to the gateway's request start */
  toGateway: number;
  /** the gateway's request start to its upstream request: reading, checking, translating and serialising the body */
  gatewayBefore: number;
  /** the gateway's upstream request to the mock's request start: the second hop */
  toMock: number;
  /** the mock's request start to its first text written (as on the direct path, but for the gateway's body) */
  mock: number;
  /** the mock's text written to the gateway's own written: reading the reply up to it, translating it */
  gatewayAfter: number;
  /** the gateway's text written to the client seeing it */
  toClient: number;
  total: number;
}

export interface HopsResult {
  size: string;
  /** requests with every time in place, of those that succeeded (others lost a record: counted, not guessed at) */
  matched: { direct: number; through: number; sent: number };
  /** requests that failed (no stamps: not in `sent`); absent in results written before it was counted */
  errors?: number;
  /** p50s (nearest rank), ms; the steps' p50s need not add up to the total's (each is its own) */
  direct: DirectHops;
  through: ThroughHops;
}

/** Each key's p50, as the rest of the bench takes it (nearest rank, stats.ts). */
function medians<K extends string>(rows: Array<Record<K, number>>, keys: readonly K[]): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const k of keys) out[k] = pct(rows.map((r) => r[k]), 50);
  return out;
}

/** The JSON lines of a hop-tap file; a torn or foreign line is skipped. */
export function parseHopRecords(text: string): HopRecord[] {
  const out: HopRecord[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const r = JSON.parse(line) as HopRecord;
      if (typeof r.start === 'number') out.push(r);
    } catch { /* a line cut by a stopped process */ }
  }
  return out;
}

export function readHopRecords(file: string): HopRecord[] {
  try {
    return parseHopRecords(readFileSync(file, 'utf8'));
  } catch {
    return [];
  }
}

const DIRECT_KEYS = ['toMock', 'mock', 'toClient', 'total'] as const;
const THROUGH_KEYS = ['toGateway', 'gatewayBefore', 'toMock', 'mock', 'gatewayAfter', 'toClient', 'total'] as const;

/**
 * The steps of each request, joined across the processes: a direct request by its stamp in the mock's records;
 * a request through the gateway by its stamp in the gateway's, and the mock's request the gateway made for it
 * as the first one the mock started after the gateway's upstream call (one stream: one request at a time).
 * A request that lost any time, or whose times are out of order (the clocks would not agree), is left out.
 */
export function hopBreakdown(size: string, direct: ClientStamp[], through: ClientStamp[], mock: HopRecord[], gateway: HopRecord[]): HopsResult {
  const mockByStamp = new Map<number, HopRecord>();
  const mockFromGateway: HopRecord[] = [];
  for (const r of mock) {
    if (r.viaGateway) mockFromGateway.push(r);
    else if (r.stamp !== null) mockByStamp.set(r.stamp, r);
  }
  mockFromGateway.sort((a, b) => a.start - b.start);
  const gatewayByStamp = new Map<number, HopRecord>();
  for (const r of gateway) if (r.stamp !== null) gatewayByStamp.set(r.stamp, r);
  const ordered = (...ts: Array<number | null>): boolean => ts.every((t, i) => t !== null && Number.isFinite(t) && (i === 0 || t >= (ts[i - 1] as number)));

  const d: DirectHops[] = [];
  for (const [sent, seen] of direct) {
    const m = mockByStamp.get(sent);
    if (!m || !ordered(sent, m.start, m.text, seen)) continue;
    d.push({ toMock: m.start - sent, mock: m.text! - m.start, toClient: seen - m.text!, total: seen - sent });
  }
  const t: ThroughHops[] = [];
  for (const [sent, seen] of through) {
    const g = gatewayByStamp.get(sent);
    if (!g || g.upstream === null) continue;
    const m = firstAtOrAfter(mockFromGateway, g.upstream);
    if (!m || !ordered(sent, g.start, g.upstream, m.start, m.text, g.text, seen)) continue;
    t.push({
      toGateway: g.start - sent, gatewayBefore: g.upstream - g.start, toMock: m.start - g.upstream,
      mock: m.text! - m.start, gatewayAfter: g.text! - m.text!, toClient: seen - g.text!, total: seen - sent,
    });
  }
  return {
    size,
    matched: { direct: d.length, through: t.length, sent: direct.length + through.length },
    direct: medians(d, DIRECT_KEYS),
    through: medians(t, THROUGH_KEYS),
  };
}

/** The first record (sorted by start) that started at or after `at`. */
function firstAtOrAfter(sorted: HopRecord[], at: number): HopRecord | undefined {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid].start < at) lo = mid + 1;
    else hi = mid;
  }
  return sorted[lo];
}
