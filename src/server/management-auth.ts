// Access to /v0/management (and /metrics from beyond loopback), as CLIProxyAPI does it:
// remote-management.secret-key (bcrypt hash) sent as Authorization: Bearer or X-Management-Key;
// no key configured -> 404; non-loopback clients refused unless allow-remote; repeated wrong keys lock an
// client out (429 + retry-after). One guard per gateway, so /metrics and management share the lockout.
// Guessing must not stall the gateway: bcrypt runs in a worker thread (secret-verifier.ts); a client gets
// no more verifications under way than it has wrong keys left before its lockout, so a burst is throttled
// before anything is hashed; all of loopback (127.0.0.0/8, ::1, ::ffff:127.x) is one client; and at most
// MAX_PENDING_VERIFICATIONS run at once (the rest: 429 busy, retry-after).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Runtime } from '../runtime.ts';
import { isLoopback } from './client-auth.ts';
import { SecretVerifier } from './secret-verifier.ts';

export const MAX_FAILURES = 5;
const FAILURE_WINDOW_MS = 5 * 60_000;
export const LOCKOUT_MS = 15 * 60_000;
const MAX_TRACKED = 10_000;
const MAX_VERIFIED = 8;
export const MAX_PENDING_VERIFICATIONS = 16;
const BUSY_RETRY_S = 2;

/**
 * Who a lockout applies to: every loopback address is the same client (127.0.0.2 is no other machine), and
 * an IPv4 address is the same client whether or not it arrives IPv4-mapped (::ffff:10.1.2.3).
 */
export function lockoutClient(ip: string): string {
  if (isLoopback(ip)) return 'loopback';
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(ip) ? ip.slice(7) : ip;
}

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
  // per client: verifications under way (each may be one more wrong key)
  readonly #inFlight = new Map<string, number>();
  readonly #verifier = new SecretVerifier(MAX_PENDING_VERIFICATIONS);
  readonly #runtime: Runtime;

  constructor(runtime: Runtime) {
    this.#runtime = runtime;
  }

  /** bcrypt comparisons queued or running now. */
  get pendingVerifications(): number {
    return this.#verifier.pending;
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
    const client = lockoutClient(ip);
    const who = client === 'loopback' ? 'loopback clients' : ip;
    const f = this.#failures.get(client);
    if (f && f.lockedUntil > now) {
      const retry = Math.ceil((f.lockedUntil - now) / 1000);
      // not audited one by one: the lockout itself was
      reply.code(429).header('retry-after', String(retry)).send({ error: 'locked_out', message: `too many wrong management keys from ${who}; try again in ${retry} s` });
      return false;
    }
    const key = presentedManagementKey(request);
    if (key === undefined) {
      this.#runtime.audit.record('management-denied', { ip, path, reason: 'missing key' });
      reply.code(401).send({ error: 'unauthorized', message: 'missing management key: send Authorization: Bearer <key> or X-Management-Key: <key>' });
      return false;
    }
    const verdict = this.#verify(key, rm.secretKey, client, f && f.lockedUntil <= now && now - f.first <= FAILURE_WINDOW_MS ? f.count : 0);
    if (verdict === 'throttled' || verdict === 'busy') {
      const message = verdict === 'throttled'
        ? `too many management keys from ${who} are being checked at once: wait for the answers (${MAX_FAILURES} wrong keys lock ${who} out for ${LOCKOUT_MS / 60_000} minutes)`
        : 'too many management keys are being checked at once; try again shortly';
      reply.code(429).header('retry-after', String(BUSY_RETRY_S)).send({ error: verdict === 'throttled' ? 'too_many_attempts' : 'busy', message });
      return false;
    }
    if (await verdict) {
      this.#failures.delete(client);
      return true;
    }
    const locked = this.#fail(client, Date.now());
    this.#runtime.audit.record('management-denied', { ip, path, reason: 'wrong key' });
    if (locked) this.#runtime.audit.record('management-locked', { ip, client, seconds: LOCKOUT_MS / 1000, failures: MAX_FAILURES });
    reply.code(401).send({ error: 'unauthorized', message: 'wrong management key' });
    return false;
  }

  /**
   * A key proven right before is recognised without bcrypt. Otherwise a bcrypt comparison is queued, unless
   * the client already has as many under way as it has wrong keys left (`failures` so far): 'throttled',
   * or the worker has MAX_PENDING_VERIFICATIONS: 'busy'. Nothing is hashed then.
   */
  #verify(key: string, hash: string, client: string, failures: number): Promise<boolean> | 'throttled' | 'busy' {
    if (this.#verifiedFor !== hash) { this.#verifiedFor = hash; this.#verified = []; }
    const d = createHash('sha256').update(key).digest();
    let hit = false;
    for (const v of this.#verified) if (timingSafeEqual(v, d)) hit = true;
    if (hit) return Promise.resolve(true);
    const id = `${hash}\u0000${d.toString('hex')}`;
    let p = this.#pending.get(id);
    if (!p) {
      const inFlight = this.#inFlight.get(client) ?? 0;
      if (failures + inFlight >= MAX_FAILURES) return 'throttled';
      const started = this.#verifier.tryVerify(key, hash);
      if (!started) return 'busy';
      this.#inFlight.set(client, inFlight + 1);
      p = started.finally(() => {
        this.#pending.delete(id);
        const n = (this.#inFlight.get(client) ?? 1) - 1;
        if (n <= 0) this.#inFlight.delete(client); else this.#inFlight.set(client, n);
      });
      this.#pending.set(id, p);
    }
    return this.#remember(p, hash, d);
  }

  async #remember(p: Promise<boolean>, hash: string, d: Buffer): Promise<boolean> {
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
