// What one attempt's outcome means for the credential that served it: counted, logged (metadata only), a
// cooldown in the RoutingState (so the next requests route around a resting key), the session's affinity, and
// the last error per key for the management status.
import type { UpstreamError } from '../upstream/upstream-error.ts';
import { briefCooldownId, type Candidate } from '../routing/candidates.ts';
import { retryAfterMs, type Disposition } from './failures.ts';
import type { RelayContext } from './relay.ts';

/** Cooldown lengths; tests shorten them. */
export const cooldownTuning = {
  /** 429 without a retry hint: 1 s, 2 s, 4 s, ... up to 30 min */
  rateLimitBaseMs: 1_000,
  rateLimitMaxMs: 30 * 60_000,
  /** 401/403 (the key is wrong) and quota (the account is empty) */
  rejectedMs: 30 * 60_000,
  /** 404: this model or URL is wrong for this upstream */
  notFoundMs: 60_000,
  /** 5xx, timeouts, refused connections: tried after the others for 2 s, 4 s, ... up to 60 s */
  briefBaseMs: 2_000,
  briefMaxMs: 60_000,
};

export interface KeyHealth {
  provider: string;
  key: string;
  /** where the key is configured */
  path: string;
  state: 'ok' | 'cooling-down' | 'rejected' | 'brief';
  cooldownUntil?: string;
  lastError?: { at: string; kind: string; status?: number; message: string };
  lastSuccessAt?: string;
}

/** In-process memory of each key's recent history: consecutive failures, last error (for the status view). */
export class CredentialHealth {
  readonly #keys = new Map<string, KeyHealth & { streak: number; until: number }>();

  #entry(c: Candidate) {
    let e = this.#keys.get(c.keyId);
    if (!e) {
      e = { provider: c.provider, key: c.keyMask, path: c.label.keyPath, state: 'ok', streak: 0, until: 0 };
      this.#keys.set(c.keyId, e);
      if (this.#keys.size > 1000) this.#keys.delete(this.#keys.keys().next().value!);
    }
    return e;
  }

  failed(c: Candidate, e: UpstreamError, state: KeyHealth['state'], until: number): number {
    const h = this.#entry(c);
    h.streak++;
    h.state = state;
    h.until = until;
    h.lastError = { at: new Date().toISOString(), kind: e.kind, ...(e.status !== undefined ? { status: e.status } : {}), message: e.message.slice(0, 300) };
    return h.streak;
  }

  streak(c: Candidate): number {
    return this.#keys.get(c.keyId)?.streak ?? 0;
  }

  succeeded(c: Candidate): void {
    const h = this.#entry(c);
    h.streak = 0;
    h.state = 'ok';
    h.until = 0;
    h.lastSuccessAt = new Date().toISOString();
  }

  /** The keys seen so far, by key id, as the status shows them (cooldowns that ended read as ok). */
  view(now = Date.now()): Map<string, KeyHealth> {
    const out = new Map<string, KeyHealth>();
    for (const [id, h] of this.#keys) {
      const cooling = h.until > now;
      out.set(id, {
        provider: h.provider, key: h.key, path: h.path, state: cooling ? h.state : 'ok',
        ...(cooling ? { cooldownUntil: new Date(h.until).toISOString() } : {}),
        ...(h.lastError ? { lastError: h.lastError } : {}),
        ...(h.lastSuccessAt ? { lastSuccessAt: h.lastSuccessAt } : {}),
      });
    }
    return out;
  }
}

function backoff(base: number, max: number, streak: number): number {
  return Math.min(max, base * 2 ** Math.min(30, Math.max(0, streak - 1)));
}

export function noteFailure(ctx: RelayContext, c: Candidate, e: UpstreamError, d: Disposition): void {
  const { runtime } = ctx;
  const kind = c.fallbackName ? `fallback-${e.kind}` : e.kind;
  runtime.counters.upstreamErrors++;
  runtime.metrics.upstreamErrors.inc({ kind });
  runtime.audit.upstreamError(kind, e.status);
  runtime.logger.warn({
    reqId: ctx.requestId, provider: c.provider, key: c.keyMask, disposition: d, kind: e.kind, status: e.status,
    code: e.upstreamCode, upstreamRequestId: e.requestId,
  }, 'upstream attempt failed');
  if (e.local) return; // refused by packybridge itself (a concurrency limit): the key did nothing wrong

  const state = runtime.routingState;
  const health = runtime.credentialHealth;
  const now = Date.now();
  const streak = health.streak(c) + 1;
  let until = 0;
  let rest: KeyHealth['state'] = 'cooling-down';
  if (d === 'config') {
    if (e.status === 404) {
      until = now + cooldownTuning.notFoundMs;
      state.setCooldown(c.id, until, 'not-found');
    } else {
      until = now + cooldownTuning.rejectedMs;
      rest = 'rejected';
      state.setCooldown(c.keyId, until, `rejected:${e.status}`);
      runtime.audit.record('upstream-key-rejected', { provider: c.provider, key: c.keyMask, path: c.label.keyPath, status: e.status });
      runtime.logger.error({ provider: c.provider, key: c.keyMask, path: c.label.keyPath, status: e.status },
        `configuration problem: ${c.label.name} rejected the key ${c.keyMask} (HTTP ${e.status}); fix ${c.label.keyPath}. The key rests until ${new Date(until).toISOString()}`);
    }
  } else if (d === 'quota') {
    until = now + cooldownTuning.rejectedMs;
    state.setCooldown(c.keyId, until, 'quota');
  } else if (d === 'retryable' && e.status === 429) {
    const hinted = retryAfterMs(e.retryAfter, now);
    until = now + (hinted ?? backoff(cooldownTuning.rateLimitBaseMs, cooldownTuning.rateLimitMaxMs, streak));
    state.setCooldown(c.id, until, 'rate-limited');
  } else if (d === 'retryable' || d === 'failover') {
    until = now + backoff(cooldownTuning.briefBaseMs, cooldownTuning.briefMaxMs, streak);
    rest = 'brief';
    state.setCooldown(briefCooldownId(c.id), until, e.kind);
  }
  if (until > 0) health.failed(c, e, rest, until);
}

export function noteSuccess(ctx: RelayContext, c: Candidate): void {
  const { runtime } = ctx;
  runtime.credentialHealth.succeeded(c);
  runtime.routingState.clearCooldown(briefCooldownId(c.id));
  const ttl = ctx.snapshot.routing?.sessionAffinityTtlMs ?? 0;
  if (ctx.sessionId && ttl > 0) runtime.routingState.setSessionRoute(ctx.sessionId, c.id, ttl);
}
