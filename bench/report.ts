// Benchmark results: their shape, the targets (PASS/FAIL) and the markdown report.
import type { TranslateResult } from './translate.ts';
import type { HopsResult } from './hops.ts';
import { fmt, type Summary } from './stats.ts';

export interface StreamRow {
  /** direct: the floor; through: packybridge; ceiling: bench/ceiling-proxy.ts, the least a Node gateway does */
  path: 'direct' | 'through' | 'ceiling';
  /** batch: headers and the whole reply in one write (the default: the fastest floor); per-event: one write per
   *  event; events-per-write:N: N events per write, one write per event-loop turn */
  mock: 'per-event' | 'batch' | `events-per-write:${number}`;
  /** the body name (bench/bodies.ts) and the reply's text deltas */
  request: string;
  replyDeltas: number;
  concurrency: number;
  requests: number;
  completed: number;
  errors: number;
  errorSamples: string[];
  rps: number;
  ttfb: Summary;
  ttft: Summary;
  total: Summary;
  kbPerReply: number;
  mockCpuMsPerReq: number;
  loadgenCpuMsPerReq: number;
  gatewayCpuMsPerReq?: number;
  gatewayPeakRssMb?: number;
  /** one-minute load average when the row was measured */
  loadavg: number;
  /** CPU time the hypervisor took from this VM while the row was measured, % of the machine's (absent in older results) */
  stealPct?: number;
}

/** How the cost grows: gateway CPU per request for one request size and reply length. */
export interface CostRow {
  body: string;
  kb: number;
  replyDeltas: number;
  requests: number;
  errors: number;
  cpuMsPerReq: number;
  requestsPerCoreSec: number;
  loadavg: number;
}

/** Streams whose replies come at a real upstream's pace (one event every eventEveryMs ms). */
export interface PacedRow {
  body: string;
  streams: number;
  eventEveryMs: number;
  replyDeltas: number;
  completed: number;
  errors: number;
  /** text deltas a stream received a second, over the run */
  deltasPerSec: number;
  /** the gateway's CPU over the measured window, % of one core */
  cpuPct: number;
  cpuMsPerStreamSec: number;
  /** cpuMsPerStreamSec × the reply's duration */
  cpuMsPerReq: number;
  streamsPerCore: number;
  peakRssMb: number;
  loadavg: number;
}

export interface ProfileResult {
  request: string;
  replyDeltas: number;
  concurrency: number;
  requests: number;
  /** CPU per request from /proc (what the process used) and from the profile's samples (idle left out) */
  cpuMsPerReq: number;
  sampledMsPerReq: number;
  loadavg: number;
  file: string;
  byModule: Array<{ module: string; msPerReq: number }>;
  selfTop: Array<{ fn: string; module: string; msPerReq: number }>;
}

export interface LatencyRow {
  /** body name: small, cc76k, ... */
  size: string;
  kb: number;
  requests: number;
  errors: number;
  errorSamples: string[];
  direct: { ttfb: Summary; ttft: Summary };
  through: { ttfb: Summary; ttft: Summary };
  addedTtftP50: number;
  addedTtftP95: number;
  /** what the ceiling proxy (bench/ceiling-proxy.ts) adds, p50: a bare Node proxy that parses and re-serialises the request */
  ceilingAddedTtftP50?: number;
  /** what the byte pipe (bench/byte-pipe.ts) adds, p50: the least any process in the path adds on this machine */
  pipeAddedTtftP50?: number;
  /** CPU time the hypervisor took from this VM during the latency phase, % of the machine's */
  stealPct?: number;
}

interface CountInProcess { full: Summary; count: Summary; kb: number; tokens: number }
interface CountHttp { total: Summary; errors: number; errorSamples: string[] }

export interface TargetResult {
  name: string; value: number; limit: string; unit: string; pass: boolean | null; note?: string;
  /** a stricter comparison of our own, not one of the issue's targets: reported, not judged (no --strict failure) */
  informational?: boolean;
}

export interface Results {
  date: string;
  machine: { cpu: string; cores: number; node: string; platform: string; loadavgAtStart: number; busyPctBeforeStart?: number };
  setup: { request: string; mock: string; gateway: string; quick: boolean; ceilingEvents?: boolean; warmup?: number };
  translate?: TranslateResult;
  /** heap a stream's translator keeps in the middle of a 10,000-delta tool call (bench/retained.ts) */
  retainedKbPerStream?: number;
  latency: LatencyRow[];
  /** where the first text's time goes, hop by hop (bench/hops.ts); absent before round 20 and with --only without hops */
  hops?: HopsResult;
  streams: StreamRow[];
  cost: CostRow[];
  /** absent in results written before round 14 */
  paced?: PacedRow[];
  profile?: ProfileResult;
  countTokens: {
    inProcess?: { cold: CountInProcess; warm: CountInProcess; followUp: CountInProcess };
    http?: { cold: CountHttp; warm: CountHttp; followUp: CountHttp };
    /** the count phase's gateway: resident memory before its first count_tokens and after the phase */
    gatewayRssMb?: { before: number; after: number };
  };
  durationSec?: number;
  /** share of the whole machine's CPU in use during the run (ours and everything else) */
  machineBusyPct?: number;
  /** CPU time the hypervisor took from this VM over the whole run, % of the machine's */
  machineStealPct?: number;
  targets?: TargetResult[];
}

function row(rows: StreamRow[], path: StreamRow['path'], c: number): StreamRow | undefined {
  return rows.find((r) => r.path === path && r.concurrency === c);
}

/** What gatewayCpuBudget finds: the gateway CPU a request may cost, and the two limits it is the lower of. */
export interface CpuBudget {
  /** requests/s "through" must serve: share × the floor's */
  targetRps: number;
  /** the gateway's event loop is one thread: 1000 / targetRps */
  oneThreadMs: number;
  /** what the cores leave once the mock and the load generator have had their CPU a request */
  coresLeftMs: number;
  /** the lower of the two: more than this a request, and the share cannot be reached on this machine */
  budgetMs: number;
}

/**
 * The gateway CPU a request may cost for "through" to serve `share` (0.6: the issue's 60 %) of the direct floor's
 * requests/s on `cores` cores, when the mock and the load generator spend `othersMsPerReq` a request (their own
 * /proc CPU; the kernel's loopback work outside any process makes the real budget smaller still). The one-thread
 * limit is firm for the gateway's event loop; its process CPU also counts V8's helper threads, which may run on
 * another core, so compare it with the limit as an estimate.
 */
export function gatewayCpuBudget(directRps: number, othersMsPerReq: number, cores: number, share = 0.6): CpuBudget {
  const targetRps = share * directRps;
  const oneThreadMs = 1000 / targetRps;
  const coresLeftMs = (cores * 1000) / targetRps - othersMsPerReq;
  return { targetRps, oneThreadMs, coresLeftMs, budgetMs: Math.min(oneThreadMs, coresLeftMs) };
}

/** The issue's targets (issue 11), PASS/FAIL; informational rows are reported, not judged. */
export function evaluateTargets(r: Results): TargetResult[] {
  const out: TargetResult[] = [];
  const add = (name: string, value: number | undefined, limit: string, unit: string, ok: (v: number) => boolean, note?: string, informational = false): void => {
    const v = value ?? Number.NaN;
    out.push({ name, value: v, limit, unit, pass: Number.isFinite(v) ? ok(v) : null, ...(note ? { note } : {}), ...(informational ? { informational } : {}) });
  };
  const req = r.setup.request;
  const small = r.latency.find((l) => l.size === 'small');
  const big = r.latency.find((l) => l.size === req && req !== 'small');
  add(`added time to first text, 1 stream, ${req} request (p50)`, (big ?? small)?.addedTtftP50, '<= 1', 'ms', (v) => v <= 1);
  const bigPipe = (big ?? small)?.pipeAddedTtftP50;
  if (bigPipe !== undefined) add(`added time to first text, 1 stream, ${req} request, byte pipe (p50)`, bigPipe, '<= 1', 'ms', (v) => v <= 1, 'the least any process in the path adds: copies bytes, parses nothing', true);
  const bigCeiling = (big ?? small)?.ceilingAddedTtftP50;
  if (bigCeiling !== undefined) add(`added time to first text, 1 stream, ${req} request, ceiling proxy (p50)`, bigCeiling, '<= 1', 'ms', (v) => v <= 1, 'a bare Node proxy: parses and re-serialises the request, pipes the reply', true);
  if (big) add('added time to first text, 1 stream, small request (p50)', small?.addedTtftP50, '<= 1', 'ms', (v) => v <= 1, 'info', true);
  for (const c of [16, 64]) {
    const d = row(r.streams, 'direct', c);
    const t = row(r.streams, 'through', c);
    const k = row(r.streams, 'ceiling', c);
    add(`throughput at ${c} streams, through / direct floor`, d && t ? (100 * t.rps) / d.rps : undefined, '>= 60', '%', (v) => v >= 60,
      d && t ? `${fmt(t.rps, 0)} / ${fmt(d.rps, 0)} req/s, load ${t.loadavg}` : undefined);
    if (d && t && t.gatewayCpuMsPerReq !== undefined) {
      // what 60 % would let the gateway spend a request, next to what it spent (the ceiling proxy's in the note).
      // The mock and the load generator: each the lower of what it spent a request on the two paths, since a
      // process spends less a request the busier it is (fewer wake-ups), and at 60 % they would be busier than
      // on a through run far below it.
      const others = Math.min(t.mockCpuMsPerReq, d.mockCpuMsPerReq) + Math.min(t.loadgenCpuMsPerReq, d.loadgenCpuMsPerReq);
      const b = gatewayCpuBudget(d.rps, others, r.machine.cores);
      add(`gateway CPU a request may cost for 60 % at ${c} streams (ms/req)`, b.budgetMs, `>= ${fmt(t.gatewayCpuMsPerReq)}`, 'ms', (v) => v >= t.gatewayCpuMsPerReq!,
        `the gateway spent ${fmt(t.gatewayCpuMsPerReq)}` + (k?.gatewayCpuMsPerReq !== undefined ? `, the ceiling proxy ${fmt(k.gatewayCpuMsPerReq)}` : '') +
        `; ${fmt(b.targetRps, 0)} req/s allow ${fmt(b.oneThreadMs)} on one thread, ${fmt(b.coresLeftMs)} on the ${r.machine.cores} cores the mock and load generator leave`, true);
    }
    if (d && k) {
      add(`throughput at ${c} streams, ceiling proxy / direct floor (the most a Node gateway reaches here)`, (100 * k.rps) / d.rps, '>= 60', '%', (v) => v >= 60,
        `${fmt(k.rps, 0)} / ${fmt(d.rps, 0)} req/s: parse + re-serialise + pipe only`, true);
    }
  }
  const d64 = row(r.streams, 'direct', 64);
  const t64 = row(r.streams, 'through', 64);
  add('time to first text p95 at 64 streams, through / direct floor p95', d64 && t64 ? t64.ttft.p95 / d64.ttft.p95 : undefined, '<= 3', '×', (v) => v <= 3,
    d64 && t64 ? `${fmt(t64.ttft.p95, 1)} / ${fmt(d64.ttft.p95, 1)} ms` : undefined);
  const big64 = req === 'small' ? 'small requests: the issue sets this for 76 KB ones' : undefined;
  add('gateway peak RSS at 64 streams', t64?.gatewayPeakRssMb, '<= 150', 'MB', (v) => v <= 150, big64);
  add('gateway peak RSS at 256 streams', row(r.streams, 'through', 256)?.gatewayPeakRssMb, '<= 200', 'MB', (v) => v <= 200, big64);
  add('count_tokens ~120 KB, only the last message new, over HTTP (p50)', r.countTokens.http?.followUp.total.p50, '<= 3', 'ms', (v) => v <= 3);
  add('count_tokens ~120 KB, every message new, over HTTP (p50)', r.countTokens.http?.warm.total.p50, '<= 3', 'ms', (v) => v <= 3, 'info', true);
  add('count_tokens ~120 KB, cold, over HTTP (p50)', r.countTokens.http?.cold.total.p50, '<= 15', 'ms', (v) => v <= 15, 'info', true);
  const paced = r.paced ?? [];
  const ran = r.streams.length > 0 || r.latency.length > 0 || r.countTokens.http !== undefined || r.cost.length > 0 || paced.length > 0 || r.hops !== undefined;
  const errors = r.streams.reduce((n, s) => n + s.errors, 0) + r.latency.reduce((n, l) => n + l.errors, 0) + r.cost.reduce((n, c) => n + c.errors, 0)
    + paced.reduce((n, p) => n + p.errors, 0) + (r.hops?.errors ?? 0)
    + (r.countTokens.http ? r.countTokens.http.cold.errors + r.countTokens.http.warm.errors + r.countTokens.http.followUp.errors : 0);
  add('errors (every request of every run)', ran ? errors : undefined, '= 0', '', (v) => v === 0);
  return out;
}

function table(head: string[], rows: string[][], align: Array<'l' | 'r'>): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => (align[i] === 'r' ? c.padStart(w[i]) : c.padEnd(w[i]))).join(' | ')} |`;
  const sep = `|${w.map((n, i) => (align[i] === 'r' ? `${'-'.repeat(n + 1)}:` : `:${'-'.repeat(n + 1)}`)).join('|')}|`;
  return [line(head), sep, ...rows.map(line)].join('\n') + '\n';
}

const n0 = (v: number): string => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '-');

export function markdownReport(r: Results): string {
  const m = r.machine;
  let s = `\n### packybridge benchmark (${r.date.slice(0, 10)})\n\n`;
  s += `${m.cpu}, ${m.cores} cores, Node ${m.node} (${m.platform}); load average at start ${m.loadavgAtStart}` +
    (m.busyPctBeforeStart !== undefined ? `, CPU busy before the run ${m.busyPctBeforeStart.toFixed(0)}% (other processes)` : '') +
    (r.machineBusyPct !== undefined ? `, during the run ${r.machineBusyPct.toFixed(0)}% (ours and others)` : '') +
    (r.machineStealPct !== undefined ? `; stolen by the hypervisor ${fmt(r.machineStealPct, 1)}% of the machine's CPU time` : '') + '.\n';
  s += `Mock upstream: ${r.setup.mock}; gateway: ${r.setup.gateway}; load generator: undici Pool, keep-alive; all on 127.0.0.1, each in its own process.` +
    (r.setup.warmup !== undefined ? ` Each path is warmed up with ${r.setup.warmup} requests before it is measured.` : '') +
    (r.setup.quick ? ' Quick run (fewer requests).' : '') + '\n\n';

  if (r.streams.length > 0) {
    const x0 = r.streams[0];
    s += `**Streams** (the ${x0.request} request, ${x0.replyDeltas}-delta replies, mock: ${x0.mock === 'batch' ? 'each reply in one write' : x0.mock}; "through" = Anthropic /v1/messages stream:true via packybridge, ` +
      '"direct" = the same conversation as a Responses request to the mock\'s /v1/responses: the floor; ' +
      (r.setup.ceilingEvents
        ? '"ceiling" = that Responses request through bench/ceiling-proxy.ts --events, a bare Node proxy that only parses and re-serialises the body and every reply event, translating nothing: '
        : '"ceiling" = that Responses request through bench/ceiling-proxy.ts, a bare Node proxy that only parses and re-serialises the body and pipes the reply: ' +
          'it never parses the reply\'s events, which a translating gateway must, ') +
      'so it bounds what a translating gateway can reach). Times in ms; CPU % of one core; the gateway columns of the ceiling row are the proxy\'s.\n\n';
    s += table(
      ['path', 'streams', 'req/s', 'TTFB p50', 'p95', 'first text p50', 'p95', 'total p50', 'p95', 'errors', 'mock CPU %', 'gateway CPU %', 'gateway CPU ms/req', 'gateway peak RSS MB', 'load', 'steal %'],
      r.streams.map((x) => [
        x.path, String(x.concurrency), fmt(x.rps, 1), fmt(x.ttfb.p50), fmt(x.ttfb.p95), fmt(x.ttft.p50), fmt(x.ttft.p95),
        fmt(x.total.p50, 1), fmt(x.total.p95, 1), String(x.errors), fmt((x.mockCpuMsPerReq * x.rps) / 10, 0),
        x.gatewayCpuMsPerReq !== undefined ? fmt((x.gatewayCpuMsPerReq * x.rps) / 10, 0) : '',
        x.gatewayCpuMsPerReq !== undefined ? fmt(x.gatewayCpuMsPerReq) : '',
        x.gatewayPeakRssMb !== undefined ? fmt(x.gatewayPeakRssMb, 0) : '', fmt(x.loadavg, 1),
        x.stealPct !== undefined ? fmt(x.stealPct, 1) : '',
      ]),
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    );
    const levels = [...new Set(r.streams.map((x) => x.concurrency))];
    const added = levels.map((c) => {
      const d = row(r.streams, 'direct', c);
      const t = row(r.streams, 'through', c);
      return d && t ? `${c}: ${fmt(t.ttft.p50 - d.ttft.p50)} ms (${fmt((100 * t.rps) / d.rps, 0)}% of the floor's req/s)` : '';
    }).filter(Boolean);
    s += `\nAdded time to first text (through p50 − direct p50) by streams: ${added.join(', ')}.\n\n`;
  }

  if (r.profile) {
    const p = r.profile;
    s += `**Where the gateway's CPU goes** (${p.concurrency} streams of ${p.request}, ${p.replyDeltas}-delta replies, ${p.requests} requests, load ${fmt(p.loadavg, 1)}): ` +
      `${fmt(p.cpuMsPerReq)} CPU ms per request (/proc), ${fmt(p.sampledMsPerReq)} ms sampled by the profiler (its samples are wall time while the thread runs: a busy machine inflates them). Self time:\n\n`;
    s += table(['module', 'ms/req', 'share'], p.byModule.map((m) => [m.module, fmt(m.msPerReq, 3), `${fmt((100 * m.msPerReq) / p.sampledMsPerReq, 1)}%`]), ['l', 'r', 'r']);
    s += '\n';
    s += table(['function (self time)', 'module', 'ms/req'], p.selfTop.map((f) => [f.fn.replace(/\|/g, '\\|').slice(0, 90), f.module, fmt(f.msPerReq, 3)]), ['l', 'l', 'r']);
    s += `\nThe whole profile: \`node bench/cpuprofile-top.ts ${p.file}\` (add --from/--to as printed by the bench for the measured window).\n\n`;
  }

  if (r.cost.length > 0) {
    s += '**How the cost grows** (gateway CPU per request, 8 concurrent streams, the mock writing each reply at once, so the gateway reads a reply in a few large reads; ' +
      'requests/s per core = 1000 / CPU ms).\n\n';
    s += table(
      ['request', 'KB', 'reply deltas', 'requests', 'gateway CPU ms/req', 'requests/s per core', 'load'],
      r.cost.map((c) => [c.body, fmt(c.kb, 0), String(c.replyDeltas), String(c.requests), fmt(c.cpuMsPerReq), fmt(c.requestsPerCoreSec, 0), fmt(c.loadavg, 1)]),
      ['l', 'r', 'r', 'r', 'r', 'r', 'r'],
    );
    s += '\n';
  }

  if (r.paced && r.paced.length > 0) {
    const p0 = r.paced[0];
    s += `**At a real upstream's pace** (the ${p0.body} request, a ${p0.replyDeltas}-delta reply, the mock writing one event every ${p0.eventEveryMs} ms: ` +
      'each event comes in a read of its own and leaves in a write of its own, as with the real API; the gateway\'s CPU over a window in which every stream is busy; ' +
      'streams per core = 1000 / CPU ms per stream-second: what one core of this machine carries at this pace, for sizing a shared gateway).\n\n';
    s += table(
      ['streams', 'deltas/s a stream', 'requests', 'gateway CPU % of a core', 'CPU ms per stream-second', 'CPU ms per reply', 'streams per core', 'peak RSS MB', 'errors', 'load'],
      r.paced.map((p) => [String(p.streams), fmt(p.deltasPerSec, 1), String(p.completed), fmt(p.cpuPct, 0), fmt(p.cpuMsPerStreamSec, 3), fmt(p.cpuMsPerReq),
        fmt(p.streamsPerCore, 0), fmt(p.peakRssMb, 0), String(p.errors), fmt(p.loadavg, 1)]),
      ['r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    );
    s += '\n';
  }

  if (r.latency.length > 0) {
    s += '**Added latency at 1 stream** (a short reply, ~25 text deltas; rounds of direct and through interleaved). Times in ms.\n\n';
    s += table(
      ['request', 'direct TTFB p50', 'direct first text p50', 'through TTFB p50', 'through first text p50', 'p95', 'added first text p50', 'byte pipe adds, p50', 'ceiling proxy adds, p50', 'errors', 'steal %'],
      r.latency.map((l) => [
        `${l.size} (${fmt(l.kb, 1)} KB)`, fmt(l.direct.ttfb.p50, 3), fmt(l.direct.ttft.p50, 3),
        fmt(l.through.ttfb.p50, 3), fmt(l.through.ttft.p50, 3), fmt(l.through.ttft.p95, 3), fmt(l.addedTtftP50, 3),
        l.pipeAddedTtftP50 !== undefined ? fmt(l.pipeAddedTtftP50, 3) : '',
        l.ceilingAddedTtftP50 !== undefined ? fmt(l.ceilingAddedTtftP50, 3) : '', String(l.errors),
        l.stealPct !== undefined ? fmt(l.stealPct, 1) : '',
      ]),
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    );
    s += '\n';
  }

  if (r.hops) s += hopsSection(r.hops);

  const ct = r.countTokens;
  if (ct.inProcess || ct.http) {
    s += '**count_tokens** (~120 KB Claude-Code-shaped request: 3 system blocks, 24 tools, a conversation; cold = its system and tool texts never seen before). HTTP: wall time at the load generator; in-process: CPU time of one thread. Times in ms.\n\n';
    const rows: string[][] = [];
    const label = { cold: 'cold', warm: 'warm (every message new)', followUp: 'follow-up (one new message)' };
    for (const k of ['cold', 'warm', 'followUp'] as const) {
      const ip = ct.inProcess?.[k];
      const h = ct.http?.[k];
      rows.push([label[k], ip ? `${n0(ip.tokens)}` : '-', h ? fmt(h.total.p50) : '-', h ? fmt(h.total.p95) : '-', ip ? fmt(ip.full.p50) : '-', ip ? fmt(ip.full.p95) : '-', ip ? fmt(ip.count.p50) : '-']);
    }
    s += table(['', 'tokens', 'HTTP p50', 'HTTP p95', 'in-process parse+validate+count p50', 'p95', 'count() alone p50'], rows, ['l', 'r', 'r', 'r', 'r', 'r', 'r']);
    s += '\nThe target applies to "follow-up" (system prompt, tools and conversation repeat; only the last message is new: a session\'s next request).\n';
    if (ct.gatewayRssMb) {
      s += `The o200k tables load with the first count_tokens: that gateway's resident memory went from ${fmt(ct.gatewayRssMb.before, 0)} MB to ${fmt(ct.gatewayRssMb.after, 0)} MB over the phase (the stream rows are a gateway that never counted).\n`;
    }
    s += '\n';
  }

  if (r.translate) {
    const t = r.translate;
    s += '**Translation alone** (one thread = per core, CPU time: SSE bytes → decoder → StreamTranslator → SSE serialisation, one chunk per event; no sockets).\n\n';
    s += table(
      ['streams', 'events', 'events/s per core', 'bytes out per event'],
      [
        ...t.byStream.map((b) => [b.name, String(b.events), n0(b.eventsPerSec), fmt(b.outBytesPerEvent, 0)]),
        ['all of the above, decode+translate', '', n0(t.eventsPerSec.decodeTranslate), ''],
        ['all of the above, translate only (parsed events in)', '', n0(t.eventsPerSec.translate), ''],
      ],
      ['l', 'r', 'r', 'r'],
    );
    if (r.retainedKbPerStream !== undefined) {
      s += `\nHeap a stream's translator keeps in the middle of a 10,000-delta tool call (a large Write): ${fmt(r.retainedKbPerStream, 0)} KB.\n`;
    }
    s += '\n';
  }

  if (r.targets) {
    s += '**Targets**\n\n';
    s += table(
      ['target', 'limit', 'measured', 'result', 'note'],
      r.targets.map((x) => [x.name, `${x.limit} ${x.unit}`.trim(), Number.isFinite(x.value) ? `${fmt(x.value, x.unit === 'ms' ? 3 : x.unit === '' ? 0 : 1)} ${x.unit}`.trim() : 'not run',
        x.pass === null ? 'n/a' : x.informational ? (x.pass ? 'above' : 'below') : x.pass ? 'PASS' : 'FAIL', x.note ?? '']),
      ['l', 'r', 'r', 'l', 'l'],
    );
  }
  return s;
}

/** The hops phase as a table: each step's median on both paths, and what the gateway's path adds. */
export function hopsSection(h: HopsResult): string {
  const d = h.direct;
  const t = h.through;
  let s = `**Where the first text's time goes** (the ${h.size} request at 1 stream, the latency phase's short reply; a mock and a gateway of this phase's own, ` +
    'each with bench/hop-tap.mjs preloaded, which notes when a request starts, when the gateway calls the upstream and when each server writes its first ' +
    'text; the load generator stamps each request with its send time. One clock for all three processes, so the steps add up to the time to first text ' +
    `request by request; the table has each step's median, ${h.matched.direct} direct and ${h.matched.through} through requests of ${h.matched.sent}). Times in ms.\n\n`;
  const f = (v: number): string => fmt(v, 3);
  const diff = (a: number, b: number): string => f(a - b);
  s += table(
    ['step', 'direct', 'through', 'through adds'],
    [
      ['the client\'s send to the first server\'s request start', f(d.toMock), f(t.toGateway), diff(t.toGateway, d.toMock)],
      ['the gateway: its request start to its upstream request', '', f(t.gatewayBefore), f(t.gatewayBefore)],
      ['the gateway\'s upstream request to the mock\'s request start', '', f(t.toMock), f(t.toMock)],
      ['the mock: its request start to its first text written', f(d.mock), f(t.mock), diff(t.mock, d.mock)],
      ['the gateway: the mock\'s text written to its own', '', f(t.gatewayAfter), f(t.gatewayAfter)],
      ['the last server\'s text written to the client seeing it', f(d.toClient), f(t.toClient), diff(t.toClient, d.toClient)],
      ['time to first text', f(d.total), f(t.total), diff(t.total, d.total)],
    ],
    ['l', 'r', 'r', 'r'],
  );
  return `${s}\n`;
}
