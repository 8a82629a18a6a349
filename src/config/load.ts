// loadConfig: config.yaml + Packycode sources -> one immutable ConfigSnapshot, with every problem explained.
// Packycode precedence: config.yaml's packycode block > PACKYCODE_* environment > Codex CLI files > none.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { ConfigProblem, ConfigSnapshot, PackycodeConfig } from './types.ts';
import { evaluateFileText, type FileSettings } from './file-config.ts';
import { disabledPackycode } from './packycode.ts';
import { tildify } from './codex-cli.ts';
import { resolvePackycode } from './sources.ts';
import { isBcryptHash, memoryHash } from './secret-key.ts';
import { hashPlaintextSecretKey } from './store.ts';
import { packycodeSummary } from './present.ts';
import { readIfExists } from './read-if-exists.ts';
import { secretFileWarnings } from './file-modes.ts';

export { maskSecret, packycodeToYamlShape, snapshotToYamlShape } from './present.ts';
export { validatePackycodeBlock } from './packycode.ts';

export interface LoadOptions {
  /** config.yaml: a path, null for none, undefined to look it up (PACKYBRIDGE_CONFIG, ./config.yaml) */
  path?: string | null;
  env?: NodeJS.ProcessEnv;
  /** Codex CLI folder; default $CODEX_HOME, else <homeDir>/.codex */
  codexHome?: string;
  /** the CLI's --packycode: Packycode is on for this run and must be valid from some source */
  forcePackycode?: boolean;
  homeDir?: string;
  /** default process.cwd(); resolves relative paths */
  cwd?: string;
  /**
   * A plaintext remote-management.secret-key: true (default) writes its bcrypt hash into the file;
   * false only hashes it for the snapshot (`check` never writes).
   */
  persistSecretHash?: boolean;
  /** config.yaml's text, already read or just written (a management write): used instead of reading `path` */
  text?: string;
}

export interface LoadResult {
  snapshot: ConfigSnapshot | null; // null only when the file itself is unusable
  errors: ConfigProblem[];         // fatal: start-up stops / reload is refused
  warnings: ConfigProblem[];
  notes: string[];
  /** the config.yaml text the snapshot was built from (null: no file); the watcher compares against it */
  fileText?: string | null;
}

export function resolveConfigPath(explicit: string | undefined, env: NodeJS.ProcessEnv, cwd: string): string | null {
  if (explicit) return resolve(cwd, explicit);
  if (env.PACKYBRIDGE_CONFIG) return resolve(cwd, env.PACKYBRIDGE_CONFIG);
  const local = resolve(cwd, 'config.yaml');
  return existsSync(local) ? local : null;
}

const defaultFileSettings = (): FileSettings => evaluateFileText('{}', {}).settings!;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

export async function loadConfig(opts: LoadOptions = {}): Promise<LoadResult> {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const homeDir = opts.homeDir ?? env.HOME ?? homedir();
  const codexHome = opts.codexHome ?? (env.CODEX_HOME ? resolve(cwd, env.CODEX_HOME) : join(homeDir, '.codex'));
  const path = opts.path === undefined ? resolveConfigPath(undefined, env, cwd) : opts.path === null ? null : resolve(cwd, opts.path);
  const errors: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  const notes: string[] = [];

  // 1. The file.
  let text: string | null = null;
  let settings: FileSettings;
  let hasBlock = false;
  let blockRaw: unknown;
  if (path) {
    const hashed = opts.persistSecretHash !== false ? await tryHashInFile(path, warnings) : false;
    text = opts.text !== undefined && !hashed ? opts.text : await readIfExists(path);
    if (text === null) {
      errors.push({ path, message: 'config file not found', fix: 'create it (copy config.example.yaml), or point --config / PACKYBRIDGE_CONFIG at an existing file' });
      return { snapshot: null, errors, warnings, notes, fileText: null };
    }
    notes.push(`config file: ${path}`);
    if (hashed) notes.push('remote-management.secret-key: the plaintext key was replaced by its bcrypt hash in the file');
    const evaluation = evaluateFileText(text, env, path);
    warnings.push(...evaluation.warnings);
    if (!evaluation.settings) {
      errors.push(...evaluation.errors);
      return { snapshot: null, errors, warnings, notes, fileText: text };
    }
    settings = evaluation.settings;
    hasBlock = evaluation.hasPackycode;
    blockRaw = evaluation.packycodeRaw;
  } else {
    notes.push('config file: none (no --config, no PACKYBRIDGE_CONFIG, no ./config.yaml); defaults apply');
    settings = defaultFileSettings();
  }

  // 2. remote-management.secret-key: always a hash in the snapshot.
  let secretKey = settings.secretKey;
  if (secretKey !== '' && !isBcryptHash(secretKey)) {
    secretKey = memoryHash(secretKey);
    if (!settings.secretKeyIsReference && opts.persistSecretHash !== false && !warnings.some((w) => w.path === 'remote-management.secret-key')) {
      warnings.push({ path: 'remote-management.secret-key', message: 'is still plaintext in the file', fix: 'make the file writable so packybridge can store the hash, or write a bcrypt hash yourself' });
    }
  }

  // 3. Packycode.
  const configShown = path ? tildify(path, env, homeDir) : 'config.yaml';
  const res = await resolvePackycode(hasBlock, blockRaw, configShown, env, homeDir, codexHome);
  notes.push(...res.notes);
  const { check } = res;
  const enabled = check.enabled || opts.forcePackycode === true;
  const usable = check.value !== null && check.invalid.length === 0 && check.missing.length === 0 && res.extraProblems.length === 0;
  const problems = [...res.extraProblems, ...check.invalid, ...check.missing];
  warnings.push(...check.unknown);
  if (enabled && !usable) errors.push(...problems);
  if (!enabled) warnings.push(...res.extraProblems, ...check.invalid);
  const packycode: PackycodeConfig = check.value ? { ...check.value, enabled: enabled && usable } : disabledPackycode();
  if (opts.forcePackycode) notes.push('packycode: turned on for this run (--packycode)');
  notes.push(packycodeSummary(packycode));

  // files holding secrets readable by others: config.yaml, and auth.json when the key is read from it
  warnings.push(...await secretFileWarnings({ configPath: path, configText: text, keyFile: res.source === 'codex-cli' ? res.keyFile : undefined }));

  const snapshot: ConfigSnapshot = deepFreeze({
    path,
    host: settings.host,
    port: settings.port,
    apiKeys: settings.apiKeys,
    allowedHosts: settings.allowedHosts,
    clientKeys: settings.clientKeys,
    logLevel: settings.logLevel,
    remoteManagement: { secretKey, allowRemote: settings.allowRemote },
    packycode,
    effectiveSource: res.source,
    timeouts: settings.timeouts,
    fallbacks: settings.fallbacks,
    dataDir: settings.dataDir !== undefined ? resolve(path ? dirname(path) : cwd, settings.dataDir) : path ? dirname(path) : null,
    usage: settings.usage,
    state: settings.state,
    codexKeys: settings.codexKeys,
    claudeKeys: settings.claudeKeys,
    ...(settings.proxyUrl ? { proxyUrl: settings.proxyUrl } : {}),
    routing: settings.routing,
    maxConcurrentPerUpstream: settings.maxConcurrentPerUpstream,
    saturationQueueAt: settings.saturationQueueAt,
    shutdownGraceMs: settings.shutdownGraceMs,
    safeguards: settings.safeguards,
    packycodeProblems: usable ? [] : problems,
    loadedAt: Date.now(),
  });
  return { snapshot, errors, warnings, notes, fileText: text };
}

async function tryHashInFile(path: string, warnings: ConfigProblem[]): Promise<boolean> {
  try {
    return await hashPlaintextSecretKey(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return false;
    warnings.push({ path: 'remote-management.secret-key', message: `could not store its bcrypt hash (${code ?? (e as Error).message})`, fix: 'make the config file and its folder writable' });
    return false;
  }
}
