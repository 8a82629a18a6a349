// Summarises a V8 .cpuprofile (from `npm run bench -- --cpu-prof`, or the bench's own profile of the measured
// window): self time grouped by module (a src/ file, an npm package, Node's internals, native code, GC), top
// functions by self time, and by total (inclusive) time.
//   node bench/cpuprofile-top.ts <file.cpuprofile> [--top 30] [--filter text] [--from US --to US] [--per N]
// --from/--to: only samples in that window (V8 timestamps, µs of the monotonic clock = process.hrtime);
// --per N: also print ms per request for N requests in the window.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
export interface Profile { nodes: Node[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }

export interface ProfileSummary {
  /** µs sampled in the window, idle excluded */
  busyUs: number;
  idleUs: number;
  byModule: Array<{ module: string; us: number }>;
  selfTop: Array<{ fn: string; module: string; us: number }>;
  inclusiveTop: Array<{ fn: string; us: number }>;
}

/** Which part of the gateway a frame belongs to. */
export function moduleOf(url: string, fn: string): string {
  if (url === '') {
    if (fn === '(garbage collector)') return 'GC';
    if (fn === '(idle)') return 'idle';
    if (fn === '(program)') return 'V8 (program)';
    if (fn.startsWith('RegExp:')) return 'RegExp (native)';
    return 'native (JSON, sockets, strings)';
  }
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (nm) return nm[1];
  const src = /\/(src\/.+?)\.[jt]s$/.exec(url) ?? /\/(dist\/.+?)\.js$/.exec(url);
  if (src) return src[1].replace(/^dist\//, 'src/');
  if (url.startsWith('node:')) return 'node internals';
  return url.replace(/^.*\//, '');
}

export function summarizeProfile(prof: Profile, opts: { from?: number; to?: number; top?: number } = {}): ProfileSummary {
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  let t = prof.startTime;
  for (let i = 0; i < prof.samples.length; i++) {
    t += prof.timeDeltas[i] ?? 0;
    const dt = prof.timeDeltas[i + 1] ?? 0;
    if ((opts.from !== undefined && t < opts.from) || (opts.to !== undefined && t > opts.to)) continue;
    selfUs.set(prof.samples[i], (selfUs.get(prof.samples[i]) ?? 0) + dt);
  }
  const name = (n: Node): string => {
    const f = n.callFrame;
    const file = f.url.replace(/^.*\/(node_modules\/)?/, (m) => (m.includes('node_modules') ? 'nm/' : '')).slice(-60);
    return `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`;
  };
  let idleUs = 0;
  let busyUs = 0;
  const mods = new Map<string, number>();
  const self = new Map<string, { us: number; module: string }>();
  const incl = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const n = byId.get(id)!;
    const mod = moduleOf(n.callFrame.url, n.callFrame.functionName);
    if (mod === 'idle') { idleUs += us; continue; }
    busyUs += us;
    mods.set(mod, (mods.get(mod) ?? 0) + us);
    const k = name(n);
    const e = self.get(k) ?? { us: 0, module: mod };
    e.us += us;
    self.set(k, e);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const kk = name(byId.get(cur)!);
      if (seen.has(kk)) continue;
      seen.add(kk);
      incl.set(kk, (incl.get(kk) ?? 0) + us);
    }
  }
  const top = opts.top ?? 30;
  return {
    busyUs, idleUs,
    byModule: [...mods].map(([module, us]) => ({ module, us })).sort((a, b) => b.us - a.us),
    selfTop: [...self].map(([fn, e]) => ({ fn, module: e.module, us: e.us })).sort((a, b) => b.us - a.us).slice(0, top),
    inclusiveTop: [...incl].filter(([k]) => !k.startsWith('(root)')).map(([fn, us]) => ({ fn, us })).sort((a, b) => b.us - a.us).slice(0, top),
  };
}

/** Text report; with `requests`, ms per request beside each line. */
export function formatProfile(s: ProfileSummary, requests?: number, filter?: string): string {
  const per = (us: number): string => (requests ? `${(us / 1000 / requests).toFixed(3).padStart(8)} ms/req` : '');
  const line = (us: number, what: string): string => `${(us / 1000).toFixed(1).padStart(9)} ms ${((100 * us) / s.busyUs).toFixed(1).padStart(5)}% ${per(us)}  ${what}`;
  let out = `busy ${(s.busyUs / 1000).toFixed(0)} ms sampled (idle ${(s.idleUs / 1000).toFixed(0)} ms left out)${requests ? `, ${requests} requests: ${(s.busyUs / 1000 / requests).toFixed(3)} ms/req` : ''}\n`;
  out += '\nself time by module\n' + s.byModule.map((m) => line(m.us, m.module)).join('\n') + '\n';
  out += '\ntop functions by self time\n' + s.selfTop.filter((f) => !filter || f.fn.includes(filter)).map((f) => line(f.us, `${f.fn}  [${f.module}]`)).join('\n') + '\n';
  out += '\ntop functions by total time\n' + s.inclusiveTop.filter((f) => !filter || f.fn.includes(filter)).map((f) => line(f.us, f.fn)).join('\n') + '\n';
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '30' }, filter: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, per: { type: 'string' } },
  });
  const prof = JSON.parse(readFileSync(positionals[0], 'utf8')) as Profile;
  const s = summarizeProfile(prof, {
    top: Number(values.top),
    ...(values.from ? { from: Number(values.from) } : {}),
    ...(values.to ? { to: Number(values.to) } : {}),
  });
  process.stdout.write(formatProfile(s, values.per ? Number(values.per) : undefined, values.filter));
}
