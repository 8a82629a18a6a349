// Before/after for a performance change, robust on a busy machine: the "before" tree is a copy of the working
// tree with the given files taken from git (HEAD by default); both run alternately, round after round, and
// the medians are compared.
//   node bench/ab.ts --revert src/server/sse.ts [--ref HEAD] [--rounds 5] [--what translate,gateway]
//                    [--concurrency 16] [--batch | --delay 1] [--requests 400] [--body cc76k] [--reply 500]
// --delay MS: the mock waits MS between events (long:200 then), so every event is its own upstream chunk.
//   node bench/ab.ts --after-flags=--max-semi-space-size=8 --what gateway   (same code, other node flags)
// translate: events/s per core (bench/translate.ts, CPU time). retained: heap per stream mid-way through a
// long tool call (bench/retained.ts). gateway: the gateway (src/ by type stripping)
// under --concurrency streams from the mock: its CPU ms per request, peak RSS, first-text p50. first-text: the
// latency phase's added time to first text at 1 stream, both gateways warmed up and measured in turns:
//   node bench/ab.ts --revert src/upstream/echo-lines.ts --what first-text --body cc76k --rounds 12 --requests 150
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CLIENT_KEY, ROOT, cpuMsOf, runJsonChild, sampleMemory, startGateway, startLoadGen, startMock, stop, stopAll, type Gateway } from './procs.ts';
import { SHORT_REPLY, targets } from './targets.ts';
import { WARMUP } from './warmup.ts';
import type { TranslateResult } from './translate.ts';
import { pct } from './stats.ts';

const { values: opt } = parseArgs({
  options: {
    revert: { type: 'string' },
    ref: { type: 'string', default: 'HEAD' },
    rounds: { type: 'string', default: '5' },
    what: { type: 'string', default: 'translate,gateway' },
    concurrency: { type: 'string', default: '16' },
    requests: { type: 'string', default: '400' },
    body: { type: 'string', default: 'small' },
    reply: { type: 'string', default: '500' },
    batch: { type: 'boolean', default: false },
    delay: { type: 'string', default: '0' },
    'before-flags': { type: 'string', default: '' },
    'after-flags': { type: 'string', default: '' },
  },
});
if (!opt.revert && !opt['before-flags'] && !opt['after-flags']) {
  console.error('usage: node bench/ab.ts --revert <file,file> | --before-flags=... --after-flags=... [--ref HEAD] [--rounds 5] [--what translate,gateway]');
  process.exit(1);
}
const files = (opt.revert ?? '').split(',').map((f) => f.trim()).filter(Boolean);
const flags: Record<string, string[]> = {
  before: opt['before-flags'].split(' ').filter(Boolean),
  after: opt['after-flags'].split(' ').filter(Boolean),
};
const rounds = Number(opt.rounds);
const what = new Set(opt.what.split(','));

/** A copy of src/, bench/ and the test support the benchmark needs, with `files` as they are at `ref`. */
function beforeTree(): string {
  const dir = join(ROOT, '.bench/ab/before');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const p of ['src', 'bench', 'test/support', 'test/fixtures', 'package.json']) cpSync(join(ROOT, p), join(dir, p), { recursive: true });
  for (const f of files) {
    let text: string | null = null;
    try { text = execFileSync('git', ['show', `${opt.ref}:${f}`], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }); } catch { /* new file */ }
    if (text === null) rmSync(join(dir, f), { force: true });
    else writeFileSync(join(dir, f), text);
  }
  if (!existsSync(join(dir, 'node_modules'))) symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

const med = (a: number[]): number => pct(a, 50);

async function main(): Promise<void> {
  const before = files.length > 0 ? beforeTree() : ROOT;
  const trees: Array<[string, string]> = [['before', before], ['after', ROOT]];
  console.log(`A/B, ${rounds} rounds: before = working tree${files.length ? ` with ${files.join(', ')} from ${opt.ref}` : ''}` +
    `${flags.before.length ? `, node ${flags.before.join(' ')}` : ''}; after = working tree${flags.after.length ? `, node ${flags.after.join(' ')}` : ''}`);

  if (what.has('translate') && files.length > 0) {
    const r: Record<string, { dt: number[]; t: number[] }> = { before: { dt: [], t: [] }, after: { dt: [], t: [] } };
    for (let i = 0; i < rounds; i++) {
      for (const [name, dir] of i % 2 === 0 ? trees : [...trees].reverse()) {
        const x = await runJsonChild<TranslateResult>(join(dir, 'bench/translate.ts'), ['--json', '--ms', '1500'], 60_000);
        r[name].dt.push(x.eventsPerSec.decodeTranslate);
        r[name].t.push(x.eventsPerSec.translate);
      }
    }
    for (const k of ['before', 'after']) {
      console.log(`translate ${k.padEnd(6)}: decode+translate ${Math.round(med(r[k].dt)).toLocaleString('en-US')} events/s per core, translate only ${Math.round(med(r[k].t)).toLocaleString('en-US')}`);
    }
    console.log(`translate change: decode+translate ${((100 * med(r.after.dt)) / med(r.before.dt) - 100).toFixed(1)}%, translate only ${((100 * med(r.after.t)) / med(r.before.t) - 100).toFixed(1)}%`);
  }

  if (what.has('retained') && files.length > 0) {
    for (const [name, dir] of trees) {
      const x = await runJsonChild<{ retainedKbPerStream: number }>(join(dir, 'bench/retained.ts'), ['--json'], 60_000);
      console.log(`retained ${name.padEnd(6)}: ${x.retainedKbPerStream.toFixed(0)} KB of heap per stream in the middle of a 10,000-delta tool call`);
    }
  }

  if (what.has('gateway')) {
    const c = Number(opt.concurrency);
    const mock = await startMock(Number(opt.delay) > 0 ? 'long:200' : `long:${opt.reply}`, { batch: opt.batch, delayMs: Number(opt.delay) });
    const lg = startLoadGen();
    const r: Record<string, { cpu: number[]; rss: number[]; ttft: number[]; rps: number[] }> = {
      before: { cpu: [], rss: [], ttft: [], rps: [] }, after: { cpu: [], rss: [], ttft: [], rps: [] },
    };
    for (let i = 0; i < rounds; i++) {
      for (const [name, dir] of i % 2 === 0 ? trees : [...trees].reverse()) {
        const gw = await startGateway(mock.url, { entry: join(dir, 'bench/gateway-main.ts'), nodeFlags: flags[name] });
        const spec = { origin: gw.origin, path: '/v1/messages', headers: { 'content-type': 'application/json', 'x-api-key': CLIENT_KEY }, mode: 'anthropic' as const, body: opt.body, concurrency: c };
        await lg.run({ ...spec, requests: 0, warmup: Math.max(40, c * 2), maxMs: 1 });
        const mem = sampleMemory(gw.pid);
        const cpu0 = cpuMsOf(gw.pid);
        const res = await lg.run({ ...spec, requests: Number(opt.requests), warmup: 0, maxMs: 20_000 });
        r[name].cpu.push((cpuMsOf(gw.pid) - cpu0) / (res.completed + res.errors));
        r[name].rss.push(mem.stop());
        r[name].ttft.push(pct(res.ttft, 50));
        r[name].rps.push((res.completed / res.wallMs) * 1000);
        if (res.errors) console.log(`  ${name}: ${res.errors} errors, e.g. ${res.errorSamples[0]}`);
        await stop(gw.proc);
      }
    }
    for (const k of ['before', 'after']) {
      console.log(`gateway ${k.padEnd(6)} (${c} streams of ${opt.body}${opt.batch ? ', --batch' : ''}${Number(opt.delay) > 0 ? `, --delay ${opt.delay}` : ''}): ${med(r[k].cpu).toFixed(2)} CPU ms/request, peak RSS ${med(r[k].rss).toFixed(0)} MB, first text p50 ${med(r[k].ttft).toFixed(2)} ms, ${med(r[k].rps).toFixed(0)} req/s`);
    }
    console.log(`gateway change: CPU per request ${((100 * med(r.after.cpu)) / med(r.before.cpu) - 100).toFixed(1)}%, peak RSS ${((100 * med(r.after.rss)) / med(r.before.rss) - 100).toFixed(1)}%`);
    await stopAll();
  }

  if (what.has('first-text')) {
    // The latency phase's measure, both gateways alive at once: each warmed up as the bench warms its own, then
    // slices of --requests at 1 stream, the direct floor first in every round and the two in turns (the order
    // reversed every other round). A change of a few tens of µs is below the spread between runs minutes apart,
    // but within one round both gateways meet the same machine: the median of the per-round differences says more.
    const mock = await startMock(`text:${SHORT_REPLY}`, { batch: false });
    const lg = startLoadGen();
    const direct = { ...targets(mock, mock).direct, body: `${opt.body}-direct`, concurrency: 1 };
    const gws: Array<{ name: string; gw: Gateway; ttft: number[]; added: number[]; cpu: number; n: number }> = [];
    for (const [name, dir] of trees) {
      gws.push({ name, gw: await startGateway(mock.url, { entry: join(dir, 'bench/gateway-main.ts'), nodeFlags: flags[name] }), ttft: [], added: [], cpu: 0, n: 0 });
    }
    const through = (gw: Gateway) => ({ ...targets(mock, gw).through, body: opt.body, concurrency: 1 });
    for (const x of gws) await lg.run({ ...through(x.gw), requests: 0, warmup: WARMUP, maxMs: 1 });
    await lg.run({ ...direct, requests: 0, warmup: WARMUP, maxMs: 1 });
    const floor: number[] = [];
    const per = Number(opt.requests);
    for (let i = 0; i < rounds; i++) {
      const d = await lg.run({ ...direct, requests: per, warmup: 3, maxMs: 30_000 });
      floor.push(...d.ttft);
      for (const x of i % 2 === 0 ? gws : [...gws].reverse()) {
        const cpu0 = cpuMsOf(x.gw.pid);
        const res = await lg.run({ ...through(x.gw), requests: per, warmup: 3, maxMs: 30_000 });
        x.cpu += cpuMsOf(x.gw.pid) - cpu0;
        x.n += res.completed + res.errors;
        x.ttft.push(...res.ttft);
        x.added.push(med(res.ttft) - med(d.ttft));
        if (res.errors) console.log(`  ${x.name}: ${res.errors} errors, e.g. ${res.errorSamples[0]}`);
      }
    }
    for (const x of gws) {
      console.log(`first text ${x.name.padEnd(6)} (1 stream of ${opt.body}): added ${(med(x.ttft) - med(floor)).toFixed(3)} ms p50 (direct ${med(floor).toFixed(3)}), ` +
        `per round ${x.added.map((v) => v.toFixed(2)).join(' ')}; ${(x.cpu / Math.max(1, x.n)).toFixed(2)} CPU ms/request`);
    }
    const diff = gws[1].added.map((v, k) => v - gws[0].added[k]);
    console.log(`first text change: ${med(diff) >= 0 ? '+' : ''}${med(diff).toFixed(3)} ms, the median of ${rounds} rounds' differences; lower in ${diff.filter((v) => v < 0).length} of them`);
    await stopAll();
  }
}

main().catch(async (e: unknown) => {
  console.error((e as Error)?.stack ?? String(e));
  await stopAll();
  process.exit(1);
});
