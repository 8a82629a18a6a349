// PATCH semantics for configuration blocks (JSON merge patch, RFC 7386): nested objects merge, null
// removes a key, everything else (scalars, lists) replaces.
export function isPlainObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function deepMerge(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (v === undefined) continue;
    else out[k] = isPlainObject(v) ? deepMerge(isPlainObject(out[k]) ? (out[k] as Record<string, unknown>) : {}, v) : v;
  }
  return out;
}

/** Copy without null or undefined values and without objects left empty (so `defaults: {}` is not written). */
export function pruneEmpty(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === null || v === undefined) continue;
    if (isPlainObject(v)) {
      const inner = pruneEmpty(v);
      if (Object.keys(inner).length > 0) out[k] = inner;
    } else out[k] = v;
  }
  return out;
}

/** The value at a dotted path ("credentials.openai-api-key"), or undefined. */
export function getPath(value: unknown, path: string): unknown {
  let cur = value;
  for (const k of path.split('.')) {
    if (!isPlainObject(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

/** Sets the value at a dotted path, creating objects on the way (mutates `target`). */
export function setPath(target: Record<string, unknown>, path: string, v: unknown): void {
  const keys = path.split('.');
  let cur = target;
  for (const k of keys.slice(0, -1)) {
    if (!isPlainObject(cur[k])) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[keys[keys.length - 1]] = v;
}
