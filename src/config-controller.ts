// Applies configuration to the running gateway: at start-up, on file changes (hot reload) and after
// management writes. A valid configuration is swapped in whole; an invalid one is refused and the last
// good one stays in force. Every change is audited by key name only, never by value.
import { unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { loadConfig, maskSecret, validatePackycodeBlock, type LoadOptions, type LoadResult } from './config/load.ts';
import { watchConfig, type ConfigWatcher } from './config/watch.ts';
import { ConfigStore, ConfigValidationError } from './config/store.ts';
import { writeFileAtomic } from './config/atomic-write.ts';
import { readEnvSource } from './config/sources.ts';
import { readCodexCli } from './config/codex-cli.ts';
import { looksMasked } from './config/mask.ts';
import { deepMerge, getPath, isPlainObject, pruneEmpty, setPath } from './config/merge.ts';
import type { ConfigProblem, ConfigSnapshot, EffectiveSource } from './config/types.ts';
import type { Runtime } from './runtime.ts';
import { readIfExists } from './config/read-if-exists.ts';

export type ReloadTrigger = 'file' | 'management' | 'startup';

export interface ReloadOutcome {
  applied: boolean;
  result: LoadResult;
  changedKeys: string[];
}

const SECRET_KEYS = new Set(['packycode.credentials.openai-api-key', 'remote-management.secret-key', 'api-keys']);
const KEY_PATH = 'credentials.openai-api-key';
export const READ_ONLY_KEY = 'effective-source';

/** Flattens a snapshot to dotted key paths -> comparable values, for diffs that name keys only. */
export function flattenSnapshot(s: ConfigSnapshot): Map<string, string> {
  const p = s.packycode;
  const entries: Array<[string, unknown]> = [
    ['host', s.host], ['port', s.port], ['api-keys', [s.apiKeys, s.clientKeys]], ['log-level', s.logLevel],
    ['remote-management.secret-key', s.remoteManagement.secretKey], ['remote-management.allow-remote', s.remoteManagement.allowRemote],
    ['timeouts', s.timeouts], ['fallbacks', s.fallbacks],
    ['packycode.enabled', p.enabled], ['packycode.base-url', p.baseUrl], ['packycode.requires-openai-auth', p.requiresOpenaiAuth],
    ['packycode.wire-api', p.wireApi], ['packycode.privacy.disable-response-storage', p.privacy.disableResponseStorage],
    ['packycode.defaults.model', p.defaults.model], ['packycode.defaults.model-reasoning-effort', p.defaults.modelReasoningEffort],
    ['packycode.credentials.openai-api-key', p.credentials.openaiApiKey], ['packycode.model-map', p.modelMap],
    ['packycode.forward-sampling-params', p.forwardSamplingParams], ['effective-source', s.effectiveSource],
  ];
  return new Map(entries.map(([k, v]) => [k, JSON.stringify(v)]));
}

export function changedKeys(a: ConfigSnapshot, b: ConfigSnapshot): string[] {
  const fa = flattenSnapshot(a);
  const fb = flattenSnapshot(b);
  const out: string[] = [];
  for (const [k, v] of fb) if (fa.get(k) !== v) out.push(k);
  return out;
}

/** What a management write of the packycode block did. */
export type PackycodeWrite =
  | {
    ok: true;
    /** the configuration in force after the write */
    snapshot: ConfigSnapshot;
    path: string;
    /** the source in force before: when it was not config.yaml, the block was created there */
    previousSource: EffectiveSource;
    created: boolean;
    changedKeys: string[];
  }
  | { ok: false; kind: 'invalid'; problems: ConfigProblem[] }
  | { ok: false; kind: 'write-failed'; message: string };

const invalid = (problems: ConfigProblem[]): PackycodeWrite => ({ ok: false, kind: 'invalid', problems });

/** Problem paths relative to the packycode block ("base-url"), as the management API reports them. */
function blockRelative(problems: ConfigProblem[]): ConfigProblem[] {
  return problems.map((p) => ({ ...p, path: p.path.startsWith('packycode.') ? p.path.slice('packycode.'.length) : p.path }));
}

export class ConfigController {
  readonly runtime: Runtime;
  /** a copy of the options the gateway started with; `path` is fixed once a file exists */
  readonly loadOptions: LoadOptions;
  #watcher: ConfigWatcher | null = null;
  // watching was asked for (serve does, tests may not): a file created by a management write is watched too
  #wantWatch = false;
  #chain: Promise<unknown> = Promise.resolve();
  #writes: Promise<unknown> = Promise.resolve();

  constructor(runtime: Runtime, loadOptions: LoadOptions) {
    this.runtime = runtime;
    this.loadOptions = { ...loadOptions };
    // a looked-up file (./config.yaml, PACKYBRIDGE_CONFIG) stays the file, whatever the cwd later
    if (this.loadOptions.path === undefined) this.loadOptions.path = runtime.snapshot.path;
  }

  get path(): string | null {
    return this.runtime.snapshot.path;
  }

  get #env(): NodeJS.ProcessEnv {
    return this.loadOptions.env ?? process.env;
  }

  get #cwd(): string {
    return this.loadOptions.cwd ?? process.cwd();
  }

  /** Loads the configuration again and applies it when valid. Serialised: one reload at a time. */
  reload(trigger: ReloadTrigger, meta: Record<string, unknown> = {}): Promise<ReloadOutcome> {
    const next = this.#chain.then(async () => {
      let result: LoadResult;
      try {
        result = await loadConfig(this.loadOptions);
      } catch (e) {
        const path = this.runtime.snapshot.path ?? 'config.yaml';
        result = { snapshot: null, errors: [{ path, message: `could not be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, fix: 'check the file and its permissions' }], warnings: [], notes: [] };
      }
      return this.#apply(result, trigger, meta);
    });
    this.#chain = next.catch(() => undefined);
    return next;
  }

  /** Applies an already loaded result. */
  applyLoaded(result: LoadResult, trigger: ReloadTrigger): Promise<ReloadOutcome> {
    const next = this.#chain.then(async () => this.#apply(result, trigger, {}));
    this.#chain = next.catch(() => undefined);
    return next;
  }

  #apply(result: LoadResult, trigger: ReloadTrigger, meta: Record<string, unknown>): ReloadOutcome {
    const { runtime } = this;
    if (result.errors.length > 0 || !result.snapshot) {
      runtime.audit.record('config-refused', {
        trigger,
        ...meta,
        problems: result.errors.map((e) => ({ path: e.path, message: e.message, fix: e.fix })),
      });
      for (const e of result.errors) runtime.logger.error({ path: e.path, fix: e.fix }, `config refused (the last good configuration stays in force): ${e.path}: ${e.message}; ${e.fix}`);
      return { applied: false, result, changedKeys: [] };
    }
    const before = runtime.snapshot;
    const keys = changedKeys(before, result.snapshot);
    // swapped in even without a changed key: problems and load time are part of the snapshot too
    runtime.apply(result.snapshot);
    if (keys.length === 0) return { applied: true, result, changedKeys: [] };
    const wasOn = runtime.packycodeUsable(before);
    const isOn = runtime.packycodeUsable(result.snapshot);
    if (!wasOn && isOn) runtime.audit.record('enable', { trigger, ...meta, effectiveSource: result.snapshot.effectiveSource });
    if (wasOn && !isOn) runtime.audit.record('disable', { trigger, ...meta, effectiveSource: result.snapshot.effectiveSource });
    runtime.audit.record('config-change', { trigger, ...meta, keys, secretsChanged: keys.filter((k) => SECRET_KEYS.has(k)) });
    for (const w of result.warnings) runtime.logger.warn({ path: w.path, fix: w.fix }, `config warning: ${w.path}: ${w.message}; ${w.fix}`);
    return { applied: true, result, changedKeys: keys };
  }

  /**
   * Replaces (PUT) or merges into (PATCH) the packycode block of config.yaml, then applies it. Validated
   * before anything is written; invalid input changes nothing. One write at a time, each on the state
   * the previous one left. When config.yaml was not the effective source, the block is created there
   * from the source in force (an environment key stays a ${VAR} reference) and wins from then on.
   */
  writePackycode(input: unknown, mode: 'replace' | 'merge', meta: Record<string, unknown> = {}): Promise<PackycodeWrite> {
    const run = this.#writes.then(() => this.#writePackycode(input, mode, meta));
    this.#writes = run.catch(() => undefined);
    return run;
  }

  async #writePackycode(input: unknown, mode: 'replace' | 'merge', meta: Record<string, unknown>): Promise<PackycodeWrite> {
    let body = input;
    if (isPlainObject(body) && Object.keys(body).length === 1 && 'packycode' in body) body = body.packycode;
    if (!isPlainObject(body)) {
      return invalid([{ path: '', message: 'the body must be a JSON object: the packycode block, bare or as {"packycode": {...}}', fix: 'send e.g. {"enabled": true}' }]);
    }
    if (READ_ONLY_KEY in body) {
      return invalid([{ path: READ_ONLY_KEY, message: 'is read-only: it says which source is in force', fix: 'remove effective-source from the body; writing the packycode block makes config.yaml the source' }]);
    }
    const env = this.#env;
    // unknown keys are refused here (a file only warns): a typo must not be stored silently
    const unknown = validatePackycodeBlock(body, env).warnings;
    if (unknown.length > 0) return invalid(unknown.map((p) => ({ ...p, message: p.message.replace(/ \(ignored\)$/, '') })));

    const snapshot = this.runtime.snapshot;
    const fromFile = snapshot.effectiveSource === 'config.yaml';
    const path = snapshot.path ?? (this.loadOptions.path ? resolve(this.#cwd, this.loadOptions.path) : join(this.#cwd, 'config.yaml'));
    let oldText: string | null;
    let base: Record<string, unknown>;
    try {
      oldText = await readIfExists(path);
      base = fromFile ? fileBlock(oldText) : await this.#sourceBlock(snapshot.effectiveSource);
    } catch (e) {
      return { ok: false, kind: 'write-failed', message: `could not read ${path}: ${(e as Error).message}` };
    }

    // A masked key sent back (GET, edit, PUT) means "keep the key in force".
    const patch = structuredClone(body);
    const sent = getPath(patch, KEY_PATH);
    const inForce = snapshot.packycode.credentials.openaiApiKey;
    if (typeof sent === 'string' && looksMasked(sent) && inForce !== '' && sent === maskSecret(inForce)) {
      setPath(patch, KEY_PATH, getPath(base, KEY_PATH) ?? inForce);
    }
    const next = pruneEmpty(mode === 'replace' ? patch : deepMerge(base, patch));

    // --packycode keeps Packycode on for the run, so the block must be complete, unless this write turns it off
    const explicitOff = patch.enabled === false || patch.enabled === 'false';
    const forced = this.loadOptions.forcePackycode === true && !explicitOff;
    const { problems } = validatePackycodeBlock(forced ? { ...next, enabled: true } : next, env);
    if (problems.length > 0) return invalid(problems);

    const store = new ConfigStore(path, { env });
    let created: boolean;
    try {
      ({ created } = fromFile ? await store.setPackycode(patch, mode) : await store.setPackycode(next, 'replace'));
    } catch (e) {
      if (e instanceof ConfigValidationError) return invalid(blockRelative(e.problems));
      const code = (e as NodeJS.ErrnoException).code;
      return { ok: false, kind: 'write-failed', message: `could not write ${path} (${code ?? (e as Error).message}); nothing was changed: make the file and its folder writable` };
    }
    const savedOptions = { path: this.loadOptions.path, forcePackycode: this.loadOptions.forcePackycode };
    this.loadOptions.path = path;
    if (explicitOff) this.loadOptions.forcePackycode = false;
    const outcome = await this.reload('management', meta);
    if (!outcome.applied) {
      // would not load after all (e.g. the file changed meanwhile): put the old file back
      Object.assign(this.loadOptions, savedOptions);
      await (oldText === null ? unlink(path) : writeFileAtomic(path, oldText)).catch(() => {});
      return invalid(blockRelative(outcome.result.errors));
    }
    if (this.#wantWatch) this.watch();
    return { ok: true, snapshot: outcome.result.snapshot!, path, previousSource: snapshot.effectiveSource, created, changedKeys: outcome.changedKeys };
  }

  /** The packycode block as the non-file source in force gives it, ready to be written to config.yaml. */
  async #sourceBlock(source: EffectiveSource): Promise<Record<string, unknown>> {
    const env = this.#env;
    if (source === 'env') {
      const block = structuredClone(readEnvSource(env).block);
      if (env.PACKYCODE_API_KEY) setPath(block, KEY_PATH, '${PACKYCODE_API_KEY}');
      return block;
    }
    if (source === 'codex-cli') {
      const homeDir = this.loadOptions.homeDir ?? env.HOME ?? homedir();
      const codexHome = this.loadOptions.codexHome ?? (env.CODEX_HOME ? resolve(this.#cwd, env.CODEX_HOME) : join(homeDir, '.codex'));
      const r = await readCodexCli(codexHome, env, homeDir);
      const block = structuredClone(r.block ?? {});
      if (r.keyEnvVar) setPath(block, KEY_PATH, `\${${r.keyEnvVar}}`);
      return block;
    }
    return {};
  }

  /** Starts watching config.yaml for edits (no-op without a file). Each change reloads in turn with the others. */
  watch(): void {
    this.#wantWatch = true;
    const path = this.runtime.snapshot.path;
    if (!path || this.#watcher) return;
    this.#watcher = watchConfig(path, () => {}, { load: async () => (await this.reload('file')).result });
  }

  close(): void {
    this.#wantWatch = false;
    this.#watcher?.close();
    this.#watcher = null;
  }
}

/** The packycode block as written in config.yaml (unexpanded: ${VAR} references stay). */
function fileBlock(text: string | null): Record<string, unknown> {
  if (text === null) return {};
  const doc = parseDocument(text);
  if (doc.errors.length > 0) return {};
  const block = (doc.toJS() as Record<string, unknown> | null)?.packycode;
  return isPlainObject(block) ? block : {};
}
