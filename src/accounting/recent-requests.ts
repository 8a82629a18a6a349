// The last requests' metadata (never a prompt, a reply or a key), for the management API and the panel.
import type { RequestObserver, RequestRecord } from './request-record.ts';

export class RecentRequests implements RequestObserver {
  readonly #ring: RequestRecord[] = [];
  readonly #max: number;
  #next = 0;

  constructor(max = 200) {
    this.#max = max;
  }

  record(r: RequestRecord): void {
    if (this.#ring.length < this.#max) this.#ring.push(r);
    else this.#ring[this.#next] = r;
    this.#next = (this.#next + 1) % this.#max;
  }

  /** Newest first. */
  list(limit = 50): RequestRecord[] {
    const n = this.#ring.length;
    const out: RequestRecord[] = [];
    for (let i = 1; i <= Math.min(limit, n); i++) out.push(this.#ring[(this.#next - i + n) % n]);
    return out;
  }
}
