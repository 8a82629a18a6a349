// Prometheus metrics (prom-client), one registry per gateway instance.
// Every label that could carry a client's string is bounded: `model` keeps only known model names (the
// catalog's, the registered ones and the configured ones, see Runtime.registerModels), a Claude family
// (claude-opus, claude-sonnet, claude-haiku) or "other"; `status` only HTTP status codes. A label added later
// for client names takes a KnownLabelValues of its own (`labelBounds.client`, filled by whoever knows them).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CounterConfiguration, HistogramConfiguration, IncreaseDataWithExemplar, LabelValues, ObserveDataWithExemplar } from 'prom-client';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];

/** Keeps one label to a known set of values; anything else becomes a family name (when `family` gives one) or "other". */
export class KnownLabelValues {
  #known: ReadonlySet<string> = new Set();
  readonly #family: ((value: string) => string | undefined) | undefined;
  readonly #fixed: ReadonlySet<string>;

  constructor(opts: { fixed?: Iterable<string>; family?: (value: string) => string | undefined } = {}) {
    this.#fixed = new Set(opts.fixed ?? []);
    this.#family = opts.family;
  }

  /** Replaces the known values (on start-up and every reload). */
  setKnown(values: Iterable<string>): void {
    this.#known = new Set(values);
  }

  has(value: string): boolean {
    return this.#known.has(value) || this.#fixed.has(value);
  }

  label(value: string | number | undefined): string {
    if (value === undefined) return 'unknown';
    const v = String(value);
    if (this.has(v)) return v;
    return this.#family?.(v) ?? 'other';
  }
}

/** claude-opus-4-8, claude-3-5-sonnet-latest, sonnet -> their family; anything else undefined. */
export function claudeFamily(model: string): string | undefined {
  if (model.length > 256) return undefined;
  const m = /(opus|sonnet|haiku)/i.exec(model);
  if (m && (/^claude/i.test(model) || /^(opus|sonnet|haiku)(\[1m\])?$/i.test(model))) return `claude-${m[1].toLowerCase()}`;
  return undefined;
}

const HTTP_STATUS = /^[1-5]\d\d$/;

type Bounds = Partial<Record<string, KnownLabelValues | ((value: string | number) => string)>>;

function bounded<T extends string>(labels: LabelValues<T>, bounds: Bounds): LabelValues<T> {
  const out: Record<string, string | number | undefined> = { ...labels };
  for (const name of Object.keys(out)) {
    const b = bounds[name];
    if (b === undefined) continue;
    const v = out[name];
    out[name] = typeof b === 'function' ? (v === undefined ? undefined : b(v)) : b.label(v);
  }
  return out as LabelValues<T>;
}

function withExemplar(v: object): v is { labels?: LabelValues<string> } {
  return 'exemplarLabels' in v;
}

// prom-client sets `inc` / `observe` on the instance in its constructor, so they are wrapped there, not overridden.

/** A Counter whose label values pass through `bounds` first. */
class BoundedCounter<T extends string> extends Counter<T> {
  constructor(config: CounterConfiguration<T>, bounds: Bounds) {
    super(config);
    const inc = this.inc.bind(this) as (a?: unknown, b?: number) => void;
    this.inc = ((labels?: LabelValues<T> | number | IncreaseDataWithExemplar<T>, value?: number) => {
      if (typeof labels !== 'object' || labels === null) return inc(labels);
      if (withExemplar(labels)) return inc({ ...labels, labels: bounded(labels.labels ?? {}, bounds) });
      inc(bounded(labels, bounds), value);
    }) as Counter<T>['inc'];
  }
}

/** A Histogram whose label values pass through `bounds` first. */
class BoundedHistogram<T extends string> extends Histogram<T> {
  constructor(config: HistogramConfiguration<T>, bounds: Bounds) {
    super(config);
    const observe = this.observe.bind(this) as (a: unknown, b?: number) => void;
    this.observe = ((labels: LabelValues<T> | number | ObserveDataWithExemplar<T>, value?: number) => {
      if (typeof labels !== 'object' || labels === null) return observe(labels);
      if (withExemplar(labels)) return observe({ ...labels, labels: bounded(labels.labels ?? {}, bounds) });
      observe(bounded(labels, bounds), value);
    }) as Histogram<T>['observe'];
  }
}

export class Metrics {
  readonly registry = new Registry();
  /** the known values of bounded labels; Runtime keeps `model` current, `client` is for client names */
  readonly labelBounds = {
    model: new KnownLabelValues({ fixed: ['unknown'], family: claudeFamily }),
    client: new KnownLabelValues({ fixed: ['unknown', 'anonymous'] }),
  };
  readonly #modelBounds: Bounds = { model: this.labelBounds.model, status: (v) => (HTTP_STATUS.test(String(v)) ? String(v) : 'other') };
  readonly requests = new BoundedCounter({ name: 'packybridge_requests_total', help: 'Requests by route, model and status', labelNames: ['route', 'model', 'status'] as const, registers: [this.registry] }, this.#modelBounds);
  readonly upstreamLatency = new BoundedHistogram({ name: 'packybridge_upstream_duration_seconds', help: 'Upstream request duration, start to last event', labelNames: ['model'] as const, buckets: LATENCY_BUCKETS, registers: [this.registry] }, this.#modelBounds);
  readonly upstreamTtfb = new BoundedHistogram({ name: 'packybridge_upstream_ttfb_seconds', help: 'Time from request to the first upstream event', labelNames: ['model'] as const, buckets: LATENCY_BUCKETS, registers: [this.registry] }, this.#modelBounds);
  readonly upstreamErrors = new Counter({ name: 'packybridge_upstream_errors_total', help: 'Upstream errors by kind', labelNames: ['kind'] as const, registers: [this.registry] });
  readonly failovers = new Counter({ name: 'packybridge_failovers_total', help: 'Requests moved to a fallback provider', labelNames: ['to'] as const, registers: [this.registry] });
  readonly tokens = new BoundedCounter({ name: 'packybridge_tokens_total', help: 'Tokens in and out', labelNames: ['direction', 'model'] as const, registers: [this.registry] }, this.#modelBounds);
  // by client key name: names come from api-keys (a known set) plus "anonymous"
  readonly clientRequests = new BoundedCounter({ name: 'packybridge_client_requests_total', help: 'Requests by client key name and outcome (ok or error)', labelNames: ['client', 'outcome'] as const, registers: [this.registry] }, { client: this.labelBounds.client });
  readonly clientTokens = new BoundedCounter({ name: 'packybridge_client_tokens_total', help: 'Tokens by client key name and kind (input = uncached input, cached_input, output)', labelNames: ['client', 'kind'] as const, registers: [this.registry] }, { client: this.labelBounds.client });
  readonly clientCost = new BoundedCounter({ name: 'packybridge_client_cost_usd_total', help: 'Estimated cost in US dollars by client key name (usage.prices, else the built-in price table)', labelNames: ['client'] as const, registers: [this.registry] }, { client: this.labelBounds.client });
  readonly clientErrors = new BoundedCounter({ name: 'packybridge_client_errors_total', help: 'Failed requests by client key name and error kind', labelNames: ['client', 'kind'] as const, registers: [this.registry] }, { client: this.labelBounds.client });
  readonly clientWebSearches = new BoundedCounter({ name: 'packybridge_client_web_searches_total', help: 'Web searches by client key name', labelNames: ['client'] as const, registers: [this.registry] }, { client: this.labelBounds.client });
  readonly inFlight = new Gauge({ name: 'packybridge_inflight_streams', help: 'Streams in flight', registers: [this.registry] });
  readonly parkedConnections = new Counter({ name: 'packybridge_parked_connections_total', help: 'Connections whose next request waited in the kernel while the event loop was saturated (limits.saturation-queue-at)', registers: [this.registry] });
  readonly #caches = new Map<string, () => object>();
  readonly requestCaches = new Gauge({
    name: 'packybridge_request_cache', labelNames: ['cache', 'figure'] as const, registers: [this.registry],
    help: 'In-memory caches of the request path, by cache (repeated_tail: the parsed system, tools and settings a client repeats every turn, and the messages it repeats; tool_conversion: converted tool sets; message_items: repeated messages translated once, hits and misses counted per message) and figure (entries, hits, misses, learned, bytes, chars; heads, headBytes, headHits: previous heads kept for their messages, their bytes, and how often they were shared)',
    collect: () => {
      for (const [cache, stats] of this.#caches) {
        for (const [figure, v] of Object.entries(stats())) if (typeof v === 'number') this.requestCaches.set({ cache, figure }, v);
      }
    },
  });

  /** Reports a cache's figures (numbers only: counts and sizes, never content) under packybridge_request_cache. */
  watchCache(name: string, stats: () => object): void {
    this.#caches.set(name, stats);
  }

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'packybridge_' });
  }
}
