// Client authentication: the keys in `api-keys`, sent as x-api-key or Authorization: Bearer.
import { hash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { ClientKey } from '../config/types.ts';

const digest = (s: string) => hash('sha256', s, 'buffer');

export function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const x = headers['x-api-key'];
  if (typeof x === 'string' && x) return x;
  const auth = headers.authorization;
  if (typeof auth === 'string' && /^bearer\s+/i.test(auth)) return auth.replace(/^bearer\s+/i, '').trim();
  return undefined;
}

/** Constant-time check of a presented key against every configured key. */
export function keyMatches(presented: string, keys: readonly string[]): boolean {
  const p = digest(presented);
  let ok = false;
  for (const k of keys) if (timingSafeEqual(p, digest(k))) ok = true;
  return ok;
}

const digestBuffers = new WeakMap<readonly ClientKey[], Buffer[]>();

/**
 * The configured client key the presented key is, compared digest to digest in constant time against every
 * entry (client keys are long random tokens: a fast digest, not a password hash, on every request).
 */
export function findClientKey(presented: string, keys: readonly ClientKey[]): ClientKey | undefined {
  let buffers = digestBuffers.get(keys);
  if (!buffers) {
    buffers = keys.map((k) => Buffer.from(k.digest, 'hex'));
    digestBuffers.set(keys, buffers);
  }
  const p = digest(presented);
  let found: ClientKey | undefined;
  for (let i = 0; i < buffers.length; i++) if (timingSafeEqual(p, buffers[i]) && found === undefined) found = keys[i];
  return found;
}

export function isLoopback(ip: string | undefined): boolean {
  if (!ip) return false;
  return ip === '::1' || ip.startsWith('127.') || ip.startsWith('::ffff:127.');
}
