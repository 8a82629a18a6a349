// Client limits: one interface, so one process (MemoryLimiter) and many replicas (a Redis limiter) run the
// same gate. admit() counts a request when it is let through; addTokens() counts a finished request's tokens.
import type { ClientLimits } from '../config/types.ts';
import { decide, dayWindow, minuteWindow, type LimitDecision, type WindowCounts } from './limit-windows.ts';

export interface ClientLimiter {
  /** Decides and, when the request may go, counts it, as one step (two gates cannot both take the last slot). */
  admit(client: string, limits: ClientLimits, now?: number): Promise<LimitDecision>;
  addTokens(client: string, tokens: number, now?: number): void;
  /** What the client used in the current windows (for the management API and panel). */
  counts(client: string, now?: number): Promise<WindowCounts>;
  close(): Promise<void>;
}

interface Windows { minute: number; requests: number; tokensMinute: number; day: number; tokensDay: number }

/** In-process counters, fixed UTC windows. */
export class MemoryLimiter implements ClientLimiter {
  readonly #clients = new Map<string, Windows>();

  #windows(client: string, now: number): Windows {
    const minute = minuteWindow(now);
    const day = dayWindow(now);
    let w = this.#clients.get(client);
    if (!w) {
      w = { minute, requests: 0, tokensMinute: 0, day, tokensDay: 0 };
      this.#clients.set(client, w);
    }
    if (w.minute !== minute) { w.minute = minute; w.requests = 0; w.tokensMinute = 0; }
    if (w.day !== day) { w.day = day; w.tokensDay = 0; }
    return w;
  }

  admitNow(client: string, limits: ClientLimits, now = Date.now()): LimitDecision {
    const w = this.#windows(client, now);
    const d = decide(limits, w, now);
    if (d.ok) w.requests++;
    return d;
  }

  admit(client: string, limits: ClientLimits, now = Date.now()): Promise<LimitDecision> {
    return Promise.resolve(this.admitNow(client, limits, now));
  }

  addTokens(client: string, tokens: number, now = Date.now()): void {
    if (!(tokens > 0)) return;
    const w = this.#windows(client, now);
    w.tokensMinute += tokens;
    w.tokensDay += tokens;
  }

  counts(client: string, now = Date.now()): Promise<WindowCounts> {
    const w = this.#windows(client, now);
    return Promise.resolve({ requests: w.requests, tokensMinute: w.tokensMinute, tokensDay: w.tokensDay });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
