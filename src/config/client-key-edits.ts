// Edits of the api-keys list in config.yaml's YAML Document: add a named key, change one, remove one.
// Other entries, keys and comments stay as they are; the store validates the result before writing it.
import { isMap, isScalar, isSeq, type Document, type Node, type YAMLMap, type YAMLSeq } from 'yaml';
import { isPlainObject, pruneEmpty } from './merge.ts';

export class ClientKeyEditError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

function keysSeq(doc: Document, create: boolean): YAMLSeq | null {
  const cur = doc.get('api-keys', true);
  if (isSeq(cur)) return cur;
  if (!create) return null;
  const seq = doc.createNode([]) as YAMLSeq;
  doc.set('api-keys', seq);
  return seq;
}

/** The entry's name as the gateway shows it: its `name`, or key-N for a bare key. */
function nameAt(item: unknown, i: number): string | undefined {
  if (isScalar(item)) return `key-${i + 1}`;
  if (isMap(item)) {
    const n = item.get('name');
    return typeof n === 'string' ? n : undefined;
  }
  return undefined;
}

function indexOf(seq: YAMLSeq | null, name: string): number {
  if (!seq) return -1;
  return seq.items.findIndex((item, i) => nameAt(item, i) === name);
}

export function addClientKey(doc: Document, entry: Record<string, unknown>): void {
  const seq = keysSeq(doc, true)!;
  if (indexOf(seq, String(entry.name)) >= 0) throw new ClientKeyEditError(409, `a client key named "${String(entry.name)}" exists already; pick another name, or change that key`);
  seq.items.push(doc.createNode(pruneEmpty(entry)));
}

/** JSON merge patch into a YAML map, node by node, so the comments of kept keys stay. */
function mergeInto(doc: Document, map: YAMLMap, patch: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    const cur = map.get(k, true);
    if (v === null) map.delete(k);
    else if (isPlainObject(v) && isMap(cur)) mergeInto(doc, cur, v);
    else if (isScalar(cur) && !isPlainObject(v) && !Array.isArray(v)) cur.value = v;
    else map.set(k, doc.createNode(isPlainObject(v) ? pruneEmpty(v) : v));
  }
  for (const pair of [...map.items]) if (isMap(pair.value) && pair.value.items.length === 0) map.delete(pair.key);
}

/** Merges `patch` into the named entry (JSON merge patch: null removes); a bare key becomes a mapping. */
export function changeClientKey(doc: Document, name: string, patch: Record<string, unknown>): void {
  const seq = keysSeq(doc, false);
  const i = indexOf(seq, name);
  if (i < 0) throw new ClientKeyEditError(404, `no client key named "${name}"`);
  let item = seq!.items[i] as Node;
  if (isScalar(item)) {
    const map = doc.createNode({ name, key: item.value }) as YAMLMap;
    map.comment = item.comment;
    map.commentBefore = item.commentBefore;
    seq!.items[i] = map;
    item = map;
  }
  if (!isMap(item)) throw new ClientKeyEditError(422, `api-keys entry "${name}" is neither a key nor a mapping`);
  mergeInto(doc, item, patch);
}

export function removeClientKey(doc: Document, name: string): void {
  const seq = keysSeq(doc, false);
  const i = indexOf(seq, name);
  if (i < 0) throw new ClientKeyEditError(404, `no client key named "${name}"`);
  seq!.items.splice(i, 1);
}
