// Runs the real Codex CLI (the pinned @openai/codex devDependency, a native binary) headless: `codex exec
// --json <prompt>` with a throwaway CODEX_HOME whose config.toml points a `wire_api = "responses"` model
// provider at the gateway (base_url, env_key for the gateway's client key), a throwaway HOME and working
// folder, an environment built from scratch (only PATH is taken from the parent), and a hard timeout.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseJsonLines } from './claude-cli.ts';
import { runBounded, type ProcessRun } from './run-process.ts';

export interface CodexRun extends ProcessRun {
  /** every JSON line of stdout (`--json`: thread, turn and item events) */
  events: Record<string, unknown>[];
  /** the text of the last agent_message item */
  lastMessage?: string;
}

export interface RunCodexOptions {
  prompt: string;
  /** the gateway's base URL ending in /v1 */
  baseUrl: string;
  /** the gateway client key, handed over through the provider's env_key */
  apiKey: string;
  model?: string;
  extraArgs?: string[];
  /** kill the CLI after this long (default 90 s) */
  timeoutMs?: number;
}

const TARGETS: Record<string, string> = {
  'linux-x64': 'x86_64-unknown-linux-musl', 'linux-arm64': 'aarch64-unknown-linux-musl',
  'darwin-x64': 'x86_64-apple-darwin', 'darwin-arm64': 'aarch64-apple-darwin',
};

/** The native `codex` binary of the installed platform package, or undefined when it is not installed. */
export function findCodexBinary(root = process.cwd()): string | undefined {
  const key = `${process.platform}-${process.arch}`;
  const triple = TARGETS[key];
  if (!triple) return undefined;
  try {
    const req = createRequire(join(root, 'package.json'));
    const pkg = dirname(req.resolve(`@openai/codex-${key}/package.json`));
    const bin = join(pkg, 'vendor', triple, 'bin', 'codex');
    return existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

/** config.toml for a custom Responses provider, as a Packycode user would write it (captured shape). */
export function codexConfigToml(baseUrl: string, model: string): string {
  return [
    `model = "${model}"`,
    'model_provider = "packybridge"',
    'model_reasoning_effort = "medium"',
    'check_for_update_on_startup = false',
    '',
    '[analytics]',
    'enabled = false',
    '',
    '[model_providers.packybridge]',
    'name = "packybridge (test)"',
    `base_url = "${baseUrl}"`,
    'env_key = "PACKYBRIDGE_CLIENT_KEY"',
    'wire_api = "responses"',
    'request_max_retries = 0',
    'stream_max_retries = 0',
    '',
  ].join('\n');
}

export async function runCodex(opts: RunCodexOptions): Promise<CodexRun> {
  const bin = findCodexBinary();
  if (!bin) throw new Error('the Codex CLI binary is not installed (npm ci installs @openai/codex and its platform package)');
  const root = mkdtempSync(join(tmpdir(), 'packybridge-codex-'));
  const home = join(root, 'home');
  const codexHome = join(root, 'codex-home');
  const cwd = join(root, 'work');
  for (const d of [home, codexHome, cwd]) mkdirSync(d);
  writeFileSync(join(codexHome, 'config.toml'), codexConfigToml(opts.baseUrl, opts.model ?? 'gpt-5-codex'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    CODEX_HOME: codexHome,
    TMPDIR: root,
    PACKYBRIDGE_CLIENT_KEY: opts.apiKey,
    NO_COLOR: '1',
    RUST_LOG: 'error',
  };
  const args = ['exec', '--json', '--skip-git-repo-check', '--dangerously-bypass-approvals-and-sandbox', ...(opts.extraArgs ?? []), opts.prompt];
  try {
    const run = await runBounded(bin, args, { cwd, env, timeoutMs: opts.timeoutMs ?? 90_000 });
    const events = parseJsonLines(run.stdout);
    const messages = events
      .map((e) => e.item as { type?: string; text?: string } | undefined)
      .filter((i) => i?.type === 'agent_message' && typeof i.text === 'string');
    return { ...run, events, lastMessage: messages.at(-1)?.text };
  } finally {
    rmSync(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }
}

export function describeCodexRun(run: CodexRun): string {
  const tail = (s: string) => (s.length > 3000 ? `…${s.slice(-3000)}` : s);
  return `codex exited ${run.exitCode}${run.timedOut ? ' (killed: timeout)' : ''}\nstderr: ${tail(run.stderr.trim()) || '(empty)'}\nstdout: ${tail(run.stdout.trim()) || '(empty)'}`;
}
