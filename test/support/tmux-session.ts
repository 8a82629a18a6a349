// Drives a terminal program inside a detached tmux session (Debian's tmux): start it with a fixed size,
// type, press keys, read the screen, wait for text to appear. Every session is killed by `close()`, which
// resolves only once the program has exited, so its files can be removed after it.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export function hasTmux(): boolean {
  try { execFileSync('tmux', ['-V'], { stdio: 'ignore' }); return true; } catch { return false; }
}

export class TmuxSession {
  readonly name = `packybridge-${randomBytes(4).toString('hex')}`;
  private readonly pid: number;

  /** Starts `argv` in `cwd` with exactly `env` (nothing inherited). */
  constructor(argv: string[], opts: { cwd: string; env: Record<string, string>; cols?: number; rows?: number }) {
    const envArgs = Object.entries(opts.env).map(([k, v]) => `${k}=${v}`);
    execFileSync('tmux', ['new-session', '-d', '-s', this.name, '-x', String(opts.cols ?? 160), '-y', String(opts.rows ?? 50), '-c', opts.cwd,
      'env', '-i', ...envArgs, ...argv]);
    // `env` execs the program, so the pane's first process is the program itself
    this.pid = Number(execFileSync('tmux', ['list-panes', '-t', this.name, '-F', '#{pane_pid}'], { encoding: 'utf8' }).trim());
  }

  /** Types text literally (no key names). */
  type(text: string): void { execFileSync('tmux', ['send-keys', '-t', this.name, '-l', text]); }

  /** Presses keys by tmux name: Enter, Escape, Down, C-c, ... */
  press(...keys: string[]): void { execFileSync('tmux', ['send-keys', '-t', this.name, ...keys]); }

  /** The screen and its scrollback as text. */
  screen(): string {
    try { return execFileSync('tmux', ['capture-pane', '-t', this.name, '-p', '-S', '-200'], { encoding: 'utf8' }); } catch { return ''; }
  }

  /** Resolves with the screen once `re` matches it; rejects with the screen after `timeoutMs`. */
  async waitFor(re: RegExp, timeoutMs = 30_000): Promise<string> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const s = this.screen();
      if (re.test(s)) return s;
      if (Date.now() > until) throw new Error(`the screen never showed ${re} within ${timeoutMs} ms:\n${s}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Kills the session (the program gets SIGHUP) and waits for the program to exit: SIGKILL after `graceMs`. */
  async close(graceMs = 5_000): Promise<void> {
    try { execFileSync('tmux', ['kill-session', '-t', this.name], { stdio: 'ignore' }); } catch { /* already gone */ }
    const until = Date.now() + graceMs;
    while (alive(this.pid)) {
      if (Date.now() > until) { try { process.kill(this.pid, 'SIGKILL'); } catch { /* gone meanwhile */ } }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try { process.kill(pid, 0); return true; } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM'; }
}
