// Access to /v0/management (and /metrics from beyond loopback), as CLIProxyAPI does it:
// remote-management.secret-key (bcrypt hash) sent as Authorization: Bearer or X-Management-Key;
// no key configured -> 404; non-loopback clients refused unless allow-remote; repeated wrong keys lock an address out.
import bcrypt from 'bcryptjs';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Runtime } from '../runtime.ts';
import { isLoopback } from './client-auth.ts';

const MAX_FAILURES = 5;
const FAILURE_WINDOW_MS = 5 * 60_000;
const LOCKOUT_MS = 15 * 60_000;

interface Failures { count: number; first: number; lockedUntil: number }

export class ManagementGuard {
  readonly #failures = new Map<string, Failures>();
  // successful verifications, keyed by the hash in force: sha256 digests of keys that matched it
  #verifiedFor = '';
  #verified: Buffer[] = [];
  readonly #runtime: Runtime;

  constructor(runtime: Runtime) {
    this.#runtime = runtime;
  }

  /** Resolves true when the request may go on; otherwise has already answered it. */
  async check(request: FastifyRequest, reply: FastifyReply, opts: { loopbackWithoutKey?: boolean } = {}): Promise<boolean> {
    const rm = this.#runtime.snapshot.remoteManagement;
    const ip = request.ip;
    const loopback = isLoopback(ip) || isLoopback(request.socket.remoteAddress);
    if (opts.loopbackWithoutKey && loopback) return true;
    if (!rm.secretKey) {
      reply.code(404).send({ error: 'not_found', message: 'management API is disabled: set remote-management.secret-key in config.yaml' });
      return false;
    }
    if (!loopback && !rm.allowRemote) {
      this.#runtime.audit.record('management-denied', { ip, reason: 'remote not allowed', path: request.url.split('?')[0] });
      reply.code(403).send({ error: 'forbidden', message: 'remote management is off: set remote-management.allow-remote: true to allow non-loopback clients' });
      return false;
    }
    const now = Date.now();
    const f = this.#failures.get(ip);
    if (f && f.lockedUntil > now) {
      const retry = Math.ceil((f.lockedUntil - now) / 1000);
      reply.code(429).header('retry-after', String(retry)).send({ error: 'locked_out', message: `too many wrong management keys from ${ip}; try again in ${retry} s` });
      return false;
    }
    const key = presentedManagementKey(request);
    if (key && (await this.#verify(key, rm.secretKey))) {
      this.#failures.delete(ip);
      return true;
    }
    this.#fail(ip, now, request.url.split('?')[0], key ? 'wrong key' : 'missing key');
    reply.code(401).send({ error: 'unauthorized', message: key ? 'wrong management key' : 'missing management key: send Authorization: Bearer <key> or X-Management-Key' });
    return false;
  }

  async #verify(key: string, hash: string): Promise<boolean> {
    if (this.#verifiedFor !== hash) { this.#verifiedFor = hash; this.#verified = []; }
    const d = createHash('sha256').update(key).digest();
    for (const v of this.#verified) if (timingSafeEqual(v, d)) return true;
    const ok = await bcrypt.compare(key, hash).catch(() => false);
    if (ok && this.#verifiedFor === hash) this.#verified.push(d);
    return ok;
  }

  #fail(ip: string, now: number, path: string, reason: string): void {
    let f = this.#failures.get(ip);
    if (!f || now - f.first > FAILURE_WINDOW_MS) { f = { count: 0, first: now, lockedUntil: 0 }; this.#failures.set(ip, f); }
    f.count++;
    this.#runtime.audit.record('management-denied', { ip, reason, path });
    if (f.count >= MAX_FAILURES) {
      f.lockedUntil = now + LOCKOUT_MS;
      this.#runtime.audit.record('management-locked', { ip, seconds: LOCKOUT_MS / 1000 });
    }
  }
}

function presentedManagementKey(request: FastifyRequest): string | undefined {
  const m = request.headers['x-management-key'];
  if (typeof m === 'string' && m) return m;
  const auth = request.headers.authorization;
  if (typeof auth === 'string' && /^bearer\s+/i.test(auth)) return auth.replace(/^bearer\s+/i, '').trim();
  return undefined;
}
