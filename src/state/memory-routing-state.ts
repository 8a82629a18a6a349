// The in-process RoutingState: cooldowns and session affinity in two maps, expired entries dropped lazily and
// bounded in number (a long-running gateway sees many sessions).
import type { RoutingState } from './routing-state.ts';

const MAX_SESSIONS = 50_000;

export class MemoryRoutingState implements RoutingState {
  readonly #cooldowns = new Map<string, { until: number; reason: string }>();
  readonly #sessions = new Map<string, { candidateId: string; until: number }>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  cooldownUntil(id: string): number {
    const c = this.#cooldowns.get(id);
    if (!c) return 0;
    if (c.until <= this.#now()) { this.#cooldowns.delete(id); return 0; }
    return c.until;
  }

  setCooldown(id: string, untilMs: number, reason: string): void {
    this.#cooldowns.set(id, { until: untilMs, reason });
  }

  clearCooldown(id: string): void {
    this.#cooldowns.delete(id);
  }

  sessionRoute(sessionId: string): string | undefined {
    const s = this.#sessions.get(sessionId);
    if (!s) return undefined;
    if (s.until <= this.#now()) { this.#sessions.delete(sessionId); return undefined; }
    return s.candidateId;
  }

  setSessionRoute(sessionId: string, candidateId: string, ttlMs: number): void {
    this.#sessions.delete(sessionId); // re-insert: the map's order is the age order
    this.#sessions.set(sessionId, { candidateId, until: this.#now() + ttlMs });
    if (this.#sessions.size > MAX_SESSIONS) {
      const oldest = this.#sessions.keys().next().value;
      if (oldest !== undefined) this.#sessions.delete(oldest);
    }
  }

  clearSessionRoute(sessionId: string): void {
    this.#sessions.delete(sessionId);
  }
}
