// api-keys entries -> ClientKey: a bare key or {key, name, models, limits, expires}; a key may be written as
// sha256:<hex> so the file need not hold it. Only digests are kept: keys are compared digest to digest.
import { hash } from 'node:crypto';
import type { ClientKey, ConfigProblem } from './types.ts';
import type { ClientKeyShape } from './schema.ts';
import { maskSecret } from './mask.ts';
import { problem } from './problems.ts';

export type ClientKeyEntry = string | ClientKeyShape;

export const sha256Hex = (s: string): string => hash('sha256', s);

const DIGEST_PREFIX = /^sha256:/i;

/** The digest of a key as written: `sha256:<hex>` is the digest itself, anything else is hashed. */
export function digestOfWrittenKey(key: string): string {
  return DIGEST_PREFIX.test(key) ? key.slice(7).toLowerCase() : sha256Hex(key);
}

function maskWritten(key: string): string {
  return DIGEST_PREFIX.test(key) ? `sha256:…${key.slice(-4).toLowerCase()}` : maskSecret(key);
}

/** The key as written in an entry. */
export const keyOfEntry = (e: ClientKeyEntry): string => (typeof e === 'string' ? e : e.key);

/** Converts validated entries; problems for repeated names (errors) and repeated keys (warnings). */
export function toClientKeys(entries: readonly ClientKeyEntry[]): { keys: ClientKey[]; errors: ConfigProblem[]; warnings: ConfigProblem[] } {
  const errors: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  const names = new Map<string, number>();
  const digests = new Set<string>();
  const keys = entries.map((e, i): ClientKey => {
    const written = keyOfEntry(e);
    const digest = digestOfWrittenKey(written);
    if (digests.has(digest)) warnings.push(problem(`api-keys[${i}]`, 'repeats an earlier key', 'remove the duplicate'));
    digests.add(digest);
    const name = typeof e === 'string' ? `key-${i + 1}` : e.name;
    const first = names.get(name);
    if (first !== undefined) errors.push(problem(`api-keys[${i}].name`, `"${name}" is also the name of api-keys[${first}]`, 'give each key its own name'));
    else names.set(name, i);
    if (typeof e === 'string') return { name, digest, masked: maskWritten(written), limits: {} };
    const l = e.limits ?? {};
    return {
      name,
      digest,
      masked: maskWritten(written),
      models: e.models,
      limits: { requestsPerMinute: l['requests-per-minute'], tokensPerMinute: l['tokens-per-minute'], tokensPerDay: l['tokens-per-day'] },
      expires: e.expires,
    };
  });
  return { keys, errors, warnings };
}
