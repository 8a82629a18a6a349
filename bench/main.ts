// `npm run bench`: packybridge against the direct mock upstream, each in its own process on 127.0.0.1, with a
// separate load generator (bench/load-worker.ts). Phases:
//   translate  translation alone, one thread (bench/translate.ts) and the heap a long stream keeps (retained.ts)
//   count      count_tokens in-process on a ~100 KB request (bench/count-tokens.ts), then over HTTP
//   latency    added time to first text at 1 stream, small and 76 KB requests (a short reply)
//   streams    long replies at 1/16/64/256 concurrent streams, through packybridge and straight to the mock
//   capacity   16 and 64 streams again, the mock writing each reply at once (the gateway's own ceiling)
// Prints a markdown table with PASS/FAIL per target; writes .bench/results.json.
// Options:
//   --quick                      fewer requests (~30 s)
//   --only streams,latency       some phases only; --concurrency 1,16 other stream counts
//   --batch                      streams phase with the mock writing each reply in one write
//   --request cc76k              streams phase with the 76 KB Claude Code body instead of a small one
//   --count-first                streams phase on a gateway that answered count_tokens first (o200k tables loaded)
//   --src                        gateway from src/ by type stripping (default: dist/, rebuilt when src/ is newer)
//   --gateway-flags=--max-semi-space-size=16   node flags for the gateway
//   --stub-tokenizer             diagnosis: the gateway without the o200k tables (counts become estimates)
//   --cpu-prof                   gateway CPU profiles in .bench/profiles/ (node bench/cpuprofile-top.ts <file>)
//   --strict                     exit 1 when a target fails; --out FILE  results elsewhere
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  CLIENT_KEY, ROOT, cpuMsOf, ensureBuilt, killAllSync, memoryOf, removeDir, runJsonChild, sampleMemory, startGateway, startLoadGen, startMock, stop, stopAll,
  type Gateway, type LoadGen, type Mock,
} from './procs.ts';
import type { LoadResult, LoadSpec } from './load-worker.ts';
import type { BodyName } from './bodies.ts';
import type { CountTokensResult } from './count-tokens.ts';
import type { TranslateResult } from './translate.ts';
import { summarize, type Summary } from './stats.ts';
import { evaluateTargets, markdownReport, type Results, type StreamRow, type LatencyRow } from './report.ts';

const { values: opt } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    concurrency: { type: 'string', default: '1,16,64,256' },
    batch: { type: 'boolean', default: false },
    src: { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    strict: { type: 'boolean', default: false },
    'gateway-flags': { type: 'string', default: '' },
    'stub-tokenizer': { type: 'boolean', default: false },
    request: { type: 'string', default: 'small' },
    'count-first': { type: 'boolean', default: false },
    out: { type: 'string', default: join(ROOT, '.bench/results.json') },
  },
});

const phases = new Set((opt.only ?? 'translate,count,latency,streams,capacity').split(',').map((s) => s.trim()));
const quick = opt.quick;
const WATCHDOG_MS = 280_000;
/** The reply of the latency phase: ~30 text deltas. */
const SHORT_REPLY = 'Hi! This is a short answer from the mock upstream, a few words long, so the first text is all that is timed here.';
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

/** Busy and total CPU ticks of the whole machine (/proc/stat), to tell how much other processes used. */
function machineTicks(): { busy: number; total: number } {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3] + (f[4] ?? 0);
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: Number.NaN, total: Number.NaN };
  }
}

interface Target { origin: string; path: string; headers: Record<string, string>; mode: LoadSpec['mode'] }

function targets(mock: Mock, gw: Gateway): { direct: Target; through: Target; count: Target } {
  return {
    direct: { origin: mock.origin, path: '/v1/responses', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench-upstream-key-0000', accept: 'text/event-stream' }, mode: 'responses' },
    through: { origin: gw.origin, path: '/v1/messages?beta=true', headers: { 'content-type': 'application/json', 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01' }, mode: 'anthropic' },
    count: { origin: gw.origin, path: '/v1/messages/count_tokens?beta=true', headers: { 'content-type': 'application/json', 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01' }, mode: 'json' },
  };
}

function mergeResults(a: LoadResult | undefined, b: LoadResult): LoadResult {
  if (!a) return b;
  return {
    completed: a.completed + b.completed, errors: a.errors + b.errors, errorSamples: [...a.errorSamples, ...b.errorSamples].slice(0, 5),
    wallMs: a.wallMs + b.wallMs, ttfb: [...a.ttfb, ...b.ttfb], ttft: [...a.ttft, ...b.ttft], total: [...a.total, ...b.total], bytes: a.bytes + b.bytes,
  };
}

/** Added latency at 1 stream: direct and through, small and 76 KB, interleaved in rounds so drift hits both alike. */
async function latencyPhase(lg: LoadGen, t: ReturnType<typeof targets>): Promise<LatencyRow[]> {
  const rounds = quick ? 2 : 8;
  const perRound = quick ? 40 : 100;
  const kinds: Array<{ key: string; size: 'small' | '76KB'; path: 'direct' | 'through'; target: Target; body: BodyName }> = [
    { key: 'direct-small', size: 'small', path: 'direct', target: t.direct, body: 'small-direct' },
    { key: 'through-small', size: 'small', path: 'through', target: t.through, body: 'small' },
    { key: 'direct-76KB', size: '76KB', path: 'direct', target: t.direct, body: 'cc76k-direct' },
    { key: 'through-76KB', size: '76KB', path: 'through', target: t.through, body: 'cc76k' },
  ];
  const acc = new Map<string, LoadResult>();
  for (let r = 0; r < rounds; r++) {
    for (const k of kinds) {
      const res = await lg.run({ ...k.target, body: k.body, concurrency: 1, requests: perRound, warmup: r === 0 ? 30 : 3, maxMs: 20_000 });
      acc.set(k.key, mergeResults(acc.get(k.key), res));
    }
  }
  const rows: LatencyRow[] = [];
  for (const size of ['small', '76KB'] as const) {
    const d = acc.get(`direct-${size}`)!;
    const th = acc.get(`through-${size}`)!;
    const row: LatencyRow = {
      size, requests: d.completed + th.completed, errors: d.errors + th.errors, errorSamples: [...d.errorSamples, ...th.errorSamples],
      direct: { ttfb: summarize(d.ttfb), ttft: summarize(d.ttft) },
      through: { ttfb: summarize(th.ttfb), ttft: summarize(th.ttft) },
      addedTtftP50: summarize(th.ttft).p50 - summarize(d.ttft).p50,
      addedTtftP95: summarize(th.ttft).p95 - summarize(d.ttft).p95,
    };
    rows.push(row);
    log(`latency ${size}: time to first text p50 direct ${row.direct.ttft.p50.toFixed(3)} ms, through ${row.through.ttft.p50.toFixed(3)} ms, added ${row.addedTtftP50.toFixed(3)} ms`);
  }
  return rows;
}

async function streamsPhase(
  lg: LoadGen, t: ReturnType<typeof targets>, mock: Mock, gw: Gateway, levels: number[], mockMode: StreamRow['mock'],
): Promise<StreamRow[]> {
  const rows: StreamRow[] = [];
  for (const c of levels) {
    // --batch replies are cheap for the mock: more of them for the same measuring time
    const requests = mockMode === 'batch' ? Math.max(quick ? 400 : 1200, c * 16) : quick ? Math.max(100, c * 2) : Math.max(400, c * 8);
    for (const path of ['direct', 'through'] as const) {
      const target = path === 'direct' ? t.direct : t.through;
      const mem = path === 'through' ? sampleMemory(gw.pid) : null;
      // warm-up first (connections, JIT), then the measured run with CPU accounting
      const body: BodyName = opt.request === 'cc76k' ? (path === 'direct' ? 'cc76k-direct' : 'cc76k') : path === 'direct' ? 'small-direct' : 'small';
      await lg.run({ ...target, body, concurrency: c, requests: 0, warmup: Math.max(20, c), maxMs: 1 });
      const cpu0 = { gw: cpuMsOf(gw.pid), mock: cpuMsOf(mock.proc.pid!), lg: cpuMsOf(lg.proc.pid!) };
      const r = await lg.run({ ...target, body, concurrency: c, requests, warmup: 0, maxMs: quick ? 6_000 : 15_000 });
      const per = (a: number, b: number): number => (r.completed + r.errors > 0 ? (b - a) / (r.completed + r.errors) : Number.NaN);
      const row: StreamRow = {
        path, mock: mockMode, concurrency: c, requests: r.completed + r.errors, completed: r.completed, errors: r.errors, errorSamples: r.errorSamples,
        rps: (r.completed / r.wallMs) * 1000,
        ttfb: summarize(r.ttfb), ttft: summarize(r.ttft), total: summarize(r.total),
        kbPerReply: r.bytes / 1024 / Math.max(1, r.completed + r.errors),
        mockCpuMsPerReq: per(cpu0.mock, cpuMsOf(mock.proc.pid!)),
        loadgenCpuMsPerReq: per(cpu0.lg, cpuMsOf(lg.proc.pid!)),
      };
      if (path === 'through') {
        row.gatewayCpuMsPerReq = per(cpu0.gw, cpuMsOf(gw.pid));
        row.gatewayPeakRssMb = mem!.stop();
      }
      rows.push(row);
      log(`streams${mockMode === 'batch' ? ' --batch' : ''} ${String(c).padStart(3)} ${path.padEnd(7)}: ${row.rps.toFixed(1)} req/s, first text p50 ${row.ttft.p50.toFixed(2)} ms p95 ${row.ttft.p95.toFixed(2)} ms, errors ${row.errors}` +
        `, mock CPU ${((row.mockCpuMsPerReq * row.rps) / 10).toFixed(0)}%` +
        (row.gatewayPeakRssMb !== undefined ? `, gateway RSS ${row.gatewayPeakRssMb.toFixed(0)} MB, CPU ${row.gatewayCpuMsPerReq!.toFixed(2)} ms/req` : '') +
        (row.errorSamples.length ? `\n  first error: ${row.errorSamples[0]}` : ''));
    }
  }
  return rows;
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
      mock: `${opt.request === 'cc76k' ? 'streams carry the 76 KB Claude Code request; ' : ''}streams and count_tokens: long:500 (${opt.batch ? 'one write per reply, --batch' : 'one write per event'}); latency: a ${SHORT_REPLY.split(' ').length}-word reply, one write per event`,
      gateway: (opt.src ? 'src/cli.ts via Node type stripping' : 'bin/packybridge.js (dist/, as shipped)') + (opt['gateway-flags'] ? `, node ${opt['gateway-flags']}` : '') +
        (opt['stub-tokenizer'] ? ', tokenizer stubbed out (--stub-tokenizer)' : '') +
        (opt['count-first'] ? ', count_tokens answered before the streams (--count-first)' : ''),
      quick,
    },
    streams: [], latency: [],
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
  const needServers = ['latency', 'streams', 'capacity', 'count'].some((p) => phases.has(p));
  if (needServers && !opt.src && ensureBuilt() === 'built') log('rebuilt dist/ (src/ was newer)');
  const lg = needServers ? startLoadGen() : null;
  if (lg) try {
    /** A mock, a gateway in front of it, a sanity request each way; `run` gets the targets. */
    const withServers = async (scenario: string, batch: boolean, run: (t: ReturnType<typeof targets>, mock: Mock, gw: Gateway) => Promise<void>): Promise<void> => {
      const mock = await startMock(scenario, batch);
      const gw = await startGateway(mock.url, { dist: !opt.src, nodeFlags });
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
      // a short reply: the time to first text without a 500-event burst competing for the cores
      log('added latency at 1 stream...');
      await withServers(`text:${SHORT_REPLY}`, false, async (t) => { results.latency = await latencyPhase(lg, t); });
    }
    const levels = opt.concurrency.split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0);
    if (phases.has('count')) {
      // a gateway of its own: its memo and heap must not carry into the stream runs (nor theirs into it)
      log('count_tokens over HTTP...');
      await withServers(`text:${SHORT_REPLY}`, false, async (t, _mock, gw) => {
        const before = memoryOf(gw.pid).rss;
        results.countTokens.http = await countHttpPhase(lg, t);
        results.countTokens.gatewayRssMb = { before, after: memoryOf(gw.pid).rss };
      });
    }
    if (phases.has('streams')) {
      await withServers('long:500', opt.batch, async (t, mock, gw) => {
        if (opt['count-first']) {
          // as in a Claude Code session: count_tokens before the streams, so the o200k tables are resident
          const r = await lg.run({ ...t.count, body: 'count-cold', uniqueBodies: true, concurrency: 1, requests: 5, warmup: 0, maxMs: 20_000 });
          if (r.errors > 0) throw new Error(`count_tokens before the streams failed: ${r.errorSamples[0]}`);
          log(`count_tokens answered first: gateway RSS ${memoryOf(gw.pid).rss.toFixed(0)} MB`);
        }
        results.streams.push(...await streamsPhase(lg, t, mock, gw, levels, opt.batch ? 'batch' : 'per-event'));
      });
    }
    if (phases.has('capacity') && !opt.batch) {
      // the per-event mock is the bottleneck of the direct path from 16 streams on (one write per event, a core
      // busy): the same streams again with each reply in one write, for both paths: the gateway's own capacity
      log('capacity: the mock writes each reply in one write (--batch)...');
      await withServers('long:500', true, async (t, mock, gw) => {
        results.streams.push(...await streamsPhase(lg, t, mock, gw, levels.filter((c) => c === 16 || c === 64), 'batch'));
      });
    }
  } finally {
    await stopAll();
  }
  if (opt['cpu-prof']) log(`gateway CPU profiles written to ${profileDir}/ (summary: node bench/cpuprofile-top.ts <file>)`);

  const ticks1 = machineTicks();
  results.durationSec = (Date.now() - started) / 1000;
  results.machineBusyPct = (100 * (ticks1.busy - ticks0.busy)) / (ticks1.total - ticks0.total);
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
