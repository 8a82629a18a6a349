// Access to /v0/management (and /metrics from beyond loopback), as CLIProxyAPI does it:
// remote-management.secret-key (bcrypt hash) sent as Authorization: Bearer or X-Management-Key;
// no key configured -> 404; non-loopback clients refused unless allow-remote; repeated wrong keys lock an
// address out (429 + retry-after). One guard per gateway, so /metrics and management share the lockout.
import bcrypt from 'bcryptjs';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Runtime } from '../runtime.ts';
import { isLoopback } from './client-auth.ts';

export const MAX_FAILURES = 5;
const FAILURE_WINDOW_MS = 5 * 60_000;
export const LOCKOUT_MS = 15 * 60_000;
const MAX_TRACKED = 10_000;
const MAX_VERIFIED = 8;

interface Failures { count: number; first: number; lockedUntil: number }

const guards = new WeakMap<Runtime, ManagementGuard>();

/** The gateway's one guard. */
export function managementGuard(runtime: Runtime): ManagementGuard {
  let g = guards.get(runtime);
  if (!g) { g = new ManagementGuard(runtime); guards.set(runtime, g); }
  return g;
}

export class ManagementGuard {
  readonly #failures = new Map<string, Failures>();
  // successful verifications, for the hash in force: sha256 digests of keys that matched it (bcrypt is slow)
  #verifiedFor = '';
  #verified: Buffer[] = [];
  // verifications under way, so a burst of requests with one key runs bcrypt once
  readonly #pending = new Map<string, Promise<boolean>>();
  readonly #runtime: Runtime;

  constructor(runtime: Runtime) {
    this.#runtime = runtime;
  }

  /** Resolves true when the request may go on; otherwise has already answered it. */
  async check(request: FastifyRequest, reply: FastifyReply, opts: { loopbackWithoutKey?: boolean } = {}): Promise<boolean> {
    const rm = this.#runtime.snapshot.remoteManagement;
    const ip = request.ip;
    const loopback = isLoopback(ip) && isLoopback(request.socket?.remoteAddress ?? ip);
    const path = request.url.split('?')[0];
    if (opts.loopbackWithoutKey && loopback) return true;
    if (!rm.secretKey) {
      reply.code(404).send({ error: 'not_found', message: 'the management API is off: set remote-management.secret-key in config.yaml to turn it on' });
      return false;
    }
    if (!loopback && !rm.allowRemote) {
      this.#runtime.audit.record('management-denied', { ip, path, reason: 'remote not allowed' });
      reply.code(403).send({ error: 'forbidden', message: 'management is open to loopback clients only: set remote-management.allow-remote: true to allow other addresses' });
      return false;
    }
    const now = Date.now();
    const f = this.#failures.get(ip);
    if (f && f.lockedUntil > now) {
      const retry = Math.ceil((f.lockedUntil - now) / 1000);
      // not audited one by one: the lockout itself was
      reply.code(429).header('retry-after', String(retry)).send({ error: 'locked_out', message: `too many wrong management keys from ${ip}; try again in ${retry} s` });
      return false;
    }
    const key = presentedManagementKey(request);
    if (key === undefined) {
      this.#runtime.audit.record('management-denied', { ip, path, reason: 'missing key' });
      reply.code(401).send({ error: 'unauthorized', message: 'missing management key: send Authorization: Bearer <key> or X-Management-Key: <key>' });
      return false;
    }
    if (await this.#verify(key, rm.secretKey)) {
      this.#failures.delete(ip);
      return true;
    }
    const locked = this.#fail(ip, Date.now());
    this.#runtime.audit.record('management-denied', { ip, path, reason: 'wrong key' });
    if (locked) this.#runtime.audit.record('management-locked', { ip, seconds: LOCKOUT_MS / 1000, failures: MAX_FAILURES });
    reply.code(401).send({ error: 'unauthorized', message: 'wrong management key' });
    return false;
  }

  async #verify(key: string, hash: string): Promise<boolean> {
    if (this.#verifiedFor !== hash) { this.#verifiedFor = hash; this.#verified = []; }
    const d = createHash('sha256').update(key).digest();
    let hit = false;
    for (const v of this.#verified) if (timingSafeEqual(v, d)) hit = true;
    if (hit) return true;
    const id = `${hash}\u0000${d.toString('hex')}`;
    let p = this.#pending.get(id);
    if (!p) {
      p = bcrypt.compare(key, hash).catch(() => false).finally(() => this.#pending.delete(id));
      this.#pending.set(id, p);
    }
    const ok = await p;
    if (ok && this.#verifiedFor === hash && !this.#verified.some((v) => v.equals(d))) {
      this.#verified.push(d);
      if (this.#verified.length > MAX_VERIFIED) this.#verified.shift();
    }
    return ok;
  }

  /** Counts a wrong key; true when this one locked the address out. */
  #fail(ip: string, now: number): boolean {
    if (this.#failures.size >= MAX_TRACKED) {
      for (const [k, v] of this.#failures) if (v.lockedUntil <= now && now - v.first > FAILURE_WINDOW_MS) this.#failures.delete(k);
    }
    let f = this.#failures.get(ip);
    if (!f || (f.lockedUntil <= now && now - f.first > FAILURE_WINDOW_MS)) {
      f = { count: 0, first: now, lockedUntil: 0 };
      this.#failures.set(ip, f);
    }
    f.count++;
    if (f.count >= MAX_FAILURES && f.lockedUntil <= now) {
      f.lockedUntil = now + LOCKOUT_MS;
      return true;
    }
    return false;
  }
}

function presentedManagementKey(request: FastifyRequest): string | undefined {
  const m = request.headers['x-management-key'];
  if (typeof m === 'string' && m.trim()) return m.trim();
  const auth = request.headers.authorization;
  if (typeof auth === 'string' && /^bearer\s+\S/i.test(auth)) return auth.replace(/^bearer\s+/i, '').trim();
  return undefined;
}
