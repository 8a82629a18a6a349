// Source 3: the Codex CLI's own files in $CODEX_HOME (default ~/.codex): config.toml and auth.json.
// Active model_provider -> [model_providers.<id>] with wire_api = "responses" -> a kebab-case packycode block.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import type { ConfigProblem } from './types.ts';
import { escapeReferences } from './env-expand.ts';
import { problem } from './problems.ts';

export interface CodexCliResult {
  found: boolean;
  /** kebab-case packycode block (enabled: true); omitted keys take the defaults */
  block?: Record<string, unknown>;
  notes: string[];
  problems: ConfigProblem[];
  /** config.toml as displayed (~ for the home folder) */
  configFile: string;
  providerId?: string;
  /** where each block value came from: block path -> Codex setting, for notes and import-codex */
  origins: Array<{ to: string; from: string }>;
  /** block path -> Codex setting, used to name Codex settings in validation problems */
  pathMap: Record<string, string>;
  /** the env_key variable that supplied the key, when it did */
  keyEnvVar?: string;
  /** auth.json, when the key was read from it */
  keyFile?: string;
}

const BUILT_IN = new Set(['openai', 'oss', 'ollama', 'lmstudio']);

export function tildify(path: string, env: NodeJS.ProcessEnv, homeDir?: string): string {
  const home = homeDir || env.HOME || homedir();
  return home && (path === home || path.startsWith(home + '/')) ? '~' + path.slice(home.length) : path;
}

async function readText(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

type Table = Record<string, unknown>;
const isTable = (v: unknown): v is Table => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** `homeDir` only shortens paths in messages (~/.codex/...). */
export async function readCodexCli(codexHome: string, env: NodeJS.ProcessEnv, homeDir?: string): Promise<CodexCliResult> {
  const tomlPath = join(codexHome, 'config.toml');
  const authPath = join(codexHome, 'auth.json');
  const shown = tildify(tomlPath, env, homeDir);
  const authShown = tildify(authPath, env, homeDir);
  const r: CodexCliResult = { found: false, notes: [], problems: [], configFile: shown, origins: [], pathMap: {} };

  const text = await readText(tomlPath);
  if (text === null) {
    r.notes.push(`codex-cli: no ${shown}`);
    return r;
  }
  let doc: Table;
  try {
    doc = parseToml(text) as Table;
  } catch (e) {
    const where = e instanceof TomlError ? `${shown}:${e.line}:${e.column}` : shown;
    const first = String((e as Error).message).split('\n')[0];
    r.problems.push(problem(where, `TOML syntax error: ${first}`, 'fix the Codex CLI config file (codex itself cannot read it either)'));
    return r;
  }

  // An active profile overrides the top-level settings.
  const settings: Table = { ...doc };
  const profileName = str(doc.profile);
  const profiles = isTable(doc.profiles) ? doc.profiles : {};
  if (profileName && isTable(profiles[profileName])) {
    Object.assign(settings, profiles[profileName]);
    r.notes.push(`codex-cli: profile "${profileName}" is active`);
  }
  const at = (key: string) => (profileName && isTable(profiles[profileName]) && key in (profiles[profileName] as Table) ? `profiles.${profileName}.${key}` : key);

  const providers = isTable(doc.model_providers) ? doc.model_providers : {};
  const id = str(settings.model_provider) ?? 'openai';
  const provider = providers[id];
  if (!isTable(provider)) {
    if (BUILT_IN.has(id)) {
      r.notes.push(
        `codex-cli: ${shown} uses the built-in "${id}" provider; only a custom [model_providers.<id>] with wire_api = "responses" is picked up`,
      );
    } else {
      r.problems.push(
        problem(`${shown} ${at('model_provider')}`, `is "${id}" but there is no [model_providers.${id}] table`, `add [model_providers.${id}] with base_url, wire_api = "responses" and env_key or requires_openai_auth`),
      );
    }
    return r;
  }
  r.providerId = id;
  const p = `model_providers.${id}`;
  if (provider.wire_api !== 'responses') {
    const has = provider.wire_api === undefined ? 'has no wire_api' : `has wire_api = ${JSON.stringify(provider.wire_api)}`;
    r.notes.push(`codex-cli: [${p}] in ${shown} ${has}; packybridge picks up only wire_api = "responses" (add it if the provider speaks the Responses API)`);
    return r;
  }

  r.found = true;
  const block: Record<string, unknown> = { enabled: true, 'wire-api': 'responses' };
  const origin = (to: string, from: string) => {
    r.origins.push({ to, from });
    r.pathMap[to] = from;
  };
  r.pathMap['enabled'] = `${shown} model_provider`;
  r.pathMap['wire-api'] = `${shown} ${p}.wire_api`;

  const baseUrl = provider.base_url;
  r.pathMap['base-url'] = `${shown} ${p}.base_url`;
  if (baseUrl !== undefined) {
    block['base-url'] = typeof baseUrl === 'string' ? escapeReferences(baseUrl) : baseUrl;
    origin('base-url', `${shown} ${p}.base_url`);
  }

  const envKey = str(provider.env_key);
  const requiresAuth = provider.requires_openai_auth === true;
  block['requires-openai-auth'] = requiresAuth || envKey !== undefined;
  origin('requires-openai-auth', `${shown} ${p}.${envKey ? 'env_key' : 'requires_openai_auth'}`);

  const defaults: Record<string, unknown> = {};
  if (settings.model !== undefined) {
    defaults.model = settings.model;
    origin('defaults.model', `${shown} ${at('model')}`);
  }
  if (settings.model_reasoning_effort !== undefined) {
    defaults['model-reasoning-effort'] = settings.model_reasoning_effort;
    origin('defaults.model-reasoning-effort', `${shown} ${at('model_reasoning_effort')}`);
  }
  r.pathMap['defaults.model'] = `${shown} ${at('model')}`;
  r.pathMap['defaults.model-reasoning-effort'] = `${shown} ${at('model_reasoning_effort')}`;
  block.defaults = defaults;
  if (settings.disable_response_storage !== undefined) {
    block.privacy = { 'disable-response-storage': settings.disable_response_storage };
    origin('privacy.disable-response-storage', `${shown} ${at('disable_response_storage')}`);
  }
  r.pathMap['privacy.disable-response-storage'] = `${shown} ${at('disable_response_storage')}`;

  // The key: the variable named by env_key, else auth.json's OPENAI_API_KEY (requires_openai_auth).
  const keyPath = 'credentials.openai-api-key';
  if (envKey) {
    r.pathMap[keyPath] = `$${envKey}`;
    const v = env[envKey];
    if (v) {
      block.credentials = { 'openai-api-key': escapeReferences(v) };
      r.keyEnvVar = envKey;
      origin(keyPath, `$${envKey} (${p}.env_key)`);
    } else if (!requiresAuth) {
      r.problems.push(problem(`$${envKey}`, `is not set (${p}.env_key in ${shown} names it)`, `export ${envKey}=<your Packycode key> before starting packybridge`));
    }
  }
  if (requiresAuth && !block.credentials) {
    r.pathMap[keyPath] = `${authShown} OPENAI_API_KEY`;
    const auth = await readText(authPath);
    let parsed: unknown = null;
    try {
      parsed = auth === null ? null : JSON.parse(auth);
    } catch {
      r.problems.push(problem(authShown, 'is not valid JSON', 'run `codex login --with-api-key` again to rewrite it'));
    }
    const key = isTable(parsed) ? str(parsed.OPENAI_API_KEY) : undefined;
    if (key) {
      block.credentials = { 'openai-api-key': escapeReferences(key) };
      r.keyFile = authPath;
      origin(keyPath, `${authShown} OPENAI_API_KEY`);
    } else if (auth === null) {
      r.problems.push(problem(`${authShown} OPENAI_API_KEY`, `is missing: there is no ${authShown} (${p}.requires_openai_auth = true)`, 'run `printenv PACKYCODE_API_KEY | codex login --with-api-key`, or give the provider env_key'));
    } else if (isTable(parsed)) {
      const why = isTable(parsed.tokens) ? 'auth.json holds a ChatGPT sign-in, not an API key' : 'OPENAI_API_KEY is empty';
      r.problems.push(problem(`${authShown} OPENAI_API_KEY`, `is missing: ${why}`, 'run `printenv PACKYCODE_API_KEY | codex login --with-api-key` with your Packycode key, or give the provider env_key'));
    }
  }
  if (!r.pathMap[keyPath]) r.pathMap[keyPath] = `${shown} ${p}.env_key`;

  r.block = block;
  const keyFrom = r.origins.find((o) => o.to === keyPath)?.from ?? 'none';
  r.notes.push(`codex-cli: ${shown}, provider ${id} (base_url ${String(baseUrl ?? 'unset')}, key from ${keyFrom})`);
  return r;
}
