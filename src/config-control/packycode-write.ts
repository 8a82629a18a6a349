// A management write of config.yaml's packycode block (PUT replaces, PATCH merges), then applied at once.
// Validated before anything is written. Never drops what it did not mean to change: the file is written
// only over the version this write read (compare-and-swap); when it changed meanwhile (an editor's save)
// the write is made again on the new file if the other change touches none of the settings it changes,
// and refused with a conflict otherwise; when the file in force is gone, nothing is written (writing would
// leave a file holding the packycode block alone: no api-keys, no remote-management).
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { maskSecret, validatePackycodeBlock, type LoadOptions } from '../config/load.ts';
import { ConfigStore, ConfigValidationError } from '../config/store.ts';
import { FileChangedError, replaceFileIfUnchanged } from '../config/atomic-write.ts';
import { readVersioned, sameVersion, type VersionedText } from '../config/file-version.ts';
import { looksMasked } from '../config/mask.ts';
import { deepMerge, getPath, isPlainObject, pruneEmpty, setPath } from '../config/merge.ts';
import type { ConfigProblem, ConfigSnapshot, EffectiveSource } from '../config/types.ts';
import type { Runtime } from '../runtime.ts';
import type { ReloadOutcome, ReloadTrigger } from './apply-result.ts';
import { KEY_PATH, sourceBlock } from './source-block.ts';
import { conflictingPaths, fileBlock, patchPaths } from './write-conflict.ts';

export const READ_ONLY_KEY = 'effective-source';

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
  /** the file is gone or was changed by someone else in a way this write would undo: nothing written */
  | { ok: false; kind: 'conflict'; message: string }
  | { ok: false; kind: 'write-failed'; message: string };

/** What a write needs from the controller. */
export interface WriteHost {
  readonly runtime: Runtime;
  /** mutable: a write fixes `path`, and turning Packycode off ends --packycode */
  readonly loadOptions: LoadOptions;
  /** the config.yaml text the configuration in force was loaded from (undefined: not known) */
  readonly loadedText: string | null | undefined;
  /** `text`: load this config.yaml text instead of reading the file */
  reload(trigger: ReloadTrigger, meta: Record<string, unknown>, text?: string): Promise<ReloadOutcome>;
}

// An editor's rename-save leaves the file missing for milliseconds: wait this long for it to come back.
const GONE_WAIT_MS = 1000;
// A file read after a change must keep one version this long before a write is based on it (not mid-save).
const SETTLE_MS = 25;
const MAX_ATTEMPTS = 6;

const invalid = (problems: ConfigProblem[]): PackycodeWrite => ({ ok: false, kind: 'invalid', problems });
const conflict = (message: string): PackycodeWrite => ({ ok: false, kind: 'conflict', message });

/** Problem paths relative to the packycode block ("base-url"), as the management API reports them. */
export function blockRelative(problems: ConfigProblem[]): ConfigProblem[] {
  return problems.map((p) => ({ ...p, path: p.path.startsWith('packycode.') ? p.path.slice('packycode.'.length) : p.path }));
}

/** The body as a packycode block, or the problems that refuse it before anything is read. */
function checkBody(input: unknown, env: NodeJS.ProcessEnv): { block: Record<string, unknown> } | { problems: ConfigProblem[] } {
  let body = input;
  if (isPlainObject(body) && Object.keys(body).length === 1 && 'packycode' in body) body = body.packycode;
  if (!isPlainObject(body)) {
    return { problems: [{ path: '', message: 'the body must be a JSON object: the packycode block, bare or as {"packycode": {...}}', fix: 'send e.g. {"enabled": true}' }] };
  }
  if (READ_ONLY_KEY in body) {
    return { problems: [{ path: READ_ONLY_KEY, message: 'is read-only: it says which source is in force', fix: 'remove effective-source from the body; writing the packycode block makes config.yaml the source' }] };
  }
  // unknown keys are refused here (a file only warns): a typo must not be stored silently
  const unknown = validatePackycodeBlock(body, env).warnings;
  if (unknown.length > 0) return { problems: unknown.map((p) => ({ ...p, message: p.message.replace(/ \(ignored\)$/, '') })) };
  return { block: body };
}

/** Reads until the file keeps one version for SETTLE_MS (or the deadline passes); waits for a missing file. */
async function settledRead(path: string, deadline: number): Promise<VersionedText> {
  let last = await readVersioned(path);
  while (Date.now() < deadline) {
    await sleep(SETTLE_MS);
    const now = await readVersioned(path);
    if (now.version !== null && sameVersion(now.version, last.version)) return now;
    last = now;
  }
  return last;
}

export async function writePackycodeBlock(host: WriteHost, input: unknown, mode: 'replace' | 'merge', meta: Record<string, unknown>): Promise<PackycodeWrite> {
  const { runtime, loadOptions } = host;
  const env = loadOptions.env ?? process.env;
  const cwd = loadOptions.cwd ?? process.cwd();
  const checked = checkBody(input, env);
  if ('problems' in checked) return invalid(checked.problems);
  const body = checked.block;

  const snapshot = runtime.snapshot;
  const fromFile = snapshot.effectiveSource === 'config.yaml';
  // a file the configuration in force came from must be there to be written: never made anew
  const fileInForce = snapshot.path !== null;
  const path = snapshot.path ?? (loadOptions.path ? resolve(cwd, loadOptions.path) : join(cwd, 'config.yaml'));
  // the settings this write changes (dotted, inside the block); null: the whole block
  const touched = fromFile && mode === 'merge' ? patchPaths(body) : null;

  let read: VersionedText;
  try {
    read = await readVersioned(path);
  } catch (e) {
    return { ok: false, kind: 'write-failed', message: `could not read ${path}: ${(e as Error).message}` };
  }
  // What the write is based on. A file in force read missing (an editor's rename-save) or empty (an in-place
  // save caught between its truncation and its write) is no version anyone saved: the write waits until the
  // file keeps one, and what changed meanwhile is measured from the text the gateway last loaded. (Merged onto
  // an empty file, a block that needs nothing else would pass its check and be written alone.)
  let basedOn = read.text;
  let settle = fileInForce && (read.version === null || read.text?.trim() === '');
  if (settle) basedOn = host.loadedText ?? null;

  for (let attempt = 0; ; attempt++) {
    try {
      if (settle) read = await settledRead(path, Date.now() + GONE_WAIT_MS);
    } catch (e) {
      return { ok: false, kind: 'write-failed', message: `could not read ${path}: ${(e as Error).message}` };
    }
    if (read.version === null && fileInForce) {
      return conflict(`${path} is gone: it was moved or deleted after the gateway loaded it, and did not come back within ${GONE_WAIT_MS / 1000} s. Nothing was written (a new file would hold the packycode block alone, without api-keys or remote-management); the configuration loaded from it stays in force. Put the file back, then send the change again`);
    }
    if (settle) {
      const both = conflictingPaths(basedOn, read.text, touched);
      if (both.length > 0) {
        return conflict(`${path} was changed by someone else while this write was made, at packycode.${both.join(', packycode.')}, which this write changes too. Nothing was written and the other change stays; read the block again (GET /v0/management/packycode) and send the change again`);
      }
    }
    if (attempt >= MAX_ATTEMPTS) {
      return conflict(`${path} kept changing while this write was made (${MAX_ATTEMPTS} tries); nothing was written. Send the change again when the file is no longer being saved`);
    }

    let base: Record<string, unknown>;
    try {
      base = fromFile ? fileBlock(read.text) : await sourceBlock(snapshot.effectiveSource, loadOptions, env, cwd);
    } catch (e) {
      return { ok: false, kind: 'write-failed', message: `could not read the packycode settings in force: ${(e as Error).message}` };
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
    const forced = loadOptions.forcePackycode === true && !explicitOff;
    const { problems } = validatePackycodeBlock(forced ? { ...next, enabled: true } : next, env);
    if (problems.length > 0) {
      // merged onto a file read halfway through an editor's save (its credentials not written yet): the body is
      // not what is wrong; judge it again on the file once it is quiet, against what the gateway last loaded
      // (no one saved the half file, so what changed since is measured from the configuration in force)
      if (fromFile && mode === 'merge' && !settle) {
        settle = true;
        basedOn = host.loadedText ?? basedOn;
        continue;
      }
      return invalid(problems);
    }

    const store = new ConfigStore(path, { env });
    let written: Awaited<ReturnType<ConfigStore['setPackycode']>>;
    try {
      written = fromFile
        ? await store.setPackycode(patch, mode, { expect: read.version })
        : await store.setPackycode(next, 'replace', { expect: read.version });
    } catch (e) {
      if (e instanceof FileChangedError) {
        settle = true; // read the new file once it is quiet, then see whether the write still applies
        continue;
      }
      if (e instanceof ConfigValidationError) return invalid(blockRelative(e.problems));
      const code = (e as NodeJS.ErrnoException).code;
      return { ok: false, kind: 'write-failed', message: `could not write ${path} (${code ?? (e as Error).message}); nothing was changed: make the file and its folder writable` };
    }
    return applyWritten(host, { path, read, written, explicitOff, previousSource: snapshot.effectiveSource, meta });
  }
}

/** Applies the file just written; when it will not load after all, takes the write back (only if still ours). */
async function applyWritten(
  host: WriteHost,
  w: { path: string; read: VersionedText; written: Awaited<ReturnType<ConfigStore['setPackycode']>>; explicitOff: boolean; previousSource: EffectiveSource; meta: Record<string, unknown> },
): Promise<PackycodeWrite> {
  const { loadOptions } = host;
  const savedOptions = { path: loadOptions.path, forcePackycode: loadOptions.forcePackycode };
  loadOptions.path = w.path;
  if (w.explicitOff) loadOptions.forcePackycode = false;
  // the text written, not the file read again: an editor may be halfway through saving over it by now
  // (its save is loaded by hot reload once whole)
  const outcome = await host.reload('management', w.meta, w.written.text ?? undefined);
  if (!outcome.applied) {
    Object.assign(loadOptions, savedOptions);
    if (w.written.written) await replaceFileIfUnchanged(w.path, w.read.text, w.written.version).catch(() => {});
    return invalid(blockRelative(outcome.result.errors));
  }
  return { ok: true, snapshot: outcome.result.snapshot!, path: w.path, previousSource: w.previousSource, created: w.written.created, changedKeys: outcome.changedKeys };
}
