// Runs the real Claude Code CLI (the @anthropic-ai/claude-code devDependency, a native binary) headless:
// `claude -p <prompt> --output-format json|stream-json` with a throwaway HOME, cwd and TMPDIR, an environment
// built from scratch (only PATH is taken from the parent), a hard timeout, and the JSON result parsed.
import { runBounded, type ProcessRun } from './run-process.ts';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** The final `{"type":"result"}` object Claude Code prints (the fields the tests read; more exist). */
export interface ClaudeResult {
  type: 'result';
  subtype: string;
  is_error: boolean;
  api_error_status: number | null;
  result?: string;
  num_turns: number;
  session_id: string;
  stop_reason?: string | null;
  permission_denials: unknown[];
  modelUsage?: Record<string, unknown>;
  [k: string]: unknown;
}

export interface ClaudeRun extends ProcessRun {
  /** the result object, when stdout held one */
  result?: ClaudeResult;
  /** every JSON line of stdout (stream-json: the whole session, in order) */
  events: Record<string, unknown>[];
  /** Claude Code's debug log, when asked for (RunClaudeOptions.debugLog) */
  debugLog?: string;
  /** the throwaway HOME and working folder it ran in (removed by now; for rewriting paths in recordings) */
  home: string;
  cwd: string;
}

export interface RunClaudeOptions {
  bin: string;
  prompt: string;
  /** the gateway's URL (ANTHROPIC_BASE_URL) */
  baseUrl: string;
  /** ANTHROPIC_API_KEY; left unset when undefined (e.g. ANTHROPIC_AUTH_TOKEN in `env` instead) */
  apiKey?: string;
  /** extra CLI arguments (--model, --allowedTools, ...) */
  args?: string[];
  /** extra environment variables, on top of the fixed set */
  env?: Record<string, string>;
  outputFormat?: 'json' | 'stream-json';
  /** kill the CLI after this long (default 60 s) */
  timeoutMs?: number;
  /** files to write into the throwaway HOME first (path relative to HOME -> content), e.g. .claude.json */
  homeFiles?: Record<string, string>;
  /** a debug log is written and returned in `debugLog` (Claude Code's --debug-file) */
  debugLog?: boolean;
  /** run in this folder (home/, work/, tmp/ under it) and keep it, so a later run continues the session */
  root?: string;
}

const STUB_MAX_BYTES = 4096; // the wrapper package's placeholder bin/claude.exe before its postinstall ran

/** `linux-x64`, `linux-x64-musl`, `darwin-arm64`, ...: the suffix of the platform package holding the binary. */
export function claudePlatformKey(): string {
  const cpu = process.arch;
  if (process.platform === 'linux') {
    const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
    return `linux-${cpu}${header && header.glibcVersionRuntime === undefined ? '-musl' : ''}`;
  }
  return `${process.platform}-${cpu}`;
}

/** The Claude Code versions the tests run: the npm package (or alias) each is installed under. */
export const CLAUDE_CODE_PACKAGES = {
  '2.1.197': '@anthropic-ai/claude-code',
  '2.1.332': 'claude-code-2.1.332', // npm alias of @anthropic-ai/claude-code@2.1.332
} as const;
export type ClaudeCodeVersion = keyof typeof CLAUDE_CODE_PACKAGES;

/**
 * The native Claude Code binary of one version (default 2.1.197), or undefined when its optional platform
 * package is not installed. Prefers the platform package's own binary, resolved from the wrapper package
 * (present even when install scripts were skipped), then the wrapper's bin/claude.exe when its postinstall
 * replaced the placeholder.
 */
export function findClaudeBinary(root = process.cwd(), version: ClaudeCodeVersion = '2.1.197'): string | undefined {
  const pkg = CLAUDE_CODE_PACKAGES[version];
  const exe = process.platform === 'win32' ? 'claude.exe' : 'claude';
  let wrapper: string | undefined;
  try { wrapper = dirname(createRequire(join(root, 'package.json')).resolve(`${pkg}/package.json`)); } catch { return undefined; }
  const candidates: string[] = [];
  try { candidates.push(join(dirname(createRequire(join(wrapper, 'package.json')).resolve(`@anthropic-ai/claude-code-${claudePlatformKey()}/package.json`)), exe)); } catch { /* not installed */ }
  candidates.push(join(wrapper, 'bin', 'claude.exe'));
  return candidates.find((p) => existsSync(p) && statSync(p).size > STUB_MAX_BYTES);
}

/** Runs `claude -p`; never rejects for the CLI's own failures (they are in the returned run). */
export async function runClaude(opts: RunClaudeOptions): Promise<ClaudeRun> {
  const root = opts.root ?? mkdtempSync(join(tmpdir(), 'packybridge-claude-'));
  const home = join(root, 'home');
  const cwd = join(root, 'work');
  const tmp = join(root, 'tmp');
  for (const d of [home, cwd, tmp]) mkdirSync(d, { recursive: true });
  for (const [rel, content] of Object.entries(opts.homeFiles ?? {})) {
    mkdirSync(dirname(join(home, rel)), { recursive: true });
    writeFileSync(join(home, rel), content);
  }
  const debugFile = opts.debugLog ? join(tmp, 'claude-debug.log') : undefined;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    TMPDIR: tmp,
    ANTHROPIC_BASE_URL: opts.baseUrl,
    ...(opts.apiKey !== undefined ? { ANTHROPIC_API_KEY: opts.apiKey } : {}),
    DISABLE_TELEMETRY: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    ...opts.env,
  };
  const args = ['-p', opts.prompt, '--output-format', opts.outputFormat ?? 'json', ...(opts.outputFormat === 'stream-json' ? ['--verbose'] : []), ...(debugFile ? ['--debug-file', debugFile] : []), ...(opts.args ?? [])];
  try {
    const run = await runBounded(opts.bin, args, { cwd, env, timeoutMs: opts.timeoutMs ?? 60_000 });
    const events = parseJsonLines(run.stdout);
    const result = [...events].reverse().find((e) => e.type === 'result') as ClaudeResult | undefined;
    const debugLog = debugFile && existsSync(debugFile) ? readFileSync(debugFile, 'utf8') : undefined;
    return { ...run, result, events, debugLog, home, cwd };
  } finally {
    if (opts.root === undefined) rmSync(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    else if (debugFile) rmSync(debugFile, { force: true });
  }
}

/** Each line of stdout that is a JSON object (json: one line; stream-json: one per event). */
export function parseJsonLines(stdout: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of stdout.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('{')) continue;
    try {
      const v = JSON.parse(t) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) out.push(v as Record<string, unknown>);
    } catch { /* not JSON: ignore */ }
  }
  return out;
}

/** A compact account of a run for assertion messages: exit, timing, stderr and the end of stdout. */
export function describeRun(run: ClaudeRun): string {
  const tail = (s: string, n: number): string => (s.length > n ? `…${s.slice(-n)}` : s);
  return [
    `claude exited ${run.exitCode ?? `by ${run.signal ?? '?'}`}${run.timedOut ? ' (killed: timeout)' : ''} after ${run.durationMs} ms`,
    `stderr: ${run.stderr.trim() === '' ? '(empty)' : tail(run.stderr.trim(), 4000)}`,
    `stdout: ${run.stdout.trim() === '' ? '(empty)' : tail(run.stdout.trim(), 4000)}`,
  ].join('\n');
}
