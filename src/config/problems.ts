// ConfigProblem helpers: formatting, value display (secrets masked), "did you mean", zod issues -> problems.
import type { ConfigProblem } from './types.ts';
import { maskSecret } from './mask.ts';

export function problem(path: string, message: string, fix: string): ConfigProblem {
  return { path, message, fix };
}

/** One line: `path: message; fix` */
export function formatProblem(p: ConfigProblem): string {
  return `${p.path}: ${p.message}; ${p.fix}`;
}

/** Joins a key path: ("packycode", "base-url") -> "packycode.base-url", ("api-keys", 0) -> "api-keys[0]". */
export function joinPath(prefix: string, key: string | number): string {
  if (typeof key === 'number') return `${prefix}[${key}]`;
  return prefix ? `${prefix}.${key}` : key;
}

export function pathOf(segments: ReadonlyArray<PropertyKey>, prefix = ''): string {
  let out = prefix;
  for (const s of segments) out = joinPath(out, typeof s === 'number' ? s : String(s));
  return out;
}

const SECRET_PATH = /(api-key|api-keys|secret-key|OPENAI_API_KEY|_API_KEY)/i;
// the other fields of a named api-keys entry are not secret
const NOT_SECRET_PATH = /^api-keys\[\d+\]\.(name|models|limits|expires)/;

/** A value as shown in a message: JSON-ish, short, secrets masked. */
export function showValue(value: unknown, path = ''): string {
  if (value === undefined) return 'nothing';
  if (SECRET_PATH.test(path) && !NOT_SECRET_PATH.test(path)) {
    if (typeof value === 'string') return JSON.stringify(maskSecret(value));
    return Array.isArray(value) ? 'a list' : value !== null && typeof value === 'object' ? 'a mapping' : `a ${typeof value}`;
  }
  let s: string;
  try {
    s = JSON.stringify(value) ?? String(value);
  } catch {
    s = String(value);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** Edit distance counting an adjacent transposition as one edit (optimal string alignment). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** baseURL / base_url / Base-Url -> base-url */
export function kebab(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/[_\s]+/g, '-')
    .toLowerCase();
}

/** The closest known key, when close enough to be a likely typo. */
export function didYouMean(key: string, known: readonly string[]): string | null {
  const k = kebab(key);
  const exact = known.find((c) => c === k || c.replace(/-/g, '') === k.replace(/-/g, ''));
  if (exact) return exact;
  let best: string | null = null;
  let bestDist = Infinity;
  for (const c of known) {
    const d = editDistance(k, c);
    if (d < bestDist) {
      best = c;
      bestDist = d;
    }
  }
  if (best === null) return null;
  const limit = Math.max(1, Math.floor(Math.max(k.length, best.length) / 4));
  return bestDist <= limit ? best : null;
}

// --- zod issues -> problems -------------------------------------------------------------------------

/** Minimal view of a zod v4 issue (parsed with reportInput: true). */
export interface IssueLike {
  code: string;
  path: ReadonlyArray<PropertyKey>;
  message: string;
  input?: unknown;
  expected?: string;
  values?: unknown[];
  minimum?: number | bigint;
  maximum?: number | bigint;
  origin?: string;
  params?: Record<string, unknown>;
  /** invalid_union: the issues of each option */
  errors?: IssueLike[][];
}

/** Fix texts per key path pattern (array indices written as []); a function receives the bad value. */
export type FixTable = Record<string, string | ((input: unknown) => string)>;

const EXPECTED_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping (key: value lines)',
};

const GENERIC_FIX: Record<string, string> = {
  string: 'write a string; quote it if it looks like a number or boolean',
  number: 'write a number without quotes',
  int: 'write a whole number without quotes',
  boolean: 'write true or false (without quotes)',
  array: 'write a list, e.g. [a, b] or one "- item" per line',
  object: 'write a mapping, one "key: value" per line indented under it',
};

function pattern(segments: ReadonlyArray<PropertyKey>): string {
  return segments.map((s) => (typeof s === 'number' ? '[]' : String(s))).join('.').replace(/\.\[\]/g, '[]');
}

function describeIssue(issue: IssueLike, fullPath: string): { message: string; genericFix: string } {
  const shown = showValue(issue.input, fullPath);
  switch (issue.code) {
    case 'invalid_type': {
      const expected = issue.expected ?? 'value';
      if (issue.input === undefined) return { message: 'is missing', genericFix: GENERIC_FIX[expected] ?? 'add it' };
      return {
        message: `${shown} is not ${EXPECTED_WORDS[expected] ?? expected}`,
        genericFix: GENERIC_FIX[expected] ?? `write ${EXPECTED_WORDS[expected] ?? expected}`,
      };
    }
    case 'invalid_value': {
      const values = (issue.values ?? []).map((v) => String(v));
      if (values.length === 1) return { message: `${shown} is not supported; only "${values[0]}" is`, genericFix: `write ${values[0]}` };
      return { message: `${shown} is not one of the allowed values (${values.join(', ')})`, genericFix: `write one of: ${values.join(', ')}` };
    }
    case 'too_small':
      if (issue.origin === 'string') return { message: 'is empty', genericFix: 'write a non-empty value' };
      if (issue.origin === 'array') return { message: 'is an empty list', genericFix: 'add at least one entry' };
      return { message: `${shown} is below the minimum ${String(issue.minimum)}`, genericFix: `write a value of at least ${String(issue.minimum)}` };
    case 'too_big':
      return { message: `${shown} is above the maximum ${String(issue.maximum)}`, genericFix: `write a value of at most ${String(issue.maximum)}` };
    case 'custom':
      return { message: issue.message, genericFix: typeof issue.params?.fix === 'string' ? issue.params.fix : 'correct the value' };
    default:
      return { message: `${shown}: ${issue.message}`, genericFix: 'correct the value' };
  }
}

/**
 * A union's issue replaced by the issues of the option meant for the input's kind (a mapping -> the object
 * option, anything else -> the first option), so `api-keys[0].limits.x` is reported, not "Invalid input".
 */
function flattenUnions(issues: readonly IssueLike[]): IssueLike[] {
  const out: IssueLike[] = [];
  for (const issue of issues) {
    if (issue.code !== 'invalid_union' || !issue.errors?.length) { out.push(issue); continue; }
    const isMapping = issue.input !== null && typeof issue.input === 'object' && !Array.isArray(issue.input);
    const meant = issue.errors.find((branch) => branch.some((i) => i.path.length > 0 || i.expected === 'object') === isMapping) ?? issue.errors[0];
    out.push(...flattenUnions(meant.map((i) => ({ ...i, path: [...issue.path, ...i.path] }))));
  }
  return out;
}

export function issuesToProblems(issues: readonly IssueLike[], prefix: string, fixes: FixTable): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const seen = new Set<string>();
  for (const issue of flattenUnions(issues)) {
    const fullPath = pathOf(issue.path, prefix);
    const { message, genericFix } = describeIssue(issue, fullPath);
    const custom = issue.code === 'custom' && typeof issue.params?.fix === 'string';
    const entry = custom ? undefined : fixes[pattern(issue.path)];
    const fix = entry === undefined ? genericFix : typeof entry === 'function' ? entry(issue.input) : entry;
    const key = `${fullPath}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(problem(fullPath || '(top level)', message, fix));
  }
  return out;
}
