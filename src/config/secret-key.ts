// remote-management.secret-key: stored as a bcrypt hash; a plaintext value is hashed on first load.
import { createHash } from 'node:crypto';
import bcrypt from 'bcryptjs';

export const BCRYPT_COST = 10;

const HASH = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;

export function isBcryptHash(value: string): boolean {
  return HASH.test(value);
}

/** Starts like a bcrypt hash ($2a$/$2b$/$2y$) without being a whole one. */
export function looksLikeBrokenHash(value: string): boolean {
  return /^\$2[aby]\$/.test(value) && !HASH.test(value);
}

export function hashSecret(plaintext: string): Promise<string> {
  return bcrypt.hash(plaintext, BCRYPT_COST);
}

export function hashSecretSync(plaintext: string): string {
  return bcrypt.hashSync(plaintext, BCRYPT_COST);
}

/** For the management API: does a presented key match the stored hash? */
export function verifySecret(plaintext: string, hash: string): Promise<boolean> {
  return hash === '' ? Promise.resolve(false) : bcrypt.compare(plaintext, hash);
}

// A plaintext key kept in the file (${VAR}, read-only file) hashes to the same value on every reload.
const memoryHashes = new Map<string, string>();
export function memoryHash(plaintext: string): string {
  const id = createHash('sha256').update(plaintext).digest('hex');
  let h = memoryHashes.get(id);
  if (!h) {
    h = hashSecretSync(plaintext);
    memoryHashes.set(id, h);
  }
  return h;
}
