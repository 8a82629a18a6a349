// How deep a parsed JSON value nests. Checked before anything walks a request recursively (validation,
// translation, token counting, JSON.stringify), so a body nested 10,000 levels deep gets a 400 naming where,
// not a stack overflow. The walk itself recurses at most `max` + 1 levels.

/** Arrays and objects nested inside each other; the body itself is level 1. Claude Code's deepest is 11. */
export const MAX_JSON_NESTING = 128;

/**
 * The path to the first array or object nested deeper than `max` levels, or null when there is none. `skip`:
 * top-level keys of an object not to walk (values checked before, such as a shared repeated tail's).
 */
export function tooDeepPath(value: unknown, max = MAX_JSON_NESTING, skip?: readonly string[]): PropertyKey[] | null {
  if (skip === undefined || skip.length === 0 || typeof value !== 'object' || value === null || Array.isArray(value)) return walk(value, 1, max);
  if (max < 1) return [];
  for (const key in value) {
    if (skip.includes(key)) continue;
    const p = walk((value as Record<string, unknown>)[key], 2, max);
    if (p) { p.unshift(key); return p; }
  }
  return null;
}

function walk(v: unknown, depth: number, max: number): PropertyKey[] | null {
  if (typeof v !== 'object' || v === null) return null;
  if (depth > max) return [];
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = walk(v[i], depth + 1, max);
      if (p) { p.unshift(i); return p; }
    }
    return null;
  }
  for (const key in v) {
    const p = walk((v as Record<string, unknown>)[key], depth + 1, max);
    if (p) { p.unshift(key); return p; }
  }
  return null;
}
