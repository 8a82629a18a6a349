// Child processes of the benchmark: the mock upstream, the gateway, the load generator. Each is started
// with a guard that exits when this process is gone; stopAll() ends them (SIGTERM, then SIGKILL).
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoadResult, LoadSpec } from './load-worker.ts';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
const GUARD = ['--import', new URL('./exit-with-parent.mjs', import.meta.url).href];
/** Flags this process needed to run TypeScript (Node 22.6-22.17): the children need them too. */
const TS_FLAGS = process.execArgv.filter((a) => a.includes('strip-types') || a === '--no-warnings');

const children = new Set<ChildProcess>();

function track(cp: ChildProcess): ChildProcess {
  children.add(cp);
  cp.on('exit', () => children.delete(cp));
  return cp;
}

/** Resolves with the first line matching `re` on the stream; rejects on exit or after `ms`. */
function firstLine(cp: ChildProcess, stream: NodeJS.ReadableStream, re: RegExp, what: string, ms = 20_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => fail(new Error(`${what} did not start within ${ms} ms:\n${buf}`)), ms);
    const onData = (d: Buffer): void => {
      buf += d.toString('utf8');
      for (const line of buf.split('\n')) {
        const m = re.exec(line);
        if (m) { done(); resolve(m); return; }
      }
    };
    const onExit = (code: number | null): void => fail(new Error(`${what} exited (${code}) before it was ready:\n${buf}`));
    const done = (): void => { clearTimeout(timer); stream.off('data', onData); cp.off('exit', onExit); };
    const fail = (e: Error): void => { done(); reject(e); };
    stream.on('data', onData);
    cp.on('exit', onExit);
  });
}

export interface Mock { url: string; origin: string; proc: ChildProcess }

export interface MockOptions {
  /** each reply, headers and body, in one socket write */
  batch?: boolean;
  delayMs?: number;
  eventsPerWrite?: number;
  /** the response objects echo the request's instructions and tools, as the real API's do (default: true) */
  echo?: boolean;
  /** extra node flags (the hops phase: a preload) */
  nodeFlags?: string[];
  /** extra environment variables, on top of this process's */
  env?: Record<string, string>;
}

export async function startMock(scenario: string, opts: MockOptions = {}): Promise<Mock> {
  const args = [...TS_FLAGS, ...(opts.nodeFlags ?? []), ...GUARD, join(ROOT, 'test/support/mock-upstream-cli.ts'), '--port', '0', '--scenario', scenario];
  if (opts.batch === true) args.push('--batch');
  if ((opts.eventsPerWrite ?? 1) > 1) args.push('--events-per-write', String(opts.eventsPerWrite));
  if ((opts.delayMs ?? 0) > 0) args.push('--delay', String(opts.delayMs));
  if (opts.echo !== false) args.push('--echo-request');
  const env = opts.env === undefined ? undefined : { ...process.env, ...opts.env };
  const proc = track(spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT, env }));
  const m = await firstLine(proc, proc.stdout!, /^(http:\/\/127\.0\.0\.1:\d+)\/v1$/, 'the mock upstream');
  proc.stdout!.resume();
  proc.stderr!.resume();
  return { url: `${m[1]}/v1`, origin: m[1], proc };
}

export interface Ceiling { origin: string; proc: ChildProcess }

/** The ceiling proxy (bench/ceiling-proxy.ts) in front of `upstreamUrl`; `events`: it also parses and re-serialises every reply event. */
export async function startCeiling(upstreamUrl: string, events = false): Promise<Ceiling> {
  return startReference('bench/ceiling-proxy.ts', [upstreamUrl, ...(events ? ['--events'] : [])], 'ceiling', 'the ceiling proxy');
}

/** A reference process of the bench (a script under bench/ that prints `<tag> http://127.0.0.1:PORT` once it listens). */
async function startReference(script: string, args: string[], tag: string, what: string): Promise<{ origin: string; proc: ChildProcess }> {
  const proc = track(spawn(process.execPath, [...TS_FLAGS, ...GUARD, join(ROOT, script), ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT }));
  const m = await firstLine(proc, proc.stdout!, new RegExp(`^${tag} (http://127\\.0\\.0\\.1:\\d+)$`), what);
  proc.stdout!.resume();
  proc.stderr!.resume();
  return { origin: m[1], proc };
}

export interface BytePipe { origin: string; proc: ChildProcess }

/** The byte pipe (bench/byte-pipe.ts) in front of `upstreamUrl`: copies bytes both ways, parses nothing. */
export async function startBytePipe(upstreamUrl: string): Promise<BytePipe> {
  return startReference('bench/byte-pipe.ts', [upstreamUrl], 'pipe', 'the byte pipe');
}

export interface Gateway { origin: string; proc: ChildProcess; dir: string; pid: number }

export const CLIENT_KEY = 'bench-client-key';

/**
 * dist/ is what bin/packybridge.js runs (`npm ci` builds it); rebuilt here when a src/ file is newer,
 * so the benchmark always measures the current code. Returns what was done.
 */
export function ensureBuilt(): 'fresh' | 'built' {
  const newest = (dir: string): number => {
    let t = 0;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      t = Math.max(t, e.isDirectory() ? newest(p) : e.name.endsWith('.ts') ? statSync(p).mtimeMs : 0);
    }
    return t;
  };
  const built = existsSync(join(ROOT, 'dist/cli.js')) ? statSync(join(ROOT, 'dist/cli.js')).mtimeMs : 0;
  if (built > newest(join(ROOT, 'src'))) return 'fresh';
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit', cwd: ROOT });
  if (r.status !== 0 && !existsSync(join(ROOT, 'dist/cli.js'))) throw new Error('npm run build failed: dist/ is missing');
  utimesSync(join(ROOT, 'dist/cli.js'), new Date(), new Date()); // tsc keeps unchanged outputs' times
  return 'built';
}

export interface GatewayOptions {
  /** run bin/packybridge.js (dist/, the shipped path) instead of src/ through type stripping */
  dist?: boolean;
  /** another entry point (bench/ab.ts: a gateway-main.ts in another tree) */
  entry?: string;
  /** extra environment variables, e.g. MALLOC_ARENA_MAX */
  env?: Record<string, string>;
  /** extra node flags, e.g. --cpu-prof */
  nodeFlags?: string[];
  logLevel?: string;
  /** write the gateway's log (stdout) to this file instead of /dev/null */
  logFile?: string;
}

export async function startGateway(upstreamUrl: string, opts: GatewayOptions = {}): Promise<Gateway> {
  const dir = mkdtempSync(join(tmpdir(), 'packybridge-bench-'));
  mkdirSync(join(dir, 'codex-home'));
  const configPath = join(dir, 'config.yaml');
  writeFileSync(configPath, [
    '# packybridge benchmark configuration',
    'host: 127.0.0.1',
    `log-level: ${opts.logLevel ?? 'info'}`,
    'api-keys:',
    `  - ${CLIENT_KEY}`,
    'packycode:',
    '  enabled: true',
    `  base-url: ${upstreamUrl}`,
    '  credentials:',
    '    openai-api-key: sk-bench-upstream-key-0000',
    '  defaults:',
    '    model: gpt-5-codex',
    '    model-reasoning-effort: medium',
    '',
  ].join('\n'));
  const entry = opts.entry ?? (opts.dist ? join(ROOT, 'bin/packybridge.js') : join(ROOT, 'bench/gateway-main.ts'));
  const memoryLog = process.env.BENCH_MEMORY_LOG ? ['--import', new URL('./memory-log.mjs', import.meta.url).href] : [];
  const args = [...TS_FLAGS, ...(opts.nodeFlags ?? []), ...GUARD, ...memoryLog, entry, 'serve', '--config', configPath, '--port', '0', '--host', '127.0.0.1', '--codex-home', join(dir, 'codex-home')];
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, BENCH_MEMORY_LOG: process.env.BENCH_MEMORY_LOG, HOME: dir, CODEX_HOME: join(dir, 'codex-home'), NODE_ENV: 'production', ...opts.env };
  // stdout (one JSON log line per request) goes to /dev/null: logging stays on, as in production
  const out = opts.logFile ? openSync(opts.logFile, 'w') : 'ignore';
  const proc = track(spawn(process.execPath, args, { stdio: ['ignore', out, 'pipe'], cwd: dir, env }));
  if (typeof out === 'number') closeSync(out);
  const m = await firstLine(proc, proc.stderr!, /^packybridge (http:\/\/127\.0\.0\.1:\d+) /, 'the gateway');
  proc.stderr!.resume();
  return { origin: m[1], proc, dir, pid: proc.pid! };
}

/** VmRSS and VmHWM (peak) of a process, in MB. */
export function memoryOf(pid: number): { rss: number; hwm: number } {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? 0);
    return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
  } catch {
    return { rss: 0, hwm: 0 };
  }
}

/** Resets VmHWM to the current RSS (Linux clear_refs 5); false when not possible. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Samples VmRSS every `everyMs` while running; stop() gives the maximum of samples and VmHWM. */
export function sampleMemory(pid: number, everyMs = 100): { stop(): number } {
  const canReset = resetPeak(pid);
  let max = memoryOf(pid).rss;
  const t = setInterval(() => { max = Math.max(max, memoryOf(pid).rss); }, everyMs);
  return {
    stop() {
      clearInterval(t);
      const m = memoryOf(pid);
      return Math.max(max, m.rss, canReset ? m.hwm : 0);
    },
  };
}

export interface LoadGen { run(spec: LoadSpec): Promise<LoadResult>; proc: ChildProcess }

export function startLoadGen(): LoadGen {
  const proc = track(fork(join(ROOT, 'bench/load-worker.ts'), [], { execArgv: [...TS_FLAGS], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  let next = 0;
  const waiting = new Map<number, { resolve: (r: LoadResult) => void; reject: (e: Error) => void }>();
  proc.on('message', (msg: { id: number; result?: LoadResult; error?: string }) => {
    const w = waiting.get(msg.id);
    if (!w) return;
    waiting.delete(msg.id);
    if (msg.error) w.reject(new Error(msg.error));
    else w.resolve(msg.result!);
  });
  proc.on('exit', (code) => {
    for (const w of waiting.values()) w.reject(new Error(`load generator exited (${code})`));
    waiting.clear();
  });
  return {
    proc,
    run(spec) {
      const id = next++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        proc.send({ id, spec });
      });
    },
  };
}

/** Runs a TypeScript file in a child process and returns the JSON it prints last on stdout. */
export function runJsonChild<T>(file: string, args: string[], timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const proc = track(spawn(process.execPath, [...TS_FLAGS, ...GUARD, resolvePath(ROOT, file), ...args], { stdio: ['ignore', 'pipe', 'inherit'], cwd: ROOT }));
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => { out += d.toString('utf8'); });
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`${file} took longer than ${timeoutMs} ms`)); }, timeoutMs);
    proc.on('close', (code) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) { reject(new Error(`${file} exited ${code}`)); return; }
      try { resolve(JSON.parse(last) as T); } catch { reject(new Error(`${file} printed no JSON result`)); }
    });
  });
}

/** Ends one child: SIGTERM, SIGKILL after `graceMs`. */
export function stop(cp: ChildProcess, graceMs = 3_000): Promise<void> {
  if (cp.exitCode !== null || cp.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => { cp.kill('SIGKILL'); }, graceMs);
    cp.once('exit', () => { clearTimeout(t); resolve(); });
    if (cp.connected) cp.disconnect();
    cp.kill('SIGTERM');
  });
}

export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((c) => stop(c)));
}

/** Last resort on process exit: every child still running gets SIGKILL. */
export function killAllSync(): void {
  for (const c of children) {
    try { c.kill('SIGKILL'); } catch { /* gone */ }
  }
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** CPU time (user + system) a process has used so far, in ms (Linux clock ticks of 10 ms). */
export function cpuMsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}
