// Unknown keys: a warning each, with "did you mean" when a known key is close. Known keys come from the
// zod schema, so the schema stays the one list of keys. Also drops `key:` entries with no value (null).
import type { z } from 'zod';
import type { ConfigProblem } from './types.ts';
import { didYouMean, joinPath, kebab, problem } from './problems.ts';

type AnySchema = z.ZodType;

interface Def {
  type: string;
  innerType?: AnySchema;
  in?: AnySchema;
  out?: AnySchema;
  shape?: Record<string, AnySchema>;
  element?: AnySchema;
}

const defOf = (s: AnySchema): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** Strips optional/default/prefault/nullable/pipe wrappers down to an object, array or leaf schema. */
function unwrap(schema: AnySchema): AnySchema {
  let s = schema;
  for (let i = 0; i < 20; i++) {
    const d = defOf(s);
    if (d.innerType && ['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch'].includes(d.type)) s = d.innerType;
    else if (d.type === 'pipe' && d.in && d.out) s = defOf(d.out).type === 'transform' ? d.in : d.out;
    else return s;
  }
  return s;
}

function shapeOf(schema: AnySchema): Record<string, AnySchema> | null {
  const s = unwrap(schema);
  const d = defOf(s);
  return d.type === 'object' ? (d.shape ?? (s as unknown as { shape: Record<string, AnySchema> }).shape) : null;
}

// Keys of CLIProxyAPI's config.yaml that packybridge does not use.
const FOREIGN_KEYS: Record<string, string> = {
  'openai-compatibility': 'packybridge does not use this CLIProxyAPI key; remove it',
  'gemini-api-key': 'packybridge does not use this CLIProxyAPI key; remove it',
  'auth-dir': 'packybridge does not use this CLIProxyAPI key; remove it',
  debug: 'write log-level: debug instead',
};

function unknownKeyProblem(path: string, key: string, known: string[], nested: Map<string, string>, top: boolean): ConfigProblem {
  const message = `unknown key "${key}" (ignored)`;
  const near = didYouMean(key, known);
  if (near) {
    const why = kebab(key) === near || kebab(key).replace(/-/g, '') === near.replace(/-/g, '') ? ' (keys are kebab-case)' : '';
    return problem(path, message, `did you mean "${near}"? rename it${why}`);
  }
  const under = nested.get(kebab(key));
  if (under) return problem(path, message, `it belongs under ${under}: move it there`);
  if (top && FOREIGN_KEYS[key]) return problem(path, message, FOREIGN_KEYS[key]);
  return problem(path, message, `remove it, or use one of the keys here: ${known.join(', ')}`);
}

export interface KeySplit {
  clean: unknown;
  unknown: ConfigProblem[];
}

/** Returns a copy holding only known keys (null map values dropped) and one warning per unknown key. */
export function splitUnknownKeys(raw: unknown, schema: AnySchema, prefix = ''): KeySplit {
  const unknown: ConfigProblem[] = [];
  const clean = walk(raw, schema, prefix, unknown);
  return { clean, unknown };
}

function walk(raw: unknown, schema: AnySchema, path: string, out: ConfigProblem[]): unknown {
  const s = unwrap(schema);
  const d = defOf(s);
  if (d.type === 'array' && Array.isArray(raw) && d.element) return raw.map((v, i) => walk(v, d.element!, joinPath(path, i), out));
  const shape = d.type === 'object' ? shapeOf(s) : null;
  if (!shape || raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const known = Object.keys(shape);
  const nested = new Map<string, string>();
  for (const k of known) {
    const child = shapeOf(shape[k]);
    if (child) for (const ck of Object.keys(child)) if (!nested.has(ck)) nested.set(ck, `${k} (${k}.${ck})`);
  }
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const keyPath = joinPath(path, key);
    if (!Object.hasOwn(shape, key)) {
      out.push(unknownKeyProblem(keyPath, key, known, nested, path === ''));
      continue;
    }
    if (value === null) continue;
    result[key] = walk(value, shape[key], keyPath, out);
  }
  return result;
}
