// Every upstream failure classified once: what the relay does with it (retry, fail over, answer), and how long
// the credential that failed rests. Pure: no I/O, no config.
import type { UpstreamError, UpstreamErrorKind } from '../upstream/upstream-error.ts';
import { isQuotaCode } from '../translate/upstream-error.ts';

/**
 * Why an attempt failed, the kind of its UpstreamError: 'connect' | 'timeout' | 'http' | 'aborted' |
 * 'idle-timeout' | 'protocol' | 'disconnect' | 'stream-error' | 'internal'. (Declared beside UpstreamError,
 * the one error type, so that upstream/ needs nothing from relay/.)
 */
export type FailureKind = UpstreamErrorKind;

/**
 * - retryable: the provider's passing trouble (connection refused or reset, 429, 5xx): retried briefly on the
 *   last candidate, else the next candidate serves
 * - failover: the provider is slow or broken for this request (timeouts, bad protocol): the next candidate serves
 * - quota: the account behind this key is out of money: the next candidate serves, the key rests long
 * - config: the key or URL is wrong (401, 403, 404): the next candidate serves; reported as a configuration problem
 * - client: the request's own fault (400-class): answered as is, never moved
 * - aborted: the client went away
 * - internal: our bug: answered, never moved
 */
export type Disposition = 'retryable' | 'failover' | 'quota' | 'config' | 'client' | 'aborted' | 'internal';

/** The fields of an UpstreamError classification reads. */
export type FailureFacts = Pick<UpstreamError, 'status' | 'upstreamCode' | 'retryAfter'> & { kind: FailureKind };

/** 429, 5xx and 529 (overloaded): the provider's trouble. */
export function isRetryableStatus(status: number | undefined): boolean {
  if (status === undefined) return false;
  return status === 429 || (status >= 500 && status <= 599);
}

export function classify(f: FailureFacts): Disposition {
  switch (f.kind) {
    case 'aborted': return 'aborted';
    case 'internal': return 'internal';
    case 'connect':
    case 'disconnect': return 'retryable';
    case 'timeout':
    case 'idle-timeout':
    case 'protocol': return 'failover';
    case 'http':
    case 'stream-error':
      break;
  }
  if (isQuotaCode(f.upstreamCode)) return 'quota';
  const status = f.status;
  if (status === 401 || status === 403 || status === 404) return f.kind === 'http' ? 'config' : 'client';
  if (isRetryableStatus(status)) return 'retryable';
  return 'client';
}

/** Whether another candidate may serve the request after this failure. */
export function movesOn(d: Disposition): boolean {
  return d === 'retryable' || d === 'failover' || d === 'quota' || d === 'config';
}

export interface RetryPolicy {
  /** delay before retry n (index n-1); its length is the number of retries */
  delaysMs: number[];
  /** a retry-after longer than this is not waited for: the client is told at once */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { delaysMs: [300, 1200], maxRetryAfterMs: 4000 };

/** A retry-after header (seconds or an HTTP date) in ms from `now`; undefined when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

/** How long to wait before retry number `attempt` (1-based) of the same candidate, or null: do not retry. */
export function retryDelayMs(f: FailureFacts, attempt: number, policy: RetryPolicy = DEFAULT_RETRY_POLICY): number | null {
  if (attempt < 1 || attempt > policy.delaysMs.length) return null;
  if (f.kind !== 'http' && f.kind !== 'connect' && f.kind !== 'disconnect') return null;
  if (classify(f) !== 'retryable') return null;
  const base = policy.delaysMs[attempt - 1];
  const after = retryAfterMs(f.retryAfter);
  if (after === undefined) return base;
  return after <= policy.maxRetryAfterMs ? Math.max(base, after) : null;
}

/** Sleeps, or resolves early (false) when the signal fires. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ok: boolean) => { clearTimeout(t); signal.removeEventListener('abort', onAbort); resolve(ok); };
    const onAbort = () => done(false);
    const t = setTimeout(() => done(true), ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The upstream refused the encrypted reasoning of earlier turns (another channel wrote it, or it was not stored):
 * `invalid_encrypted_content`, or "Item with id 'rs_…' not found". The same request without those items works.
 */
export function isReasoningRejection(e: Pick<UpstreamError, 'upstreamCode' | 'upstreamMessage' | 'message'>): boolean {
  if (e.upstreamCode === 'invalid_encrypted_content') return true;
  const text = `${e.upstreamMessage ?? ''} ${e.message}`;
  return /invalid_encrypted_content|encrypted content .*could not be (decrypted|verified)|item with id '?rs_[^' ]*'? not found/i.test(text);
}
