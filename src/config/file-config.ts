// config.yaml text -> validated file settings (everything but the packycode sources). No I/O.
import { basename } from 'node:path';
import { parseDocument, type YAMLError } from 'yaml';
import type { AnthropicFallback, ClientKey, ConfigProblem, RoutingConfig, SafeguardsConfig, StateConfig, TimeoutsConfig, UpstreamEntry, UsageConfig } from './types.ts';
import { keyOfEntry, toClientKeys } from './client-keys.ts';
import { expandDeep, type UnsetReference } from './env-expand.ts';
import { splitUnknownKeys } from './known-keys.ts';
import { issuesToProblems, problem, showValue, type IssueLike } from './problems.ts';
import { FILE_FIXES, fileSchema, keysSchema, type FileShape } from './schema.ts';
import { looksLikeBrokenHash } from './secret-key.ts';
import { checkPackycodeBlock, unsetProblem } from './packycode.ts';

export interface FileSettings {
  host: string;
  port: number;
  apiKeys: string[];
  allowedHosts: string[];
  clientKeys: ClientKey[];
  logLevel: string;
  secretKey: string;          // as written (expanded): '' | bcrypt hash | plaintext
  secretKeyIsReference: boolean; // written as ${VAR}: never rewritten in the file
  allowRemote: boolean;
  timeouts: TimeoutsConfig;
  fallbacks: AnthropicFallback[];
  safeguards: SafeguardsConfig;
  /** data-dir as written (relative to the config file), or undefined */
  dataDir?: string;
  usage: UsageConfig;
  state: StateConfig;
  codexKeys: UpstreamEntry[];
  claudeKeys: UpstreamEntry[];
  proxyUrl?: string;
  routing: RoutingConfig;
  maxConcurrentPerUpstream: number;
  saturationQueueAt: number;
  shutdownGraceMs: number;
}

type EntryShape = FileShape['codex-api-key'][number];

/** A codex-api-key / claude-api-key entry as the snapshot holds it. */
function upstreamEntry(e: EntryShape, path: string): UpstreamEntry {
  const t = e.timeouts;
  const timeouts = t ? {
    ...(t['connect-ms'] !== undefined ? { connectMs: t['connect-ms'] } : {}),
    ...(t['first-byte-ms'] !== undefined ? { firstByteMs: t['first-byte-ms'] } : {}),
    ...(t['idle-ms'] !== undefined ? { idleMs: t['idle-ms'] } : {}),
  } : undefined;
  return {
    name: e.name ?? path,
    path,
    baseUrl: e['base-url'],
    apiKey: e['api-key'],
    models: e.models.map((m) => (typeof m === 'string' ? { name: m } : { name: m.name, ...(m.alias ? { alias: m.alias } : {}) })),
    headers: e.headers,
    ...(e['proxy-url'] ? { proxyUrl: e['proxy-url'] } : {}),
    ...(e.prefix ? { prefix: e.prefix.replace(/\/+$/, '') } : {}),
    ...(timeouts ? { timeouts } : {}),
    ...(e['max-concurrent-requests'] !== undefined ? { maxConcurrentRequests: e['max-concurrent-requests'] } : {}),
  };
}

export interface FileEvaluation {
  settings: FileSettings | null; // null when the file is unusable
  hasPackycode: boolean;         // a packycode block is present (and not empty)
  packycodeRaw: unknown;         // the block, unexpanded, unknown keys removed
  errors: ConfigProblem[];
  warnings: ConfigProblem[];
}

const YAML_FIXES: Record<string, string> = {
  TAB_AS_INDENT: 'indent with spaces, not tabs',
  DUPLICATE_KEY: 'keep only one of the duplicate keys',
  BAD_INDENT: 'line the keys of one mapping up at the same column, and indent children under their parent',
  MISSING_CHAR: 'close the bracket or quote that was opened',
  MULTILINE_IMPLICIT_KEY: 'write "key: value" on one line; quote values that contain ": "',
};

function syntaxProblem(err: YAMLError, text: string, fileName: string): ConfigProblem {
  const pos = err.linePos?.[0];
  const where = pos ? `${fileName}:${pos.line}:${pos.col}` : fileName;
  const first = err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  const line = pos ? (text.split(/\r?\n/)[pos.line - 1] ?? '') : '';
  let fix = YAML_FIXES[err.code] ?? 'quote values that contain ": " or " #" or start with {, [, *, &, !, |, >, %, @ or a backquote';
  if (line.includes('${') && /[{[]/.test(line.replace(/\$\{/g, ''))) {
    fix = 'quote the ${VAR} reference, e.g. openai-api-key: "${PACKYCODE_API_KEY}" (braces are YAML syntax inside { })';
  }
  return problem(where, `YAML syntax error: ${first}`, fix);
}

/** Parses and validates config.yaml text. `fileName` names the file in syntax-error paths. */
export function evaluateFileText(text: string, env: NodeJS.ProcessEnv, fileName = 'config.yaml'): FileEvaluation {
  const out: FileEvaluation = { settings: null, hasPackycode: false, packycodeRaw: undefined, errors: [], warnings: [] };
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    out.errors.push(...doc.errors.map((e) => syntaxProblem(e, text, basename(fileName))));
    return out;
  }
  const raw = doc.toJS() ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    out.errors.push(problem('(top level)', `${showValue(raw)} is not a mapping of settings`, 'write one "key: value" per line, e.g. port: 8317 (see config.example.yaml)'));
    return out;
  }

  const split = splitUnknownKeys(raw, keysSchema);
  out.warnings.push(...split.unknown);
  const clean = split.clean as Record<string, unknown>;
  out.packycodeRaw = clean.packycode;
  out.hasPackycode = clean.packycode !== undefined;

  const { packycode: _skip, ...rest } = clean;
  const unset: UnsetReference[] = [];
  const expanded = expandDeep(rest, env, '', unset) as Record<string, unknown>;
  const unsetPaths = new Set(unset.map((u) => u.path));
  out.errors.push(...unset.map(unsetProblem));

  const parsed = fileSchema.safeParse(expanded, { reportInput: true });
  if (!parsed.success) {
    const problems = issuesToProblems(parsed.error.issues as unknown as IssueLike[], '', FILE_FIXES);
    out.errors.push(...problems.filter((p) => !unsetPaths.has(p.path)));
  }
  if (!parsed.success || out.errors.length > 0) return out;
  const f = parsed.data;

  // Cross-field checks.
  const secretKey = f['remote-management']['secret-key'];
  if (looksLikeBrokenHash(secretKey)) {
    out.errors.push(problem('remote-management.secret-key', 'starts like a bcrypt hash but is not a whole one', 'paste the whole hash (60 characters), or write a new plaintext key to be hashed'));
  }
  const names = new Set<string>();
  f.fallbacks.forEach((fb, i) => {
    if (names.has(fb.name)) out.errors.push(problem(`fallbacks[${i}].name`, `"${fb.name}" is used twice`, 'give each fallback its own name'));
    names.add(fb.name);
    if (/\/v1$/i.test(fb['base-url'])) {
      out.warnings.push(problem(`fallbacks[${i}].base-url`, `"${fb['base-url']}" ends with /v1`, `write ${fb['base-url'].slice(0, -3)} (as for ANTHROPIC_BASE_URL; /v1/messages is appended)`));
    }
  });
  const clients = toClientKeys(f['api-keys']);
  out.errors.push(...clients.errors);
  out.warnings.push(...clients.warnings);
  if (f.state.backend === 'redis' && !f.state.url) {
    out.errors.push(problem('state.url', 'is missing while state.backend is redis', 'write the Redis URL, e.g. state: { backend: redis, url: "redis://127.0.0.1:6379" }'));
  } else if (f.state.url && !/^rediss?:\/\//i.test(f.state.url)) {
    out.errors.push(problem('state.url', 'is not a redis:// or rediss:// URL', 'write e.g. redis://127.0.0.1:6379'));
  }
  for (const list of ['codex-api-key', 'claude-api-key'] as const) {
    f[list].forEach((e, i) => {
      if (e.name !== undefined && (names.has(e.name) || e.name === 'packycode')) {
        out.errors.push(problem(`${list}[${i}].name`, `"${e.name}" is used twice`, 'give each upstream its own name'));
      }
      if (e.name !== undefined) names.add(e.name);
      if (list === 'claude-api-key' && /\/v1$/i.test(e['base-url'])) {
        out.warnings.push(problem(`${list}[${i}].base-url`, `"${e['base-url']}" ends with /v1`, `write ${e['base-url'].slice(0, -3)} (as for ANTHROPIC_BASE_URL; /v1/messages is appended)`));
      }
    });
  }
  if ((f.host === '0.0.0.0' || f.host === '::') && f['api-keys'].length === 0) {
    out.warnings.push(problem('api-keys', `is empty while host is ${f.host} (every network interface)`, 'add api-keys, or listen on 127.0.0.1 only'));
  }
  if (f['remote-management']['allow-remote'] && secretKey === '') {
    out.warnings.push(problem('remote-management.allow-remote', 'is true but secret-key is empty, so the management API stays off', 'write a secret-key, or allow-remote: false'));
  }
  if (out.errors.length > 0) return out;

  const rawSecret = (clean['remote-management'] as Record<string, unknown> | undefined)?.['secret-key'];
  out.settings = {
    host: f.host,
    port: f.port,
    apiKeys: f['api-keys'].map(keyOfEntry),
    clientKeys: clients.keys,
    allowedHosts: [...new Set(f['allowed-hosts'])],
    logLevel: f['log-level'],
    secretKey,
    secretKeyIsReference: typeof rawSecret === 'string' && rawSecret.includes('${'),
    allowRemote: f['remote-management']['allow-remote'],
    timeouts: { connectMs: f.timeouts['connect-ms'], firstByteMs: f.timeouts['first-byte-ms'], idleMs: f.timeouts['idle-ms'] },
    fallbacks: f.fallbacks.map((fb) => ({ name: fb.name, baseUrl: fb['base-url'], apiKey: fb['api-key'], models: fb.models })),
    dataDir: f['data-dir'],
    usage: {
      retentionDays: f.usage['retention-days'],
      prices: Object.fromEntries(Object.entries(f.usage.prices).map(([m, p]) => [m, { input: p.input, cachedInput: p['cached-input'] ?? p.input, output: p.output }])),
    },
    state: { backend: f.state.backend, url: f.state.url ?? '' },
    codexKeys: f['codex-api-key'].map((e, i) => upstreamEntry(e, `codex-api-key[${i}]`)),
    claudeKeys: f['claude-api-key'].map((e, i) => upstreamEntry(e, `claude-api-key[${i}]`)),
    ...(f['proxy-url'] ? { proxyUrl: f['proxy-url'] } : {}),
    routing: { strategy: f.routing.strategy, sessionAffinityTtlMs: f.routing['session-affinity-ttl-ms'] },
    maxConcurrentPerUpstream: f.limits['max-concurrent-per-upstream'],
    saturationQueueAt: f.limits['saturation-queue-at'],
    shutdownGraceMs: f['shutdown-grace-ms'],
    safeguards: { classifierModel: f.safeguards['classifier-model'], timeoutMs: f.safeguards['timeout-ms'] },
  };
  return out;
}


/**
 * Would this text load? File problems, plus the packycode block's when it is present and enabled.
 * Used by the store before writing (no other source is consulted).
 */
export function validateConfigText(text: string, env: NodeJS.ProcessEnv): { errors: ConfigProblem[]; warnings: ConfigProblem[] } {
  const e = evaluateFileText(text, env);
  const errors = [...e.errors];
  const warnings = [...e.warnings];
  if (e.settings && e.hasPackycode) {
    const c = checkPackycodeBlock(e.packycodeRaw, env, 'packycode');
    warnings.push(...c.unknown);
    if (c.enabled) errors.push(...c.invalid, ...c.missing);
    else warnings.push(...c.invalid);
  }
  return { errors, warnings };
}
