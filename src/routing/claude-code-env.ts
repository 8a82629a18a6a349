// The environment that points Claude Code at the gateway with the right context window: `packybridge
// claude-env` prints it as `export` lines, the start-up banner as one command line. Claude Code 2.1.332 takes
// no window from a gateway (its model list keeps only id, name and description), so the window goes in
// CLAUDE_CODE_AUTO_COMPACT_WINDOW: with it /context and auto-compact use that window, and the Claude names
// (and the gateway's names for them in /model) stay as they are.
import type { ConfigSnapshot } from '../config/types.ts';
import type { ModelRegistry } from './model-registry.ts';
import { claudeModelEntries } from './claude-models.ts';

/** Claude Code refuses a smaller CLAUDE_CODE_AUTO_COMPACT_WINDOW (it raises it to this). */
export const CLAUDE_CODE_MIN_COMPACT_WINDOW = 100_000;

export interface ClaudeCodeEnv {
  /** variable -> value, in the order they are printed */
  vars: Array<[string, string]>;
  /** what the user must still do or know (a key to pick, windows that differ), printed as comments */
  notes: string[];
}

/** The URL a local Claude Code uses for a gateway listening on host:port (any-address hosts become loopback). */
export function clientUrl(host: string, port: number): string {
  const h = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}`;
}

/**
 * The variables for Claude Code, or undefined while Packycode cannot serve (no window to give). The window is
 * the smallest input window among the models the Claude names route to: one variable covers every name a
 * user may pick in /model, so none of them overflows before auto-compact.
 */
export function claudeCodeEnv(snapshot: ConfigSnapshot, registry: ModelRegistry, url: string): ClaudeCodeEnv | undefined {
  const entries = claudeModelEntries(snapshot, registry);
  if (entries.length === 0) return undefined;
  const windows = [...new Set(entries.map((e) => e.context_window))].sort((a, b) => a - b);
  const window = Math.max(windows[0], CLAUDE_CODE_MIN_COMPACT_WINDOW);
  const notes: string[] = [];
  const vars: Array<[string, string]> = [['ANTHROPIC_BASE_URL', url]];
  if (snapshot.apiKeys.length === 0) vars.push(['ANTHROPIC_AUTH_TOKEN', 'packybridge']);
  else notes.push('set ANTHROPIC_AUTH_TOKEN to one of the api-keys in the configuration (not printed here)');
  vars.push(['CLAUDE_CODE_AUTO_COMPACT_WINDOW', String(window)], ['CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY', '1']);
  if (windows.length > 1) notes.push(`the Claude names route to models with windows of ${windows.join(', ')} tokens; the smallest is used`);
  return { vars, notes };
}

/** Shell-safe single-quoting where a value needs it (URLs with brackets, ...). */
function shellValue(v: string): string {
  return /^[\w.:/@%+=,-]+$/.test(v) ? v : `'${v.replaceAll("'", `'\\''`)}'`;
}

/** `export NAME=value` lines (and `# note` lines), for `eval "$(packybridge claude-env)"`. */
export function exportLines(env: ClaudeCodeEnv): string[] {
  return [...env.vars.map(([k, v]) => `export ${k}=${shellValue(v)}`), ...env.notes.map((n) => `# ${n}`)];
}

/** `NAME=value ... claude`: one line for the start-up banner. */
export function commandLine(env: ClaudeCodeEnv): string {
  return `${env.vars.map(([k, v]) => `${k}=${shellValue(v)}`).join(' ')} claude`;
}
