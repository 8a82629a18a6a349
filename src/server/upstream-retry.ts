// Short retries of Packycode before the first byte reaches the client. A blip (refused connection, 5xx,
// overload, a rate limit that clears within seconds) is absorbed here; a failure that persists reaches the
// client within a few seconds, marked `x-should-retry: false` because the gateway already retried.
import { isQuotaCode } from '../translate/upstream-error.ts';

/** The fields of an UpstreamError this policy reads. */
export interface RetryableFailure {
  kind: string;
  status?: number;
  retryAfter?: string;
  upstreamCode?: string;
}

export interface RetryPolicy {
  /** delay before retry n (index n-1); its length is the number of retries */
  delaysMs: number[];
  /** a retry-after longer than this is not waited for: the client is told at once */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { delaysMs: [300, 1200], maxRetryAfterMs: 4000 };

const RETRY_STATUSES = new Set([429, 500, 502, 503, 504, 529]);

function retryAfterMs(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

/** How long to wait before retry number `attempt` (1-based), or null when this failure is not retried. */
export function retryDelayMs(f: RetryableFailure, attempt: number, policy: RetryPolicy = DEFAULT_RETRY_POLICY): number | null {
  if (attempt < 1 || attempt > policy.delaysMs.length) return null;
  const base = policy.delaysMs[attempt - 1];
  if (f.kind === 'connect' || f.kind === 'disconnect') return base;
  if (f.kind !== 'http' || f.status === undefined || !RETRY_STATUSES.has(f.status)) return null;
  if (isQuotaCode(f.upstreamCode)) return null;
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
