// Runs a CLI under test (Claude Code, the Codex CLI) in its own process group with a hard timeout, collecting
// its output. Never rejects for the CLI's own failures; the whole group (the CLI and any shell its tools
// started) is killed at the end.
import { spawn } from 'node:child_process';

export interface ProcessRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** killed by the timeout */
  timedOut: boolean;
  durationMs: number;
  stdout: string;
  stderr: string;
}

export async function runBounded(bin: string, args: string[], opts: { cwd: string; env: Record<string, string>; timeoutMs: number }): Promise<ProcessRun> {
  const started = performance.now();
  const child = spawn(bin, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32' });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stderr.on('data', (c: Buffer) => err.push(c));
  let timedOut = false;
  const killAll = (): void => {
    try { if (child.pid !== undefined && process.platform !== 'win32') process.kill(-child.pid, 'SIGKILL'); else child.kill('SIGKILL'); } catch { /* already gone */ }
  };
  const timer = setTimeout(() => { timedOut = true; killAll(); }, opts.timeoutMs);
  try {
    const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, sig) => resolve([code, sig]));
    });
    return {
      exitCode, signal, timedOut, durationMs: Math.round(performance.now() - started),
      stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'),
    };
  } finally {
    clearTimeout(timer);
    killAll(); // leftovers of the group (a backgrounded shell), if any
  }
}
