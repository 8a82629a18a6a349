// Applies configuration to the running gateway: at start-up, on file changes (hot reload) and after
// management writes. A valid configuration is swapped in whole; an invalid one is refused and the last
// good one stays in force. Every change is audited by key name only, never by value.
import { loadConfig, type LoadOptions, type LoadResult } from './config/load.ts';
import { watchConfig, type ConfigWatcher } from './config/watch.ts';
import type { ConfigSnapshot } from './config/types.ts';
import type { Runtime } from './runtime.ts';

export type ReloadTrigger = 'file' | 'management' | 'startup';

export interface ReloadOutcome {
  applied: boolean;
  result: LoadResult;
  changedKeys: string[];
}

const SECRET_KEYS = new Set(['packycode.credentials.openai-api-key', 'remote-management.secret-key', 'api-keys']);

/** Flattens a snapshot to dotted key paths -> comparable values, for diffs that name keys only. */
export function flattenSnapshot(s: ConfigSnapshot): Map<string, string> {
  const p = s.packycode;
  const entries: Array<[string, unknown]> = [
    ['host', s.host], ['port', s.port], ['api-keys', s.apiKeys], ['log-level', s.logLevel],
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

export class ConfigController {
  readonly runtime: Runtime;
  readonly loadOptions: LoadOptions;
  #watcher: ConfigWatcher | null = null;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(runtime: Runtime, loadOptions: LoadOptions) {
    this.runtime = runtime;
    this.loadOptions = loadOptions;
  }

  get path(): string | null {
    return this.runtime.snapshot.path;
  }

  /** Loads the configuration again and applies it when valid. Serialised: one reload at a time. */
  reload(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    const next = this.#chain.then(async () => this.#apply(await loadConfig(this.loadOptions), trigger));
    this.#chain = next.catch(() => undefined);
    return next;
  }

  /** Applies an already loaded result (used by the file watcher). */
  applyLoaded(result: LoadResult, trigger: ReloadTrigger): Promise<ReloadOutcome> {
    const next = this.#chain.then(async () => this.#apply(result, trigger));
    this.#chain = next.catch(() => undefined);
    return next;
  }

  #apply(result: LoadResult, trigger: ReloadTrigger): ReloadOutcome {
    const { runtime } = this;
    if (result.errors.length > 0 || !result.snapshot) {
      runtime.audit.record('config-refused', {
        trigger,
        problems: result.errors.map((e) => ({ path: e.path, message: e.message, fix: e.fix })),
      });
      for (const e of result.errors) runtime.logger.error({ path: e.path, fix: e.fix }, `config refused: ${e.path}: ${e.message}; ${e.fix}`);
      return { applied: false, result, changedKeys: [] };
    }
    const before = runtime.snapshot;
    const keys = changedKeys(before, result.snapshot);
    if (keys.length === 0) return { applied: true, result, changedKeys: [] };
    runtime.apply(result.snapshot);
    const wasOn = runtime.packycodeUsable(before);
    const isOn = runtime.packycodeUsable(result.snapshot);
    if (!wasOn && isOn) runtime.audit.record('enable', { trigger, effectiveSource: result.snapshot.effectiveSource });
    if (wasOn && !isOn) runtime.audit.record('disable', { trigger, effectiveSource: result.snapshot.effectiveSource });
    runtime.audit.record('config-change', { trigger, keys, secretsChanged: keys.filter((k) => SECRET_KEYS.has(k)) });
    for (const w of result.warnings) runtime.logger.warn({ path: w.path, fix: w.fix }, `config warning: ${w.path}: ${w.message}; ${w.fix}`);
    return { applied: true, result, changedKeys: keys };
  }

  /** Starts watching config.yaml for edits (no-op without a file). */
  watch(): void {
    const path = this.runtime.snapshot.path;
    if (!path || this.#watcher) return;
    this.#watcher = watchConfig(path, (ev) => { void this.applyLoaded(ev.result, 'file'); }, {
      load: () => loadConfig(this.loadOptions),
    });
  }

  close(): void {
    this.#watcher?.close();
    this.#watcher = null;
  }
}
