// Applies configuration to the running gateway: at start-up, on file changes (hot reload) and after
// management writes. A valid configuration is swapped in whole; an invalid one is refused and the last
// good one stays in force. Every change is audited by key name only, never by value. The parts live in
// src/config-control/: applying a result (apply-result), key diffs (snapshot-diff), management writes
// (packycode-write, write-conflict, source-block); this file orders them (one reload, one write at a time).
import { loadConfig, type LoadOptions, type LoadResult } from './config/load.ts';
import { watchConfig, type ConfigWatcher } from './config/watch.ts';
import type { Runtime } from './runtime.ts';
import { applyResult, type ReloadOutcome, type ReloadTrigger } from './config-control/apply-result.ts';
import { writePackycodeBlock, type PackycodeWrite } from './config-control/packycode-write.ts';

export { changedKeys, flattenSnapshot } from './config-control/snapshot-diff.ts';
export { READ_ONLY_KEY, type PackycodeWrite } from './config-control/packycode-write.ts';
export type { ReloadOutcome, ReloadTrigger } from './config-control/apply-result.ts';

export class ConfigController {
  readonly runtime: Runtime;
  /** a copy of the options the gateway started with; `path` is fixed once a file exists */
  readonly loadOptions: LoadOptions;
  #watcher: ConfigWatcher | null = null;
  // watching was asked for (serve does, tests may not): a file created by a management write is watched too
  #wantWatch = false;
  #chain: Promise<unknown> = Promise.resolve();
  #writes: Promise<unknown> = Promise.resolve();
  // the config.yaml text the configuration in force came from (undefined: not known)
  #loadedText: string | null | undefined;

  /** `loadedText`: the config.yaml text the runtime's snapshot was loaded from, when known. */
  constructor(runtime: Runtime, loadOptions: LoadOptions, loadedText?: string | null) {
    this.runtime = runtime;
    this.loadOptions = { ...loadOptions };
    this.#loadedText = loadedText;
    // a looked-up file (./config.yaml, PACKYBRIDGE_CONFIG) stays the file, whatever the cwd later
    if (this.loadOptions.path === undefined) this.loadOptions.path = runtime.snapshot.path;
  }

  get path(): string | null {
    return this.runtime.snapshot.path;
  }

  get loadedText(): string | null | undefined {
    return this.#loadedText;
  }

  /**
   * Loads the configuration again and applies it when valid. Serialised: one reload at a time.
   * `text`: config.yaml's text as just written (a management write), instead of reading the file.
   */
  reload(trigger: ReloadTrigger, meta: Record<string, unknown> = {}, text?: string): Promise<ReloadOutcome> {
    return this.#queue(async () => {
      let result: LoadResult;
      try {
        result = await loadConfig(text === undefined ? this.loadOptions : { ...this.loadOptions, text });
      } catch (e) {
        const path = this.runtime.snapshot.path ?? 'config.yaml';
        result = { snapshot: null, errors: [{ path, message: `could not be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, fix: 'check the file and its permissions' }], warnings: [], notes: [] };
      }
      return this.#apply(result, trigger, meta);
    });
  }

  /** Applies an already loaded result. */
  applyLoaded(result: LoadResult, trigger: ReloadTrigger): Promise<ReloadOutcome> {
    return this.#queue(async () => this.#apply(result, trigger, {}));
  }

  #queue(task: () => Promise<ReloadOutcome>): Promise<ReloadOutcome> {
    const next = this.#chain.then(task);
    this.#chain = next.catch(() => undefined);
    return next;
  }

  #apply(result: LoadResult, trigger: ReloadTrigger, meta: Record<string, unknown>): ReloadOutcome {
    const outcome = applyResult(this.runtime, result, trigger, meta);
    if (outcome.applied) this.#loadedText = result.fileText;
    return outcome;
  }

  /**
   * Replaces (PUT) or merges into (PATCH) the packycode block of config.yaml, then applies it. Validated
   * before anything is written; invalid input changes nothing; a file gone or changed by someone else
   * meanwhile is never overwritten (see config-control/packycode-write.ts). One write at a time, each on
   * the state the previous one left. When config.yaml was not the effective source, the block is created
   * there from the source in force (an environment key stays a ${VAR} reference) and wins from then on.
   */
  writePackycode(input: unknown, mode: 'replace' | 'merge', meta: Record<string, unknown> = {}): Promise<PackycodeWrite> {
    const run = this.#writes.then(async () => {
      const r = await writePackycodeBlock(this, input, mode, meta);
      if (r.ok && this.#wantWatch) this.watch();
      return r;
    });
    this.#writes = run.catch(() => undefined);
    return run;
  }

  /** Starts watching config.yaml for edits (no-op without a file). Each change reloads in turn with the others. */
  watch(): void {
    this.#wantWatch = true;
    const path = this.runtime.snapshot.path;
    if (!path || this.#watcher) return;
    this.#watcher = watchConfig(path, () => {}, { load: async (text) => (await this.reload('file', {}, text ?? undefined)).result });
  }

  close(): void {
    this.#wantWatch = false;
    this.#watcher?.close();
    this.#watcher = null;
  }
}
