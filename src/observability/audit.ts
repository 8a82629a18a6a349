// Audit trail: operator-relevant events, metadata only (never a prompt, a reply or a key).
// Kept in memory (bounded) for the management API and written as structured log lines.
import type { Logger } from './logger.ts';

export type AuditKind =
  | 'startup'
  | 'enable'
  | 'disable'
  | 'config-change'
  | 'config-refused'
  | 'upstream-error-burst'
  | 'management-denied'
  | 'management-locked'
  | 'key-revealed'
  | 'upstream-key-rejected';

export interface AuditEvent {
  at: string;
  kind: AuditKind;
  [key: string]: unknown;
}

export class AuditLog {
  readonly #events: AuditEvent[] = [];
  readonly #max: number;
  readonly #logger: Logger;
  // upstream error bursts: count per window, one audit event per window that crosses the threshold
  #burstWindowStart = 0;
  #burstCount = 0;
  #burstReported = false;

  constructor(logger: Logger, max = 500) {
    this.#logger = logger;
    this.#max = max;
  }

  record(kind: AuditKind, fields: Record<string, unknown> = {}): AuditEvent {
    const event: AuditEvent = { at: new Date().toISOString(), kind, ...fields };
    this.#events.push(event);
    if (this.#events.length > this.#max) this.#events.splice(0, this.#events.length - this.#max);
    this.#logger.info({ audit: event }, `audit: ${kind}`);
    return event;
  }

  /** Counts an upstream error; records one `upstream-error-burst` when 5 happen within 60 s. */
  upstreamError(kind: string, status?: number, now = Date.now()): void {
    if (now - this.#burstWindowStart > 60_000) {
      this.#burstWindowStart = now;
      this.#burstCount = 0;
      this.#burstReported = false;
    }
    this.#burstCount++;
    if (this.#burstCount >= 5 && !this.#burstReported) {
      this.#burstReported = true;
      this.record('upstream-error-burst', { errors: this.#burstCount, windowSeconds: 60, lastKind: kind, lastStatus: status });
    }
  }

  recent(limit = 100): AuditEvent[] {
    const n = Math.max(0, Math.min(limit, this.#events.length));
    return this.#events.slice(this.#events.length - n);
  }
}
