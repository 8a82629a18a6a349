// `npm run bench`: packybridge against the direct mock upstream, each in its own process on 127.0.0.1, with a
// separate load generator (bench/load-worker.ts). By default every stream carries a real-sized Claude Code
// request (the captured 76 KB shape) and gets a 200-delta reply; the direct floor posts the same conversation
// as the Responses request packybridge would send (so the mock parses the same bytes on both paths), and the
// mock writes each reply (headers and body) in one socket write, so the floor is as fast as it can be. Its
// response objects echo the request's instructions and tools, as the real API's do (--no-echo: without).
// Phases:
//   translate  translation alone, one thread (bench/translate.ts) and the heap a long stream keeps (retained.ts)
//   count      count_tokens in-process on a ~120 KB request (bench/count-tokens.ts), then over HTTP
//   latency    added time to first text at 1 stream, small and --request bodies (a short reply)
//   hops       where the --request body's first text goes, hop by hop (bench/hops.ts; a mock and a gateway of its
//              own with bench/hop-tap.mjs preloaded: informational, no target reads it)
//   streams    1/16/64/256 concurrent streams, through packybridge and straight to the mock
//   profile    a CPU profile of the gateway over 16 streams (--profile-streams): CPU per request, where it goes (by module)
//   cost       how the cost grows: gateway CPU per request by request size (10 KB .. 1 MB) and reply length
//   paced      gateway CPU per stream at a real upstream's pace (an event every 20 ms), 64 and 256 streams
// Prints a markdown table with PASS/FAIL per target; writes .bench/results.json.
// Options:
//   --quick                      fewer requests
//   --only streams,latency       some phases only; --concurrency 1,16 other stream counts
//   --request cc76k              the request of the latency/streams/profile phases: small, cc76k, cc120k, cc300k, kb:<n>
//   --reply 200                  text deltas per reply in the streams/profile phases
//   --profile-streams 16         streams of the profile phase (64: where the cost per request grows)
//   --per-event                  the mock writes one event per write (a slow floor: the old default)
//   --events-per-write N         the mock writes N events per write, one write per event-loop turn
//   --no-ceiling                 latency and streams phases without the reference rows: the ceiling proxy
//                                (bench/ceiling-proxy.ts) and, in the latency phase, the byte pipe (bench/byte-pipe.ts)
//   --no-echo                    the mock's response objects without the request's instructions and tools (the real API
//                                echoes them: ~70 KB of tools in each of 3 events for a Claude Code request; before round 12)
//   --ceiling-events             the ceiling proxy also parses and re-serialises every reply event (a tighter bound)
//   --count-first                streams phase on a gateway that answered count_tokens first (o200k tables loaded)
//   --src                        gateway from src/ by type stripping (default: dist/, rebuilt when src/ is newer)
//   --gateway-flags=--max-semi-space-size=16   node flags for the gateway
//   --stub-tokenizer             diagnosis: the gateway without the o200k tables (counts become estimates)
//   --cpu-prof                   gateway CPU profiles of every phase in .bench/profiles/ (node bench/cpuprofile-top.ts <file>)
//   --strict                     exit 1 when a target fails; --out FILE  results elsewhere
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  ROOT, cpuMsOf, startBytePipe, type BytePipe, startCeiling, type Ceiling, ensureBuilt, killAllSync, memoryOf, removeDir, runJsonChild, sampleMemory, startGateway, startLoadGen, startMock, stop, stopAll,
  type Gateway, type LoadGen, type Mock,
} from './procs.ts';
import type { LoadResult } from './load-worker.ts';
import { bodyText, type BodyName } from './bodies.ts';
import type { CountTokensResult } from './count-tokens.ts';
import type { TranslateResult } from './translate.ts';
import { fmt, summarize, type Summary } from './stats.ts';
import { evaluateTargets, markdownReport, type CostRow, type PacedRow, type Results, type StreamRow, type LatencyRow } from './report.ts';
import { formatProfile, summarizeProfile, type Profile } from './cpuprofile-top.ts';
import { WARMUP } from './warmup.ts';
import { SHORT_REPLY, targets } from './targets.ts';
import { machineTicks, StealMeter } from './machine-ticks.ts';
import { hopBreakdown, readHopRecords, type ClientStamp, type HopsResult } from './hops.ts';

const { values: opt } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    concurrency: { type: 'string', default: '1,16,64,256' },
    'profile-streams': { type: 'string', default: '16' },
    reply: { type: 'string', default: '200' },
    'per-event': { type: 'boolean', default: false },
    'events-per-write': { type: 'string', default: '0' },
    src: { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    strict: { type: 'boolean', default: false },
    'gateway-flags': { type: 'string', default: '' },
    'stub-tokenizer': { type: 'boolean', default: false },
    request: { type: 'string', default: 'cc76k' },
    'count-first': { type: 'boolean', default: false },
    'no-ceiling': { type: 'boolean', default: false },
    'no-echo': { type: 'boolean', default: false },
    'ceiling-events': { type: 'boolean', default: false },
    out: { type: 'string', default: join(ROOT, '.bench/results.json') },
  },
});

const phases = new Set((opt.only ?? 'translate,count,latency,hops,streams,profile,cost,paced').split(',').map((s) => s.trim()));
const REPLY = Number(opt.reply);
/** How the mock writes a reply: 'batch' (one write: the fastest floor), 'per-event', or 'events-per-write:N'. */
const MOCK_MODE: StreamRow['mock'] = opt['per-event'] ? 'per-event' : Number(opt['events-per-write']) > 1 ? `events-per-write:${Number(opt['events-per-write'])}` : 'batch';
const REQUEST = opt.request;
const quick = opt.quick;
const WATCHDOG_MS = 900_000;
const log = (s: string): void => { process.stderr.write(`bench: ${s}\n`); };

function machine(): Results['machine'] {
  let cpu = cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpu = m[1].trim();
  } catch { /* not Linux */ }
  let loadavg = Number.NaN;
  try { loadavg = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]); } catch { /* not Linux */ }
  return { cpu, cores: cpus().length, node: process.version, platform: `${process.platform} ${process.arch}`, loadavgAtStart: loadavg };
}

function mergeResults(a: LoadResult | undefined, b: LoadResult): LoadResult {
  if (!a) return b;
  return {
    completed: a.completed + b.completed, errors: a.errors + b.errors, errorSamples: [...a.errorSamples, ...b.errorSamples].slice(0, 5),
    wallMs: a.wallMs + b.wallMs, ttfb: [...a.ttfb, ...b.ttfb], ttft: [...a.ttft, ...b.ttft], total: [...a.total, ...b.total], bytes: a.bytes + b.bytes,
  };
}

/**
 * Added latency at 1 stream: direct and through, small and --request, interleaved in rounds so drift hits both
 * alike. The references: the byte pipe (any process in the path) and the ceiling proxy (a bare Node proxy).
 */
async function latencyPhase(lg: LoadGen, t: ReturnType<typeof targets>, ceiling?: Ceiling, pipe?: BytePipe): Promise<LatencyRow[]> {
  const rounds = quick ? 2 : 8;
  const perRound = quick ? 40 : 100;
  const sizes = [...new Set(['small', REQUEST])];
  const kinds = sizes.flatMap((size) => [
    { key: `direct-${size}`, target: t.direct, body: `${size}-direct` },
    ...(pipe ? [{ key: `pipe-${size}`, target: { ...t.direct, origin: pipe.origin }, body: `${size}-direct` }] : []),
    ...(ceiling ? [{ key: `ceiling-${size}`, target: { ...t.direct, origin: ceiling.origin }, body: `${size}-direct` }] : []),
    { key: `through-${size}`, target: t.through, body: size },
  ]);
  const acc = new Map<string, LoadResult>();
  const steal = new StealMeter();
  steal.start();
  for (let r = 0; r < rounds; r++) {
    for (const k of kinds) {
      const res = await lg.run({ ...k.target, body: k.body, concurrency: 1, requests: perRound, warmup: r === 0 ? WARMUP : 3, maxMs: 20_000 });
      acc.set(k.key, mergeResults(acc.get(k.key), res));
    }
  }
  steal.stop();
  const rows: LatencyRow[] = [];
  for (const size of sizes) {
    const d = acc.get(`direct-${size}`)!;
    const th = acc.get(`through-${size}`)!;
    const row: LatencyRow = {
      size, kb: Buffer.byteLength(bodyText(size)) / 1024,
      requests: d.completed + th.completed, errors: d.errors + th.errors, errorSamples: [...d.errorSamples, ...th.errorSamples],
      direct: { ttfb: summarize(d.ttfb), ttft: summarize(d.ttft) },
      through: { ttfb: summarize(th.ttfb), ttft: summarize(th.ttft) },
      addedTtftP50: summarize(th.ttft).p50 - summarize(d.ttft).p50,
      addedTtftP95: summarize(th.ttft).p95 - summarize(d.ttft).p95,
      stealPct: steal.pct,
    };
    const k = acc.get(`ceiling-${size}`);
    if (k) row.ceilingAddedTtftP50 = summarize(k.ttft).p50 - summarize(d.ttft).p50;
    const p = acc.get(`pipe-${size}`);
    if (p) row.pipeAddedTtftP50 = summarize(p.ttft).p50 - summarize(d.ttft).p50;
    rows.push(row);
    log(`latency ${size}: time to first text p50 direct ${row.direct.ttft.p50.toFixed(3)} ms, through ${row.through.ttft.p50.toFixed(3)} ms, added ${row.addedTtftP50.toFixed(3)} ms` +
      (row.pipeAddedTtftP50 !== undefined ? `; a byte pipe adds ${row.pipeAddedTtftP50.toFixed(3)} ms` : '') +
      (row.ceilingAddedTtftP50 !== undefined ? `; the ceiling proxy adds ${row.ceilingAddedTtftP50.toFixed(3)} ms` : '') +
      `; steal ${fmt(row.stealPct!, 1)} %`);
  }
  return rows;
}

/**
 * Where the first text's time goes (bench/hops.ts): the --request body at 1 stream, direct and through in
 * alternating rounds, each request stamped; the servers' records are read from `dir` once the rounds are done.
 */
async function hopsPhase(lg: LoadGen, t: ReturnType<typeof targets>, dir: string): Promise<HopsResult> {
  const rounds = quick ? 2 : 6;
  const perRound = quick ? 40 : 150;
  const stamps: Record<'direct' | 'through', ClientStamp[]> = { direct: [], through: [] };
  let errors = 0;
  for (let r = 0; r < rounds; r++) {
    for (const k of r % 2 ? (['through', 'direct'] as const) : (['direct', 'through'] as const)) {
      const res = await lg.run({
        ...(k === 'direct' ? t.direct : t.through), body: k === 'direct' ? `${REQUEST}-direct` : REQUEST,
        concurrency: 1, requests: perRound, warmup: r === 0 ? WARMUP : 3, maxMs: 20_000, stamp: true,
      });
      if (res.errors > 0) log(`hops ${k}: ${res.errors} requests failed: ${res.errorSamples[0]}`);
      errors += res.errors;
      stamps[k].push(...(res.stamps ?? []));
    }
  }
  // a server appends a request's record when its response has finished, which can be after the client saw the end
  await new Promise((r) => setTimeout(r, 300));
  const h = { ...hopBreakdown(REQUEST, stamps.direct, stamps.through, readHopRecords(join(dir, 'mock.jsonl')), readHopRecords(join(dir, 'gateway.jsonl'))), errors };
  const x = h.through;
  log(`hops ${REQUEST}: first text direct ${fmt(h.direct.total, 3)} ms, through ${fmt(x.total, 3)} ms: to the gateway ${fmt(x.toGateway, 3)}, ` +
    `its work before the upstream ${fmt(x.gatewayBefore, 3)}, to the mock ${fmt(x.toMock, 3)}, the mock ${fmt(x.mock, 3)} (direct ${fmt(h.direct.mock, 3)}), ` +
    `the gateway after the mock's text ${fmt(x.gatewayAfter, 3)}, to the client ${fmt(x.toClient, 3)} (direct ${fmt(h.direct.toClient, 3)}); ` +
    `${h.matched.through} of ${stamps.through.length} through requests matched`);
  return h;
}

/** Measured rounds a path gets at each stream count in the streams phase, the paths taking turns. */
const STREAM_ROUNDS = quick ? 1 : 3;

async function streamsPhase(lg: LoadGen, t: ReturnType<typeof targets>, mock: Mock, gw: Gateway, levels: number[], ceiling?: Ceiling): Promise<StreamRow[]> {
  const rows: StreamRow[] = [];
  for (const c of levels) {
    // a per-event reply costs the mock ~1 ms; one write per reply next to nothing: more requests then
    const requests = MOCK_MODE === 'per-event' ? (quick ? Math.max(100, c * 2) : Math.max(400, c * 8)) : Math.max(quick ? 300 : 1000, c * (quick ? 4 : 10));
    const paths = ceiling ? (['direct', 'ceiling', 'through'] as const) : (['direct', 'through'] as const);
    type Path = (typeof paths)[number];
    const targetOf = (path: Path) => (path === 'direct' ? t.direct : path === 'ceiling' ? { ...t.direct, origin: ceiling!.origin } : t.through);
    // the gateway columns of a ceiling row are the ceiling proxy's
    const pidOf = (path: Path): number => (path === 'ceiling' ? ceiling!.proc.pid! : gw.pid);
    const bodyOf = (path: Path): BodyName => (path === 'through' ? REQUEST : `${REQUEST}-direct`);
    const acc = new Map<Path, { r?: LoadResult; gw: number; mock: number; lg: number; mem: { stop(): number } | null; steal: StealMeter }>();
    // warm-up first (connections, JIT), each path once; its peak RSS counts from here
    for (const path of paths) {
      acc.set(path, { gw: 0, mock: 0, lg: 0, mem: path !== 'direct' ? sampleMemory(pidOf(path)) : null, steal: new StealMeter() });
      await lg.run({ ...targetOf(path), body: bodyOf(path), concurrency: c, requests: 0, warmup: Math.max(WARMUP, c), maxMs: 1 });
    }
    // Then the paths take turns (the order reversed every other round), so that a machine that slows down for a
    // minute slows each path's figure alike instead of one; CPU is summed over a path's rounds. The load
    // generator keeps each origin's connections (bench/load-worker.ts), so a round needs no warm-up of its own.
    for (let round = 0; round < STREAM_ROUNDS; round++) {
      for (const path of round % 2 === 0 ? paths : [...paths].reverse()) {
        const target = targetOf(path);
        const pid = pidOf(path);
        const a = acc.get(path)!;
        const cpu0 = { gw: cpuMsOf(pid), mock: cpuMsOf(mock.proc.pid!), lg: cpuMsOf(lg.proc.pid!) };
        a.steal.start();
        const r = await lg.run({ ...target, body: bodyOf(path), concurrency: c, requests: Math.ceil(requests / STREAM_ROUNDS), warmup: 0, maxMs: (quick ? 6_000 : 15_000) / STREAM_ROUNDS });
        a.steal.stop();
        a.gw += cpuMsOf(pid) - cpu0.gw;
        a.mock += cpuMsOf(mock.proc.pid!) - cpu0.mock;
        a.lg += cpuMsOf(lg.proc.pid!) - cpu0.lg;
        a.r = mergeResults(a.r, r);
      }
    }
    for (const path of paths) {
      const a = acc.get(path)!;
      const r = a.r!;
      const per = (ms: number): number => (r.completed + r.errors > 0 ? ms / (r.completed + r.errors) : Number.NaN);
      const row: StreamRow = {
        path, mock: MOCK_MODE, request: REQUEST, replyDeltas: REPLY, concurrency: c, requests: r.completed + r.errors, completed: r.completed, errors: r.errors, errorSamples: r.errorSamples,
        rps: (r.completed / r.wallMs) * 1000,
        ttfb: summarize(r.ttfb), ttft: summarize(r.ttft), total: summarize(r.total),
        kbPerReply: r.bytes / 1024 / Math.max(1, r.completed + r.errors),
        mockCpuMsPerReq: per(a.mock),
        loadgenCpuMsPerReq: per(a.lg),
        loadavg: loadavg1(),
        stealPct: a.steal.pct,
      };
      if (path !== 'direct') {
        row.gatewayCpuMsPerReq = per(a.gw);
        row.gatewayPeakRssMb = a.mem!.stop();
      }
      rows.push(row);
      log(`streams ${String(c).padStart(3)} ${path.padEnd(7)}: ${row.rps.toFixed(1)} req/s, first text p50 ${row.ttft.p50.toFixed(2)} ms p95 ${row.ttft.p95.toFixed(2)} ms, errors ${row.errors}` +
        `, mock CPU ${((row.mockCpuMsPerReq * row.rps) / 10).toFixed(0)}%` +
        (row.gatewayPeakRssMb !== undefined ? `, gateway RSS ${row.gatewayPeakRssMb.toFixed(0)} MB, CPU ${row.gatewayCpuMsPerReq!.toFixed(2)} ms/req` : '') +
        `, load ${row.loadavg}, steal ${fmt(row.stealPct!, 1)} %` + (row.errorSamples.length ? `\n  first error: ${row.errorSamples[0]}` : ''));
    }
  }
  return rows;
}

/** Gateway CPU per request for one body at one concurrency: /proc CPU ticks over a time-boxed run. */
async function costPoint(lg: LoadGen, t: ReturnType<typeof targets>, gw: Gateway, body: string, replyDeltas: number, warmup: number): Promise<CostRow> {
  const c = 8;
  await lg.run({ ...t.through, body, concurrency: c, requests: 0, warmup: Math.max(warmup, 2 * c), maxMs: 1 });
  const cpu0 = cpuMsOf(gw.pid);
  const r = await lg.run({ ...t.through, body, concurrency: c, requests: 5000, warmup: 0, maxMs: quick ? 2_500 : 6_000 });
  const n = r.completed + r.errors;
  const cpuMsPerReq = (cpuMsOf(gw.pid) - cpu0) / Math.max(1, n);
  const row: CostRow = {
    body, kb: Buffer.byteLength(bodyText(body)) / 1024, replyDeltas, requests: n, errors: r.errors, cpuMsPerReq,
    requestsPerCoreSec: 1000 / cpuMsPerReq, loadavg: loadavg1(),
  };
  log(`cost ${body} (${row.kb.toFixed(0)} KB), ${replyDeltas}-delta reply: ${cpuMsPerReq.toFixed(2)} CPU ms/request over ${n} requests, load ${row.loadavg}`);
  return row;
}

/** The paced rows: one event every PACED_EVENT_MS ms (~50 a second, a real GPT-5 stream's pace), a 200-delta reply. */
const PACED_EVENT_MS = 20;
const PACED_REPLY = 200;

/**
 * Gateway CPU per stream-second with `streams` streams of the cc76k request whose replies come one event every
 * PACED_EVENT_MS ms: the load runs throughout, a warm-up window first (JIT, connections), then /proc CPU ticks
 * over a measured window in which every stream is busy (a finished stream starts its next request at once).
 */
async function pacedPoint(lg: LoadGen, t: ReturnType<typeof targets>, gw: Gateway, streams: number): Promise<PacedRow> {
  const warmMs = quick ? 6_000 : 10_000;
  const measureMs = quick ? 6_000 : 12_000;
  // the deltas and the 8 events around them (created, in_progress, item and part added and done, text done, completed)
  const replyMs = (PACED_REPLY + 8) * PACED_EVENT_MS;
  const mem = sampleMemory(gw.pid);
  const run = lg.run({ ...t.through, body: 'cc76k', concurrency: streams, requests: 1_000_000, warmup: 0, maxMs: warmMs + measureMs });
  await sleep(warmMs);
  const cpu0 = cpuMsOf(gw.pid);
  const t0 = performance.now();
  await sleep(measureMs);
  const cpuMs = cpuMsOf(gw.pid) - cpu0;
  const windowSec = (performance.now() - t0) / 1000;
  const r = await run;
  const peakRssMb = mem.stop();
  // deltas a stream received a second, over the whole run (requests finish ~replyMs apart on each stream)
  const deltasPerSec = (r.completed * PACED_REPLY) / (streams * (r.wallMs / 1000));
  const cpuMsPerStreamSec = cpuMs / (streams * windowSec);
  const row: PacedRow = {
    body: 'cc76k', streams, eventEveryMs: PACED_EVENT_MS, replyDeltas: PACED_REPLY, completed: r.completed, errors: r.errors,
    deltasPerSec, cpuPct: (100 * cpuMs) / (windowSec * 1000), cpuMsPerStreamSec, cpuMsPerReq: cpuMsPerStreamSec * (replyMs / 1000),
    streamsPerCore: 1000 / cpuMsPerStreamSec, peakRssMb, loadavg: loadavg1(),
  };
  log(`paced ${streams} streams, an event every ${PACED_EVENT_MS} ms: gateway CPU ${row.cpuPct.toFixed(0)}% of a core, ${cpuMsPerStreamSec.toFixed(3)} ms per stream-second ` +
    `(${row.cpuMsPerReq.toFixed(2)} ms a ${PACED_REPLY}-delta reply), ${row.streamsPerCore.toFixed(0)} streams per core; ${deltasPerSec.toFixed(1)} deltas/s a stream, ` +
    `${r.completed} requests, errors ${r.errors}, peak RSS ${peakRssMb.toFixed(0)} MB, load ${row.loadavg}`);
  return row;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One minute load average now (the machine is shared: noted beside every figure). */
function loadavg1(): number {
  try { return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]); } catch { return Number.NaN; }
}

async function countHttpPhase(lg: LoadGen, t: ReturnType<typeof targets>): Promise<Results['countTokens']['http']> {
  const cold = await lg.run({ ...t.count, body: 'count-cold', uniqueBodies: true, concurrency: 1, requests: quick ? 15 : 60, warmup: 5, maxMs: 20_000 });
  const warm = await lg.run({ ...t.count, body: 'count-warm', uniqueBodies: true, concurrency: 1, requests: quick ? 60 : 300, warmup: 5, maxMs: 20_000 });
  const followUp = await lg.run({ ...t.count, body: 'count-followup', uniqueBodies: true, concurrency: 1, requests: quick ? 60 : 300, warmup: 5, maxMs: 20_000 });
  const s = (r: LoadResult): { total: Summary; errors: number; errorSamples: string[] } => ({ total: summarize(r.total), errors: r.errors, errorSamples: r.errorSamples });
  log(`count_tokens over HTTP: cold p50 ${summarize(cold.total).p50.toFixed(2)} ms, warm p50 ${summarize(warm.total).p50.toFixed(2)} ms, follow-up p50 ${summarize(followUp.total).p50.toFixed(2)} ms`);
  return { cold: s(cold), warm: s(warm), followUp: s(followUp) };
}

async function main(): Promise<void> {
  const started = Date.now();
  const watchdog = setTimeout(() => {
    log(`took longer than ${WATCHDOG_MS / 1000} s: stopping`);
    killAllSync();
    process.exit(2);
  }, WATCHDOG_MS);
  watchdog.unref();

  const results: Results = {
    date: new Date().toISOString(),
    machine: machine(),
    setup: {
      request: REQUEST,
      mock: `streams: the ${REQUEST} request, a ${REPLY}-delta reply (${MOCK_MODE === 'batch' ? 'headers and reply in one write' : MOCK_MODE === 'per-event' ? 'one write per event' : MOCK_MODE.replace(':', ' ')}); ` +
        `the direct floor posts the same conversation as a Responses request; ` +
        (opt['no-echo'] ? 'response objects without the request echoed (--no-echo); ' : 'response objects echo the request\'s instructions and tools, as the real API\'s do; ') +
        `latency: a ${SHORT_REPLY.split(' ').length}-word reply, one write per event`,
      gateway: (opt.src ? 'src/cli.ts via Node type stripping' : 'bin/packybridge.js (dist/, as shipped)') + (opt['gateway-flags'] ? `, node ${opt['gateway-flags']}` : '') +
        (opt['stub-tokenizer'] ? ', tokenizer stubbed out (--stub-tokenizer)' : '') +
        (opt['count-first'] ? ', count_tokens answered before the streams (--count-first)' : ''),
      quick,
      warmup: WARMUP,
      ...(opt['ceiling-events'] ? { ceilingEvents: true } : {}),
    },
    streams: [], latency: [], cost: [], paced: [],
    countTokens: {},
  };
  // how busy the machine is before anything of ours runs (1 s of /proc/stat)
  const idle0 = machineTicks();
  await new Promise((r) => setTimeout(r, 1000));
  const idle1 = machineTicks();
  results.machine.busyPctBeforeStart = (100 * (idle1.busy - idle0.busy)) / (idle1.total - idle0.total);
  log(`${results.machine.cpu}, ${results.machine.cores} cores, Node ${results.machine.node}; load average ${results.machine.loadavgAtStart}, ` +
    `CPU busy before start ${results.machine.busyPctBeforeStart.toFixed(0)}%`);
  if (results.machine.busyPctBeforeStart > 20) log('warning: other processes are busy on this machine; latency numbers will be noisy');
  const ticks0 = machineTicks();

  if (phases.has('translate')) {
    log('translation alone (one thread)...');
    results.translate = await runJsonChild<TranslateResult>('bench/translate.ts', ['--json', '--ms', quick ? '2000' : '5000'], 60_000);
    results.retainedKbPerStream = (await runJsonChild<{ retainedKbPerStream: number }>('bench/retained.ts', ['--json'], 60_000)).retainedKbPerStream;
  }
  if (phases.has('count')) {
    log('count_tokens in-process...');
    results.countTokens.inProcess = await runJsonChild<CountTokensResult>('bench/count-tokens.ts', ['--json', '--cold', quick ? '10' : '30', '--warm', quick ? '60' : '200'], 60_000)
      .then((r) => {
        const s = (x: CountTokensResult['cold']) => ({ full: summarize(x.full), count: summarize(x.count), kb: x.bytes / 1024, tokens: x.tokens });
        return { cold: s(r.cold), warm: s(r.warm), followUp: s(r.followUp) };
      });
  }

  const nodeFlags = [...opt['gateway-flags'].split(' ').filter(Boolean)];
  // diagnosis: how much of the gateway's memory the tokenizer's tables take (count_tokens answers are then estimates)
  if (opt['stub-tokenizer']) nodeFlags.push('--import', new URL('./stub-tokenizer.mjs', import.meta.url).href);
  const profileDir = join(ROOT, '.bench/profiles');
  if (opt['cpu-prof']) {
    mkdirSync(profileDir, { recursive: true });
    nodeFlags.push('--cpu-prof', `--cpu-prof-dir=${profileDir}`);
  }
  const needServers = ['latency', 'hops', 'streams', 'profile', 'cost', 'paced', 'count'].some((p) => phases.has(p));
  if (needServers && !opt.src && ensureBuilt() === 'built') log('rebuilt dist/ (src/ was newer)');
  const lg = needServers ? startLoadGen() : null;
  if (lg) try {
    /**
     * A mock, a gateway in front of it, a sanity request each way; `run` gets the targets. `extra.tap`: a
     * directory; the mock and the gateway run with bench/hop-tap.mjs, writing mock.jsonl and gateway.jsonl there.
     */
    const withServers = async (
      scenario: string, mode: StreamRow['mock'], run: (t: ReturnType<typeof targets>, mock: Mock, gw: Gateway) => Promise<void>,
      extra: { gatewayFlags?: string[]; mockDelayMs?: number; tap?: string } = {},
    ): Promise<void> => {
      const tapFlags = extra.tap === undefined ? [] : ['--import', new URL('./hop-tap.mjs', import.meta.url).href];
      const mock = await startMock(scenario, {
        batch: mode === 'batch', eventsPerWrite: mode.startsWith('events-per-write:') ? Number(mode.split(':')[1]) : 1, echo: !opt['no-echo'], delayMs: extra.mockDelayMs ?? 0,
        ...(extra.tap === undefined ? {} : { nodeFlags: tapFlags, env: { BENCH_HOP_TAP: join(extra.tap, 'mock.jsonl') } }),
      });
      const gw = await startGateway(mock.url, {
        dist: !opt.src, nodeFlags: [...nodeFlags, ...(extra.gatewayFlags ?? []), ...tapFlags],
        ...(extra.tap === undefined ? {} : { env: { BENCH_HOP_TAP: join(extra.tap, 'gateway.jsonl') } }),
      });
      const t = targets(mock, gw);
      log(`mock ${scenario} ${mock.origin} (pid ${mock.proc.pid}), gateway ${gw.origin} (pid ${gw.pid}), load generator pid ${lg.proc.pid}`);
      try {
        for (const [target, body] of [[t.direct, 'small-direct'], [t.through, 'small']] as const) {
          const r = await lg.run({ ...target, body, concurrency: 1, requests: 1, warmup: 0, maxMs: 10_000 });
          if (r.errors > 0) throw new Error(`sanity request to ${target.origin}${target.path} failed: ${r.errorSamples[0]}`);
        }
        await run(t, mock, gw);
      } finally {
        await stop(gw.proc);
        await stop(mock.proc);
        removeDir(gw.dir);
      }
    };
    if (phases.has('latency')) {
      // a short reply: the time to first text without a long burst competing for the cores
      log('added latency at 1 stream...');
      await withServers(`text:${SHORT_REPLY}`, 'per-event', async (t, mock) => {
        const ceiling = opt['no-ceiling'] ? undefined : await startCeiling(mock.url, opt['ceiling-events']);
        const pipe = opt['no-ceiling'] ? undefined : await startBytePipe(mock.url);
        try {
          results.latency = await latencyPhase(lg, t, ceiling, pipe);
        } finally {
          if (ceiling) await stop(ceiling.proc);
          if (pipe) await stop(pipe.proc);
        }
      });
    }
    if (phases.has('hops')) {
      log(`where the first text's time goes (${REQUEST}, 1 stream, a mock and a gateway with bench/hop-tap.mjs)...`);
      const dir = mkdtempSync(join(tmpdir(), 'packybridge-hops-'));
      try {
        await withServers(`text:${SHORT_REPLY}`, 'per-event', async (t) => { results.hops = await hopsPhase(lg, t, dir); }, { tap: dir });
      } finally {
        removeDir(dir);
      }
    }
    const levels = opt.concurrency.split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0);
    if (phases.has('count')) {
      // a gateway of its own: its memo and heap must not carry into the stream runs (nor theirs into it)
      log('count_tokens over HTTP...');
      await withServers(`text:${SHORT_REPLY}`, 'per-event', async (t, _mock, gw) => {
        const before = memoryOf(gw.pid).rss;
        results.countTokens.http = await countHttpPhase(lg, t);
        results.countTokens.gatewayRssMb = { before, after: memoryOf(gw.pid).rss };
      });
    }
    if (phases.has('streams')) {
      await withServers(`long:${REPLY}`, MOCK_MODE, async (t, mock, gw) => {
        if (opt['count-first']) {
          // as in a Claude Code session: count_tokens before the streams, so the o200k tables are resident
          const r = await lg.run({ ...t.count, body: 'count-cold', uniqueBodies: true, concurrency: 1, requests: 5, warmup: 0, maxMs: 20_000 });
          if (r.errors > 0) throw new Error(`count_tokens before the streams failed: ${r.errorSamples[0]}`);
          log(`count_tokens answered first: gateway RSS ${memoryOf(gw.pid).rss.toFixed(0)} MB`);
        }
        const ceiling = opt['no-ceiling'] ? undefined : await startCeiling(mock.url, opt['ceiling-events']);
        try {
          results.streams.push(...await streamsPhase(lg, t, mock, gw, levels, ceiling));
        } finally {
          if (ceiling) await stop(ceiling.proc);
        }
      });
    }
    if (phases.has('profile')) {
      // where the gateway's CPU goes: a profile of the measured window only (V8's timestamps are the monotonic
      // clock, as process.hrtime here), start-up and warm-up left out
      const profileStreams = Math.max(1, Number(opt['profile-streams']) || 16);
      log(`profile: ${profileStreams} streams of ${REQUEST}, the gateway under --cpu-prof...`);
      const dir = join(ROOT, '.bench/profile');
      removeDir(dir);
      mkdirSync(dir, { recursive: true });
      let window = { from: 0, to: 0, requests: 0, cpuMs: 0 };
      await withServers(`long:${REPLY}`, MOCK_MODE, async (t, _mock, gw) => {
        await lg.run({ ...t.through, body: REQUEST, concurrency: profileStreams, requests: 0, warmup: WARMUP, maxMs: 1 });
        const from = Number(process.hrtime.bigint() / 1000n);
        const cpu0 = cpuMsOf(gw.pid);
        const r = await lg.run({ ...t.through, body: REQUEST, concurrency: profileStreams, requests: quick ? 400 : 1500, warmup: 0, maxMs: 20_000 });
        window = { from, to: Number(process.hrtime.bigint() / 1000n), requests: r.completed + r.errors, cpuMs: cpuMsOf(gw.pid) - cpu0 };
      }, { gatewayFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
      // bin/packybridge.js restarts itself (execve) with its memory flags: the first process leaves a tiny profile too
      const file = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort((a, b) => statSync(join(dir, b)).size - statSync(join(dir, a)).size)[0];
      if (file) {
        const summary = summarizeProfile(JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile, { from: window.from, to: window.to, top: 20 });
        results.profile = {
          request: REQUEST, replyDeltas: REPLY, concurrency: profileStreams, requests: window.requests, cpuMsPerReq: window.cpuMs / Math.max(1, window.requests),
          sampledMsPerReq: summary.busyUs / 1000 / Math.max(1, window.requests), loadavg: loadavg1(), file: join(dir, file),
          byModule: summary.byModule.slice(0, 16).map((m) => ({ module: m.module, msPerReq: m.us / 1000 / Math.max(1, window.requests) })),
          selfTop: summary.selfTop.slice(0, 16).map((f) => ({ fn: f.fn, module: f.module, msPerReq: f.us / 1000 / Math.max(1, window.requests) })),
        };
        log(`profile: ${window.requests} requests, ${results.profile.cpuMsPerReq.toFixed(2)} CPU ms/request (/proc), ${results.profile.sampledMsPerReq.toFixed(2)} ms sampled; ` +
          `full summary: node bench/cpuprofile-top.ts ${join(dir, file)} --from ${window.from} --to ${window.to} --per ${window.requests}`);
        process.stderr.write(formatProfile(summary, window.requests).split('\n').slice(0, 24).join('\n') + '\n');
      } else {
        log('profile: the gateway wrote no .cpuprofile');
      }
    }
    if (phases.has('cost')) {
      // how the cost grows: one gateway per reply length (the mock's scenario is fixed per process)
      const sizes = quick ? ['kb:10', 'kb:76', 'kb:300', 'kb:1000'] : ['kb:10', 'kb:30', 'kb:76', 'kb:120', 'kb:300', 'kb:1000'];
      const replies = quick ? [10, 1000] : [10, 1000, 5000];
      await withServers('long:200', MOCK_MODE, async (t, _mock, gw) => {
        // the sizes share a gateway: the first point warms it up (JIT), the next ones only their body
        for (const [i, body] of sizes.entries()) results.cost.push(await costPoint(lg, t, gw, body, 200, i === 0 ? WARMUP : 200));
      });
      for (const d of replies) {
        // a fresh gateway: the whole warm-up, or its once-a-request functions are measured before TurboFan has them
        await withServers(`long:${d}`, MOCK_MODE, async (t, _mock, gw) => { results.cost.push(await costPoint(lg, t, gw, 'kb:76', d, WARMUP)); });
      }
    }
    if (phases.has('paced')) {
      // at a real upstream's pace every event comes in a read of its own and goes out in a write of its own: the
      // CPU a stream costs is measured there, not extrapolated from replies written at once
      for (const streams of quick ? [64] : [64, 256]) {
        await withServers(`long:${PACED_REPLY}`, 'per-event', async (t, _mock, gw) => { results.paced!.push(await pacedPoint(lg, t, gw, streams)); }, { mockDelayMs: PACED_EVENT_MS });
      }
    }
  } finally {
    await stopAll();
  }
  if (opt['cpu-prof']) log(`gateway CPU profiles written to ${profileDir}/ (summary: node bench/cpuprofile-top.ts <file>)`);

  const ticks1 = machineTicks();
  results.durationSec = (Date.now() - started) / 1000;
  results.machineBusyPct = (100 * (ticks1.busy - ticks0.busy)) / (ticks1.total - ticks0.total);
  results.machineStealPct = (100 * (ticks1.steal - ticks0.steal)) / (ticks1.total - ticks0.total);
  results.targets = evaluateTargets(results);
  mkdirSync(join(opt.out, '..'), { recursive: true });
  writeFileSync(opt.out, JSON.stringify(results, null, 2) + '\n');
  process.stdout.write(markdownReport(results));
  log(`results written to ${opt.out} (${results.durationSec.toFixed(0)} s)`);
  clearTimeout(watchdog);
  // --strict: a failed target fails the command (latency targets are noisy on a busy machine: off by default)
  if (opt.strict && results.targets.some((x) => x.pass === false && !x.informational)) process.exitCode = 1;
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => { killAllSync(); process.exit(130); });
}
process.on('exit', killAllSync);

main().catch(async (e: unknown) => {
  log(`failed: ${(e as Error)?.stack ?? String(e)}`);
  await stopAll().catch(() => {});
  process.exit(2);
});
