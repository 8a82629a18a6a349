// The idle timeout of an upstream reply body (timeouts.idle-ms), for every upstream client: idle time counts
// from the last event that carries content or progress, as the client judges it (`progress()`); bytes alone
// (SSE comments, pings, unknown events, a trickle that never completes an event) do not keep a request open.
import type { Readable } from 'node:stream';
import type { PostReply } from './http.ts';
import { UpstreamError } from './upstream-error.ts';

/**
 * Ends the body when `progress()` was not called for `idleMs` (one timer, re-armed lazily: no work per chunk).
 * `stalled` tells the reader why its read failed; `error()` is the idle-timeout error to throw then.
 */
export class IdleWatch {
  #last = performance.now();
  #timer: NodeJS.Timeout | undefined;
  #events = 0;
  stalled = false;
  readonly idleMs: number;
  readonly #body: Readable;

  constructor(body: Readable, idleMs: number) {
    this.#body = body;
    this.idleMs = idleMs;
    this.#arm(idleMs);
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(() => this.#check(), ms);
    this.#timer.unref();
  }

  #check(): void {
    const quiet = performance.now() - this.#last;
    if (quiet < this.idleMs) { this.#arm(this.idleMs - quiet + 1); return; }
    this.stalled = true;
    this.#body.destroy(new Error('idle'));
  }

  /** an event with content or progress arrived */
  progress(): void {
    this.#last = performance.now();
    this.#events++;
  }

  /** The idle-timeout error, worded by whether any event had come. */
  error(reply: PostReply): UpstreamError {
    const where = this.#events === 0 ? 'after its response headers, before any event' : 'between two events';
    return new UpstreamError('idle-timeout', `upstream ${reply.url} sent nothing that moved the response on for ${this.idleMs} ms ${where} (timeouts.idle-ms)`, {
      url: reply.url, waitedMs: this.idleMs, ...(reply.requestId ? { requestId: reply.requestId } : {}),
    });
  }

  stop(): void {
    clearTimeout(this.#timer);
  }
}
