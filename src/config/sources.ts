// Where the Packycode settings come from: config.yaml's packycode block > PACKYCODE_* environment
// (source 2, read here) > Codex CLI files (codex-cli.ts) > none. Problems name each source's own settings.
import type { ConfigProblem, EffectiveSource } from './types.ts';
import { escapeReferences } from './env-expand.ts';
import { checkPackycodeBlock, type BlockCheck } from './packycode.ts';
import { readCodexCli } from './codex-cli.ts';
import { problem } from './problems.ts';
import { PACKYCODE_EXAMPLE_URL } from './schema.ts';

/** block path -> environment variable */
export const PACKYCODE_ENV: Record<string, string> = {
  enabled: 'PACKYCODE_ENABLED',
  'base-url': 'PACKYCODE_BASE_URL',
  'credentials.openai-api-key': 'PACKYCODE_API_KEY',
  'defaults.model': 'PACKYCODE_MODEL',
  'defaults.model-reasoning-effort': 'PACKYCODE_REASONING_EFFORT',
  'requires-openai-auth': 'PACKYCODE_REQUIRES_OPENAI_AUTH',
  'privacy.disable-response-storage': 'PACKYCODE_DISABLE_RESPONSE_STORAGE',
};

const BOOL_WORDS: Record<string, boolean> = { true: true, '1': true, yes: true, on: true, false: false, '0': false, no: false, off: false };

export interface EnvSource {
  active: boolean;       // PACKYCODE_BASE_URL or PACKYCODE_API_KEY is set
  block: Record<string, unknown>;
  problems: ConfigProblem[];
  used: string[];        // the variables that are set
}

export function readEnvSource(env: NodeJS.ProcessEnv): EnvSource {
  const get = (name: string) => {
    const v = env[name];
    return v === undefined || v === '' ? undefined : v;
  };
  const used = Object.values(PACKYCODE_ENV).filter((n) => get(n) !== undefined);
  const active = get('PACKYCODE_BASE_URL') !== undefined || get('PACKYCODE_API_KEY') !== undefined;
  const problems: ConfigProblem[] = [];
  const bool = (name: string): boolean | undefined => {
    const v = get(name);
    if (v === undefined) return undefined;
    const b = BOOL_WORDS[v.trim().toLowerCase()];
    if (b === undefined) problems.push(problem(name, `${JSON.stringify(v)} is not true or false`, `set ${name}=true or ${name}=false`));
    return b;
  };
  const text = (name: string) => {
    const v = get(name);
    return v === undefined ? undefined : escapeReferences(v);
  };
  const block: Record<string, unknown> = { enabled: bool('PACKYCODE_ENABLED') ?? true };
  const set = (obj: Record<string, unknown>, key: string, v: unknown) => {
    if (v !== undefined) obj[key] = v;
  };
  set(block, 'base-url', text('PACKYCODE_BASE_URL'));
  set(block, 'requires-openai-auth', bool('PACKYCODE_REQUIRES_OPENAI_AUTH'));
  const storage = bool('PACKYCODE_DISABLE_RESPONSE_STORAGE');
  if (storage !== undefined) block.privacy = { 'disable-response-storage': storage };
  const defaults: Record<string, unknown> = {};
  set(defaults, 'model', text('PACKYCODE_MODEL'));
  set(defaults, 'model-reasoning-effort', text('PACKYCODE_REASONING_EFFORT'));
  block.defaults = defaults;
  const key = text('PACKYCODE_API_KEY');
  if (key !== undefined) block.credentials = { 'openai-api-key': key };
  return { active, block, problems, used };
}

/**
 * Renames block-relative problem paths to the source's own setting (an environment variable, a Codex
 * file key). `missingFixes` replaces the fix of "is missing" problems with source-specific advice.
 */
export function renameProblems(problems: ConfigProblem[], names: Record<string, string>, missingFixes: Record<string, string> = {}): ConfigProblem[] {
  return problems.map((p) => {
    const name = names[p.path] ?? Object.entries(names).find(([k]) => p.path.startsWith(k + '.') || p.path.startsWith(k + '['))?.[1];
    if (!name) return p;
    const fix = p.message.startsWith('is missing') && missingFixes[p.path] ? missingFixes[p.path] : p.fix;
    return { path: name, message: p.message, fix };
  });
}

export const ENV_MISSING_FIXES: Record<string, string> = {
  'base-url': `export PACKYCODE_BASE_URL=${PACKYCODE_EXAMPLE_URL}`,
  'credentials.openai-api-key': 'export PACKYCODE_API_KEY=<your Packycode key>, or PACKYCODE_REQUIRES_OPENAI_AUTH=false if the endpoint needs no key',
};

export function notConfiguredProblem(codexShown: string): ConfigProblem {
  return problem(
    'packycode',
    `is not configured: no packycode block in config.yaml, neither PACKYCODE_BASE_URL nor PACKYCODE_API_KEY is set, and ${codexShown} has no custom provider with wire_api = "responses"`,
    `add a packycode block to config.yaml (see config.example.yaml), or run \`packybridge import-codex\`, or export PACKYCODE_BASE_URL=${PACKYCODE_EXAMPLE_URL} and PACKYCODE_API_KEY=<your key>`,
  );
}

export interface PackycodeResolution {
  source: EffectiveSource;
  check: BlockCheck;
  extraProblems: ConfigProblem[]; // source-level problems (bad PACKYCODE_ENABLED, Codex key not found)
  notes: string[];
  /** the file the Packycode key was read from, when it holds the key itself (the Codex CLI's auth.json) */
  keyFile?: string;
}

/** Picks the winning source and checks its block. */
export async function resolvePackycode(
  hasBlock: boolean,
  blockRaw: unknown,
  configShown: string,
  env: NodeJS.ProcessEnv,
  homeDir: string,
  codexHome: string,
): Promise<PackycodeResolution> {
  const envSource = readEnvSource(env);
  if (hasBlock) {
    const notes = [`effective source: config.yaml (${configShown}, packycode block)`];
    if (envSource.active) notes.push(`not a source: ${envSource.used.join(', ')} (config.yaml's packycode block takes precedence; it may still read them as \${VAR})`);
    return { source: 'config.yaml', check: checkPackycodeBlock(blockRaw, env, 'packycode'), extraProblems: [], notes };
  }
  if (envSource.active) {
    const check = checkPackycodeBlock(envSource.block, env);
    check.invalid = renameProblems(check.invalid, PACKYCODE_ENV);
    check.missing = renameProblems(check.missing, PACKYCODE_ENV, ENV_MISSING_FIXES);
    return { source: 'env', check, extraProblems: envSource.problems, notes: [`effective source: env (${envSource.used.join(', ')})`] };
  }
  const codex = await readCodexCli(codexHome, env, homeDir);
  if (codex.found && codex.block) {
    const check = checkPackycodeBlock(codex.block, env);
    check.invalid = renameProblems(check.invalid, codex.pathMap);
    const taken = new Set(codex.problems.map((p) => p.path));
    check.missing = renameProblems(check.missing, codex.pathMap).filter((p) => !taken.has(p.path));
    return {
      source: 'codex-cli',
      check,
      extraProblems: codex.problems,
      notes: [`effective source: codex-cli (${codex.configFile}, provider ${codex.providerId})`, ...codex.notes],
      keyFile: codex.keyFile,
    };
  }
  const check: BlockCheck = { value: null, enabled: false, invalid: [], missing: [notConfiguredProblem(codex.configFile)], unknown: [] };
  return {
    source: 'none',
    check,
    extraProblems: codex.problems,
    notes: ['effective source: none (no packycode block, no PACKYCODE_* variables, no usable Codex CLI provider)', ...codex.notes],
  };
}
