// An outside check of the benchmark: the same mock, gateway and bodies, measured by a different load generator,
// Debian's `wrk` (C, epoll, its own HTTP/1.1 parser: nothing shared with the bench's undici client, and light
// enough not to take a core from the gateway on a 2-core machine), and by the bench's own load generator
// in turn with it, at 1/16/64 connections, through packybridge and straight to the mock (the direct floor: the
// same conversation as a Responses request). Both count whole responses (wrk cannot time the first text):
// requests/s and total-time percentiles are compared, and the through/direct ratio the targets are judged on.
// The two generators take turns (--rounds turns, --seconds each), so a VM that slows down for a minute slows
// both alike instead of whichever ran second.
//   npm run bench:outside [-- --request cc76k --reply 200 --seconds 4 --rounds 3 --concurrency 1,16,64 --src --ceiling-events]
// wrk is installed with apt-get when missing and this runs as root; otherwise: apt-get install wrk.
import { spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CLIENT_KEY, ROOT, cpuMsOf, ensureBuilt, startCeiling, startGateway, startLoadGen, startMock, stop, stopAll, killAllSync } from './procs.ts';
import { bodyText } from './bodies.ts';
import { summarize, fmt, pct as percentile } from './stats.ts';
import { combineWrk, parseWrkOutput, type Figures, type WrkRun } from './wrk-figures.ts';
import { WARMUP } from './warmup.ts';

const { values: opt } = parseArgs({
  options: {
    request: { type: 'string', default: 'cc76k' },
    reply: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '1,16,64' },
    src: { type: 'boolean', default: false },
    'ceiling-events': { type: 'boolean', default: false },
    'no-echo': { type: 'boolean', default: false },
  },
});

function findWrk(): string {
  const which = spawnSync('sh', ['-c', 'command -v wrk'], { encoding: 'utf8' });
  if (which.status === 0) return which.stdout.trim();
  if (process.getuid?.() === 0) {
    process.stderr.write('outside-check: wrk is missing: apt-get install -y wrk\n');
    spawnSync('apt-get', ['install', '-y', '-qq', 'wrk'], { stdio: 'inherit' });
    const again = spawnSync('sh', ['-c', 'command -v wrk'], { encoding: 'utf8' });
    if (again.status === 0) return again.stdout.trim();
  }
  throw new Error('wrk is not installed: run `apt-get install wrk` (Debian package), then this again');
}

function loadavg(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

function runWrk(wrk: string, url: string, headers: Record<string, string>, bodyFile: string, c: number, seconds: number): WrkRun {
  const out = execFileSync(wrk, ['-t1', `-c${c}`, `-d${seconds}s`, '--timeout', '30s', '-s', join(ROOT, 'bench/outside-check.lua'), url], {
    encoding: 'utf8',
    env: { ...process.env, BODY_FILE: bodyFile, HEADERS: Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('|') },
  });
  return parseWrkOutput(out);
}

async function main(): Promise<void> {
  const wrk = findWrk();
  const levels = opt.concurrency.split(',').map(Number).filter((n) => n > 0);
  const seconds = Number(opt.seconds);
  const rounds = Math.max(1, Math.floor(Number(opt.rounds)) || 1);
  if (!opt.src && ensureBuilt() === 'built') process.stderr.write('outside-check: rebuilt dist/\n');
  const dir = mkdtempSync(join(tmpdir(), 'packybridge-outside-'));
  const files = { through: join(dir, 'through.json'), direct: join(dir, 'direct.json') };
  writeFileSync(files.through, bodyText(opt.request));
  writeFileSync(files.direct, bodyText(`${opt.request}-direct`));
  const mock = await startMock(`long:${opt.reply}`, { batch: true, echo: !opt['no-echo'] });
  const gw = await startGateway(mock.url, { dist: !opt.src });
  const ceiling = await startCeiling(mock.url, opt['ceiling-events']);
  const lg = startLoadGen();
  const paths = {
    direct: { origin: mock.origin, path: '/v1/responses', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench-upstream-key-0000', accept: 'text/event-stream' }, mode: 'responses' as const },
    through: { origin: gw.origin, path: '/v1/messages?beta=true', headers: { 'content-type': 'application/json', 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01' }, mode: 'anthropic' as const },
    // bench/ceiling-proxy.ts in front of the mock: the least a Node gateway does (parse, re-serialise, pipe)
    ceiling: { origin: '', path: '/v1/responses', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench-upstream-key-0000', accept: 'text/event-stream' }, mode: 'responses' as const },
  };
  paths.ceiling.origin = ceiling.origin;
  const rows: Array<{ c: number; path: 'direct' | 'ceiling' | 'through'; wrk: Figures; bench: Figures; load: string }> = [];
  const started = loadavg();
  try {
    for (const c of levels) {
      for (const path of ['direct', 'ceiling', 'through'] as const) {
        const p = paths[path];
        const body = path === 'through' ? opt.request : `${opt.request}-direct`;
        const file = path === 'through' ? files.through : files.direct;
        // warm-up with the bench's client (connections, JIT), then wrk and the bench's own generator in turn
        await lg.run({ ...p, body, concurrency: c, requests: 0, warmup: Math.max(WARMUP, c * 2), maxMs: 1 }); // the JIT warmed up (warmup.ts)
        const wrkRuns: WrkRun[] = [];
        const totals: number[] = [];
        let wrkCpu = 0;
        let benchCpu = 0;
        let completed = 0;
        let errors = 0;
        let wallMs = 0;
        for (let round = 0; round < rounds; round++) {
          const cpu0 = cpuMsOf(gw.pid);
          wrkRuns.push(runWrk(wrk, `${p.origin}${p.path}`, p.headers, file, c, seconds));
          const cpu1 = cpuMsOf(gw.pid);
          const r = await lg.run({ ...p, body, concurrency: c, requests: 1_000_000, warmup: 0, maxMs: seconds * 1000 });
          benchCpu += cpuMsOf(gw.pid) - cpu1;
          wrkCpu += cpu1 - cpu0;
          for (const x of r.total) totals.push(x);
          completed += r.completed;
          errors += r.errors;
          wallMs += r.wallMs;
        }
        const w = combineWrk(wrkRuns);
        if (path === 'through') w.gatewayCpuMsPerReq = wrkCpu / Math.max(1, w.requests);
        const t = summarize(totals);
        const b: Figures = { rps: (completed / wallMs) * 1000, p50: t.p50, p90: percentile(totals, 90), p99: t.p99, errors, requests: completed + errors };
        if (path === 'through') b.gatewayCpuMsPerReq = benchCpu / Math.max(1, b.requests);
        const load = loadavg();
        rows.push({ c, path, wrk: w, bench: b, load });
        process.stderr.write(`outside-check ${String(c).padStart(2)} ${path.padEnd(7)}: wrk ${w.rps.toFixed(0)} req/s p50 ${w.p50.toFixed(2)} ms; bench ${b.rps.toFixed(0)} req/s p50 ${b.p50.toFixed(2)} ms; load ${load}\n`);
      }
    }
  } finally {
    await stop(gw.proc);
    await stop(ceiling.proc);
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
    rmSync(gw.dir, { recursive: true, force: true });
  }

  let s = `\n### Outside check: wrk against the bench's load generator (${new Date().toISOString().slice(0, 16)}Z)\n\n`;
  s += `Request ${opt.request} (${(Buffer.byteLength(bodyText(opt.request)) / 1024).toFixed(1)} KB through, ${(Buffer.byteLength(bodyText(`${opt.request}-direct`)) / 1024).toFixed(1)} KB direct), ` +
    `${opt.reply}-delta replies, the mock writing each reply at once; wrk and the bench's generator in turn, ${rounds} × ${seconds} s each; wrk -t1 -cN; ` +
    `wrk's percentiles the median of its turns'. Load average at start ${started}. ` +
    'Whole-response times in ms (wrk cannot time the first text).\n\n';
  const head = ['streams', 'path', 'wrk req/s', 'bench req/s', 'diff', 'wrk p50', 'bench p50', 'wrk p90', 'bench p90', 'wrk p99', 'bench p99', 'errors (wrk/bench)', 'gateway CPU ms/req (wrk/bench)', 'load'];
  const lines = rows.map((x) => [String(x.c), x.path, fmt(x.wrk.rps, 0), fmt(x.bench.rps, 0), `${fmt((100 * x.bench.rps) / x.wrk.rps - 100, 0)}%`,
    fmt(x.wrk.p50), fmt(x.bench.p50), fmt(x.wrk.p90), fmt(x.bench.p90), fmt(x.wrk.p99), fmt(x.bench.p99), `${x.wrk.errors}/${x.bench.errors}`,
    x.path === 'through' ? `${fmt(x.wrk.gatewayCpuMsPerReq ?? Number.NaN)}/${fmt(x.bench.gatewayCpuMsPerReq ?? Number.NaN)}` : '', x.load.split(' ')[0]]);
  s += `| ${head.join(' | ')} |\n|${head.map(() => '--:').join('|')}|\n${lines.map((l) => `| ${l.join(' | ')} |`).join('\n')}\n\n`;
  s += `Through / direct floor and ceiling / direct floor (the ceiling proxy${opt['ceiling-events'] ? ' with --events, parsing and re-serialising every reply event' : ''}: the most a translating Node gateway reaches here), requests/s:\n\n` +
    '| streams | through, by wrk | by the bench | ceiling, by wrk | by the bench |\n|--:|--:|--:|--:|--:|\n';
  const pct = (a: Figures | undefined, b: Figures | undefined): string => (a && b ? `${fmt((100 * a.rps) / b.rps, 0)}%` : '');
  for (const c of levels) {
    const d = rows.find((x) => x.c === c && x.path === 'direct');
    const t = rows.find((x) => x.c === c && x.path === 'through');
    const k = rows.find((x) => x.c === c && x.path === 'ceiling');
    s += `| ${c} | ${pct(t?.wrk, d?.wrk)} | ${pct(t?.bench, d?.bench)} | ${pct(k?.wrk, d?.wrk)} | ${pct(k?.bench, d?.bench)} |\n`;
  }
  process.stdout.write(s);
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => { killAllSync(); process.exit(130); });
process.on('exit', killAllSync);
main().catch(async (e: unknown) => {
  process.stderr.write(`outside-check failed: ${(e as Error)?.stack ?? String(e)}\n`);
  await stopAll().catch(() => {});
  process.exit(2);
});
