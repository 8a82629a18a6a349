// Fixed windows for client limits: requests and tokens per UTC minute, tokens per UTC day. Pure: the counts
// come from a limiter (in-process or Redis), the decision is the same for both.
import type { ClientLimits } from '../config/types.ts';

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

export type LimitName = 'requests-per-minute' | 'tokens-per-minute' | 'tokens-per-day';

export type LimitDecision =
  | { ok: true }
  | { ok: false; limit: LimitName; max: number; retryAfterS: number };

/** What a client used in the windows `now` falls in. */
export interface WindowCounts {
  /** requests admitted this minute, this one not included */
  requests: number;
  tokensMinute: number;
  tokensDay: number;
}

export const minuteWindow = (now: number): number => Math.floor(now / MINUTE_MS);
export const dayWindow = (now: number): number => Math.floor(now / DAY_MS);

const secondsUntil = (end: number, now: number): number => Math.max(1, Math.ceil((end - now) / 1000));

/**
 * May one more request start? Token limits refuse once the window's tokens reached the limit (a request's
 * tokens are known only when it ends, so the request that crosses a token limit is the last one let through).
 */
export function decide(limits: ClientLimits, c: WindowCounts, now: number): LimitDecision {
  const minuteEnd = (minuteWindow(now) + 1) * MINUTE_MS;
  if (limits.tokensPerDay !== undefined && c.tokensDay >= limits.tokensPerDay) {
    return { ok: false, limit: 'tokens-per-day', max: limits.tokensPerDay, retryAfterS: secondsUntil((dayWindow(now) + 1) * DAY_MS, now) };
  }
  if (limits.tokensPerMinute !== undefined && c.tokensMinute >= limits.tokensPerMinute) {
    return { ok: false, limit: 'tokens-per-minute', max: limits.tokensPerMinute, retryAfterS: secondsUntil(minuteEnd, now) };
  }
  if (limits.requestsPerMinute !== undefined && c.requests >= limits.requestsPerMinute) {
    return { ok: false, limit: 'requests-per-minute', max: limits.requestsPerMinute, retryAfterS: secondsUntil(minuteEnd, now) };
  }
  return { ok: true };
}

export const hasLimits = (l: ClientLimits): boolean =>
  l.requestsPerMinute !== undefined || l.tokensPerMinute !== undefined || l.tokensPerDay !== undefined;
