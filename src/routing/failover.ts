// Which Anthropic-compatible fallbacks may serve a request Packycode failed before its first byte. Pure.
import type { AnthropicFallback, ConfigSnapshot } from '../config/types.ts';
import { isQuotaCode } from '../translate/upstream-error.ts';

/** What went wrong on the Packycode path, as far as failover needs to know. */
export interface PackycodeFailure {
  /**
   * an UpstreamError kind ('connect' | 'timeout' | 'http' | 'aborted' | 'idle-timeout' | 'protocol' | 'disconnect'),
   * 'stream-error' / 'assembly' (the reply failed before any output), 'internal' (a packybridge bug),
   * or 'not-configured' (Packycode is disabled or incomplete)
   */
  kind: string;
  /** the upstream's HTTP status for 'http'; for the other kinds, the status the client would get */
  status?: number;
  /** the upstream's error code or type, when known (a quota code fails over whatever the status) */
  code?: string;
}

/** Failures another provider can cure: the request itself is not at fault and the client is still there. */
export function isFailoverWorthy(f: PackycodeFailure): boolean {
  switch (f.kind) {
    case 'not-configured':
    case 'connect':
    case 'timeout':
    case 'idle-timeout':   // headers came, then silence: still nothing reached the client
    case 'disconnect':
    case 'protocol':       // Packycode answered something that is not a Responses stream
      return true;
    case 'http':
    case 'stream-error':
    case 'assembly':
      return isQuotaCode(f.code) || isRetryableStatus(f.status);
    default:               // 'aborted' (client gone), 'internal' (our bug: keep it visible), anything new
      return false;
  }
}

/** 429, 5xx and 529 (overloaded): the provider's trouble. 4xx are the request's (or the account's) and stay. */
export function isRetryableStatus(status: number | undefined): boolean {
  if (status === undefined) return false;
  return status === 429 || (status >= 500 && status <= 599);
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.trim().replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`, 'i');
}

const globCache = new Map<string, RegExp>();

/** Empty list = any model; else one pattern must match the whole name (`*` = any run, case-insensitive). */
export function servesModel(patterns: readonly string[], model: string): boolean {
  if (patterns.length === 0) return true;
  for (const p of patterns) {
    let re = globCache.get(p);
    if (!re) {
      re = globToRegExp(p);
      if (globCache.size > 1024) globCache.clear();
      globCache.set(p, re);
    }
    if (re.test(model)) return true;
  }
  return false;
}

/** The fallbacks to try, in config order; empty when the failure is not worth a failover. */
export function fallbacksFor(
  snapshot: Pick<ConfigSnapshot, 'fallbacks'>, model: string, failure: PackycodeFailure,
): AnthropicFallback[] {
  if (snapshot.fallbacks.length === 0 || !isFailoverWorthy(failure)) return [];
  return snapshot.fallbacks.filter((fb) => servesModel(fb.models, model));
}
