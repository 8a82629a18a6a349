// ConfigStore: changes to config.yaml that keep comments, key order and unrelated keys; validated before
// writing; written atomically and only over the version read (an editor's save meanwhile is never undone:
// FileChangedError instead); one writer at a time per file (a promise chain shared by every store).
import { resolve } from 'node:path';
import { Document, isMap, isScalar, isSeq, parseDocument, type YAMLMap } from 'yaml';
import type { ConfigProblem } from './types.ts';
import { FileChangedError, replaceFileIfUnchanged } from './atomic-write.ts';
import { readVersioned, sameVersion, type FileVersion } from './file-version.ts';
import { renderDocument } from './yaml-layout.ts';
import { validateConfigText } from './file-config.ts';
import { formatProblem } from './problems.ts';
import { looksMasked } from './mask.ts';
import { hasReference } from './env-expand.ts';
import { hashSecret, isBcryptHash } from './secret-key.ts';
import { readIfExists } from './read-if-exists.ts';

export class ConfigValidationError extends Error {
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[]) {
    super(`config change refused:\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`);
    this.name = 'ConfigValidationError';
    this.problems = problems;
  }
}

const chains = new Map<string, Promise<unknown>>();

/** Runs tasks for one file strictly one after another, in call order. */
function serialise<T>(path: string, task: () => Promise<T>): Promise<T> {
  const prev = chains.get(path) ?? Promise.resolve();
  const run = prev.then(task, task);
  const tail = run.then(
    () => undefined,
    () => undefined,
  );
  chains.set(path, tail);
  void tail.then(() => {
    if (chains.get(path) === tail) chains.delete(path);
  });
  return run;
}

const NEW_FILE_HEADER = ' packybridge configuration; every key is described in config.example.yaml';

function openDocument(text: string | null): Document {
  if (text === null) {
    const doc = new Document({});
    doc.commentBefore = NEW_FILE_HEADER;
    return doc;
  }
  const doc: Document = parseDocument(text);
  if (doc.errors.length > 0) {
    const v = validateConfigText(text, {});
    throw new ConfigValidationError(v.errors);
  }
  if (doc.contents === null) doc.contents = doc.createNode({});
  if (!isMap(doc.contents)) throw new ConfigValidationError([{ path: '(top level)', message: 'is not a mapping of settings', fix: 'write one "key: value" per line' }]);
  return doc;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Writes `value` into `map` node by node, so comments on kept keys survive. */
function syncMap(doc: Document, map: YAMLMap, value: Record<string, unknown>, replace: boolean): void {
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue;
    if (v === null) {
      map.delete(key); // merge: null removes the key (JSON merge patch)
      continue;
    }
    const cur = map.get(key, true);
    if (isPlainObject(v) && isMap(cur)) {
      syncMap(doc, cur, v, replace);
    } else if (isScalar(cur) && !isPlainObject(v) && !Array.isArray(v)) {
      if (cur.value === v) continue;
      if (typeof cur.value === typeof v) {
        cur.value = v; // keeps the node: its comment and quoting
      } else {
        const node = doc.createNode(v);
        node.comment = cur.comment;
        node.commentBefore = cur.commentBefore;
        map.set(doc.createNode(key), node);
      }
    } else if (isSeq(cur) && Array.isArray(v) && JSON.stringify(cur.toJSON()) === JSON.stringify(v)) {
      // unchanged list
    } else {
      map.set(key, doc.createNode(v));
    }
  }
  if (replace) {
    for (const pair of [...map.items]) {
      const k = isScalar(pair.key) ? pair.key.value : pair.key;
      if (typeof k !== 'string' || !(k in value) || value[k] === null) map.delete(pair.key);
    }
  }
}

function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (!isPlainObject(v)) return v;
  return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null && x !== undefined).map(([k, x]) => [k, withoutNulls(x)]));
}

export interface ChangeResult {
  written: boolean;
  existed: boolean;
  /** the file's version after the change */
  version: FileVersion | null;
  /** the version the change was applied to */
  before: FileVersion | null;
  /** the file's text after the change */
  text: string | null;
}

export interface ConfigStoreOptions {
  /** environment used to validate ${VAR} references before writing (default process.env) */
  env?: NodeJS.ProcessEnv;
}

export class ConfigStore {
  readonly path: string;
  readonly env: NodeJS.ProcessEnv;

  constructor(path: string, opts: ConfigStoreOptions = {}) {
    this.path = resolve(path);
    this.env = opts.env ?? process.env;
  }

  /**
   * Applies `mutate` to the file's YAML Document and writes the result, after validating it like a load.
   * Rejects with ConfigValidationError (nothing written) when the result would not load.
   */
  update(mutate: (doc: Document) => void): Promise<void> {
    return this.change(mutate, true).then(() => undefined);
  }

  /**
   * Like update; `validate: false` is for changes that must not depend on the rest of the file.
   * `expect`: the version the caller based the change on (null: no file); a different file rejects with
   * FileChangedError before anything is written. Without it the change applies to the file as read here.
   * Either way the write lands only over the version read here (FileChangedError otherwise).
   */
  change(mutate: (doc: Document) => void, validate: boolean, opts: { expect?: FileVersion | null } = {}): Promise<ChangeResult> {
    return serialise(this.path, async () => {
      const { text, version } = await readVersioned(this.path);
      if (opts.expect !== undefined && !sameVersion(version, opts.expect)) {
        throw new FileChangedError(this.path, version === null ? 'gone' : opts.expect === null ? 'appeared' : 'changed');
      }
      const doc = openDocument(text);
      mutate(doc);
      const next = renderDocument(text, doc);
      if (validate) {
        const v = validateConfigText(next, this.env);
        if (v.errors.length > 0) throw new ConfigValidationError(v.errors);
      }
      if (next === text) return { written: false, existed: true, version, before: version, text };
      const written = await replaceFileIfUnchanged(this.path, next, version);
      return { written: true, existed: text !== null, version: written, before: version, text: next };
    });
  }

  /**
   * Writes the packycode block (kebab-case keys). replace: the block becomes exactly `block`;
   * merge: deep merge into the existing block (lists replaced whole, null removes a key).
   * A masked key (sk-…abcd) is never written: the stored key is kept.
   */
  async setPackycode(block: Record<string, unknown>, mode: 'replace' | 'merge', opts: { expect?: FileVersion | null } = {}): Promise<{ created: boolean } & ChangeResult> {
    const input = structuredClone(block);
    const creds = input.credentials;
    if (isPlainObject(creds) && typeof creds['openai-api-key'] === 'string' && looksMasked(creds['openai-api-key'])) {
      delete creds['openai-api-key'];
      if (Object.keys(creds).length === 0) delete input.credentials;
    }
    let created = false;
    const r = await this.change((doc) => {
      const cur = doc.get('packycode', true);
      if (!isMap(cur)) {
        created = true;
        doc.set('packycode', doc.createNode(withoutNulls(input)));
      } else {
        syncMap(doc, cur, input, mode === 'replace');
      }
    }, true, opts);
    return { created, ...r };
  }
}

/**
 * Replaces a plaintext remote-management.secret-key by its bcrypt hash in the file. True when it did.
 * A ${VAR} reference, an empty key, a hash, or an unreadable file are left alone.
 */
export async function hashPlaintextSecretKey(path: string): Promise<boolean> {
  const store = new ConfigStore(path);
  const text = await readIfExists(store.path);
  if (text === null) return false;
  const probe = parseDocument(text);
  if (probe.errors.length > 0) return false;
  const plain = probe.getIn(['remote-management', 'secret-key']);
  if (typeof plain !== 'string' || plain === '' || isBcryptHash(plain) || hasReference(plain) || /^\$2[aby]\$/.test(plain)) return false;
  const hash = await hashSecret(plain);
  let did = false;
  try {
    await store.change((doc) => {
      // Re-checked inside the queue: another writer may have changed the key meanwhile.
      if (doc.getIn(['remote-management', 'secret-key']) === plain) {
        doc.setIn(['remote-management', 'secret-key'], hash);
        did = true;
      }
    }, false);
  } catch (e) {
    // saved by someone else meanwhile: the next load hashes the key in the new file
    if (e instanceof FileChangedError) return false;
    throw e;
  }
  return did;
}
