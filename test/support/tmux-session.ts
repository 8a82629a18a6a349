// Drives a terminal program inside a detached tmux session (Debian's tmux): start it with a fixed size,
// type, press keys, read the screen, wait for text to appear. Every session is killed by `close()`.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export function hasTmux(): boolean {
  try { execFileSync('tmux', ['-V'], { stdio: 'ignore' }); return true; } catch { return false; }
}

export class TmuxSession {
  readonly name = `packybridge-${randomBytes(4).toString('hex')}`;

  /** Starts `argv` in `cwd` with exactly `env` (nothing inherited). */
  constructor(argv: string[], opts: { cwd: string; env: Record<string, string>; cols?: number; rows?: number }) {
    const envArgs = Object.entries(opts.env).map(([k, v]) => `${k}=${v}`);
    execFileSync('tmux', ['new-session', '-d', '-s', this.name, '-x', String(opts.cols ?? 160), '-y', String(opts.rows ?? 50), '-c', opts.cwd,
      'env', '-i', ...envArgs, ...argv]);
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

  close(): void {
    try { execFileSync('tmux', ['kill-session', '-t', this.name], { stdio: 'ignore' }); } catch { /* already gone */ }
  }
}
