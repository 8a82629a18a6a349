// Usage accounting off the hot path: each finished request is added to an in-memory row for its day, client,
// models and provider (a Map lookup and a few additions), and the rows are written in one transaction every
// flushMs (or sooner when many accumulate). A failed write keeps the rows for the next try: nothing is lost
// while the process lives; close() writes what is left.
import type { RequestObserver, RequestRecord } from './request-record.ts';
import type { ModelPrice } from '../config/types.ts';
import type { UsageDelta, UsageKey, UsageQuery, UsageRow } from '../state/sqlite-usage-store.ts';
import { costOf, priceOf } from './prices.ts';
import type { Metrics } from '../observability/metrics.ts';

/** Where usage rows are written and read: the SQLite store, or a shared backend. */
export interface UsageBackend {
  add(deltas: Iterable<UsageDelta>): void | Promise<void>;
  query(q: UsageQuery): UsageRow[] | Promise<UsageRow[]>;
  prune(day: string): number | Promise<number>;
  close(): void | Promise<void>;
}

export interface UsageRecorderOptions {
  flushMs?: number;
  maxPending?: number;
  prices: () => Record<string, ModelPrice>;
  onError?: (e: Error) => void;
  /** the same figures as Prometheus counters by client name */
  metrics?: Metrics;
}

const rowId = (k: UsageKey): string => `${k.day}\u0000${k.client}\u0000${k.modelAsked}\u0000${k.modelUsed}\u0000${k.provider}`;

export const dayOf = (at: number): string => new Date(at).toISOString().slice(0, 10);

export class UsageRecorder implements RequestObserver {
  #backend: UsageBackend;
  readonly #pending = new Map<string, UsageDelta>();
  readonly #opts: UsageRecorderOptions & Required<Pick<UsageRecorderOptions, 'flushMs' | 'maxPending' | 'onError'>>;
  readonly #timer: NodeJS.Timeout;
  #flushing: Promise<void> | null = null;

  constructor(backend: UsageBackend, opts: UsageRecorderOptions) {
    this.#backend = backend;
    // `?? default` per option, not a spread: an option passed as undefined (startAccounting passes its own
    // optional flushMs through) would otherwise replace the default, and setInterval(fn, undefined) runs every
    // millisecond (one SQLite transaction per request, and a timer waking the process a thousand times a second)
    this.#opts = { ...opts, flushMs: opts.flushMs ?? 1000, maxPending: opts.maxPending ?? 1000, onError: opts.onError ?? (() => {}) };
    this.#timer = setInterval(() => { void this.flush(); }, this.#opts.flushMs);
    this.#timer.unref();
  }

  get backend(): UsageBackend {
    return this.#backend;
  }

  record(r: RequestRecord): void {
    const key: UsageKey = {
      day: dayOf(r.at), client: r.client, modelAsked: r.modelAsked, modelUsed: r.modelUsed ?? '', provider: r.provider ?? '',
    };
    const id = rowId(key);
    let d = this.#pending.get(id);
    if (!d) {
      d = { ...key, requests: 0, inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, webSearches: 0, errors: 0, costUsd: 0, errorKinds: {} };
      this.#pending.set(id, d);
    }
    const cost = r.inputTokens + r.cachedInputTokens + r.outputTokens > 0 ? costOf(r, priceOf(r.modelUsed ?? r.modelAsked, this.#opts.prices())) : 0;
    d.requests++;
    d.inputTokens += r.inputTokens;
    d.cachedInputTokens += r.cachedInputTokens;
    d.outputTokens += r.outputTokens;
    d.webSearches += r.webSearches;
    d.costUsd += cost;
    if (r.errorKind !== undefined) {
      d.errors++;
      d.errorKinds[r.errorKind] = (d.errorKinds[r.errorKind] ?? 0) + 1;
    }
    const m = this.#opts.metrics;
    if (m) {
      m.clientRequests.inc({ client: r.client, outcome: r.errorKind === undefined ? 'ok' : 'error' });
      if (r.inputTokens) m.clientTokens.inc({ client: r.client, kind: 'input' }, r.inputTokens);
      if (r.cachedInputTokens) m.clientTokens.inc({ client: r.client, kind: 'cached_input' }, r.cachedInputTokens);
      if (r.outputTokens) m.clientTokens.inc({ client: r.client, kind: 'output' }, r.outputTokens);
      if (cost) m.clientCost.inc({ client: r.client }, cost);
      if (r.webSearches) m.clientWebSearches.inc({ client: r.client }, r.webSearches);
      if (r.errorKind !== undefined) m.clientErrors.inc({ client: r.client, kind: r.errorKind });
    }
    if (this.#pending.size >= this.#opts.maxPending) void this.flush();
  }

  /** Writes the pending rows; resolves when they are written (or kept for the next try after a failure). */
  flush(): Promise<void> {
    if (this.#flushing) return this.#flushing.then(() => (this.#pending.size ? this.flush() : undefined));
    if (this.#pending.size === 0) return Promise.resolve();
    const batch = [...this.#pending.values()];
    this.#pending.clear();
    this.#flushing = (async () => {
      try {
        await this.#backend.add(batch);
      } catch (e) {
        for (const d of batch) this.#merge(d); // back into pending, added to what came meanwhile
        this.#opts.onError(e as Error);
      } finally {
        this.#flushing = null;
      }
    })();
    return this.#flushing;
  }

  #merge(d: UsageDelta): void {
    const id = rowId(d);
    const cur = this.#pending.get(id);
    if (!cur) { this.#pending.set(id, d); return; }
    cur.requests += d.requests; cur.inputTokens += d.inputTokens; cur.cachedInputTokens += d.cachedInputTokens;
    cur.outputTokens += d.outputTokens; cur.webSearches += d.webSearches; cur.errors += d.errors; cur.costUsd += d.costUsd;
    for (const [k, n] of Object.entries(d.errorKinds)) cur.errorKinds[k] = (cur.errorKinds[k] ?? 0) + n;
  }

  /** Pending rows are written first, so a query sees every request that finished before it. */
  async query(q: UsageQuery): Promise<UsageRow[]> {
    await this.flush();
    return this.#backend.query(q);
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
    await this.#backend.close();
  }
}
