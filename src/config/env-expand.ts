// ${VAR} references in string values, expanded from the environment.
// `${VAR:-fallback}` uses fallback when VAR is unset or empty; `$${` writes a literal `${`.
import { joinPath } from './problems.ts';

export interface UnsetReference {
  path: string; // key path of the value holding the reference
  name: string; // the environment variable
}

const REF = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export function expandString(value: string, env: NodeJS.ProcessEnv, path: string, unset: UnsetReference[]): string {
  return value.replace(REF, (whole, name: string | undefined, fallback: string | undefined) => {
    if (whole === '$${') return '${';
    const v = env[name!];
    if (v !== undefined && !(fallback !== undefined && v === '')) return v;
    if (fallback !== undefined) return fallback;
    unset.push({ path, name: name! });
    return '';
  });
}

/** Deep copy with every string expanded; unset references are collected (their value becomes ''). */
export function expandDeep(value: unknown, env: NodeJS.ProcessEnv, path: string, unset: UnsetReference[]): unknown {
  if (typeof value === 'string') return expandString(value, env, path, unset);
  if (Array.isArray(value)) return value.map((v, i) => expandDeep(v, env, joinPath(path, i), unset));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = expandDeep(v, env, joinPath(path, k), unset);
    return out;
  }
  return value;
}

export function hasReference(value: string): boolean {
  return /\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}/.test(value.replace(/\$\$\{/g, ''));
}

/** Makes a literal string safe from expansion (values read from env or Codex files). */
export function escapeReferences(value: string): string {
  return value.replace(/\$\{/g, () => '$${');
}
