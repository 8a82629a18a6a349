// A packybridge gateway in its own process (`node src/cli.ts serve`), as an operator runs it: for restarts and
// for several replicas. Resolves once the start-up banner is out; stop() sends SIGTERM and waits for the exit.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const CLI = resolve(import.meta.dirname, '../../src/cli.ts');

export interface GatewayProcess {
  url: string;
  pid: number;
  output(): string;
  stop(): Promise<{ code: number | null; output: string }>;
}

export function startGatewayProcess(configPath: string, opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<GatewayProcess> {
  return new Promise((resolvePromise, reject) => {
    const env = { PATH: process.env.PATH, HOME: opts.cwd ?? resolve(configPath, '..'), CODEX_HOME: resolve(configPath, '../no-codex'), PACKYBRIDGE_LOG_LEVEL: 'warn', ...opts.env };
    const child = spawn(process.execPath, [CLI, 'serve', '--config', configPath, '--host', '127.0.0.1', '--port', '0'], { cwd: opts.cwd ?? resolve(configPath, '..'), env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let started = false;
    const exited = new Promise<{ code: number | null; output: string }>((r) => child.on('close', (code) => r({ code, output: out })));
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`the gateway did not start: ${out}`)); }, opts.timeoutMs ?? 90_000);
    const onData = (c: Buffer) => {
      out += c;
      const m = /packybridge (http:\/\/127\.0\.0\.1:\d+) /.exec(out);
      if (!started && m && /\n.*(point Claude Code at it|requests to \/v1\/messages answer)[^\n]*\n/.test(out)) {
        started = true;
        clearTimeout(timer);
        resolvePromise({
          url: m[1],
          pid: child.pid!,
          output: () => out,
          stop: async () => {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
            return exited;
          },
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((r) => { clearTimeout(timer); if (!started) reject(new Error(`the gateway exited (${r.code}): ${out}`)); });
  });
}
