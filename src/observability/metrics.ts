// Prometheus metrics (prom-client), one registry per gateway instance.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];

export class Metrics {
  readonly registry = new Registry();
  readonly requests = new Counter({ name: 'packybridge_requests_total', help: 'Requests by route, model and status', labelNames: ['route', 'model', 'status'] as const, registers: [this.registry] });
  readonly upstreamLatency = new Histogram({ name: 'packybridge_upstream_duration_seconds', help: 'Upstream request duration, start to last event', labelNames: ['model'] as const, buckets: LATENCY_BUCKETS, registers: [this.registry] });
  readonly upstreamTtfb = new Histogram({ name: 'packybridge_upstream_ttfb_seconds', help: 'Time from request to the first upstream event', labelNames: ['model'] as const, buckets: LATENCY_BUCKETS, registers: [this.registry] });
  readonly upstreamErrors = new Counter({ name: 'packybridge_upstream_errors_total', help: 'Upstream errors by kind', labelNames: ['kind'] as const, registers: [this.registry] });
  readonly failovers = new Counter({ name: 'packybridge_failovers_total', help: 'Requests moved to a fallback provider', labelNames: ['to'] as const, registers: [this.registry] });
  readonly tokens = new Counter({ name: 'packybridge_tokens_total', help: 'Tokens in and out', labelNames: ['direction', 'model'] as const, registers: [this.registry] });
  // by client key name: names come from api-keys (a known set) plus "anonymous"
  readonly clientRequests = new Counter({ name: 'packybridge_client_requests_total', help: 'Requests by client key name and outcome (ok or error)', labelNames: ['client', 'outcome'] as const, registers: [this.registry] });
  readonly clientTokens = new Counter({ name: 'packybridge_client_tokens_total', help: 'Tokens by client key name and kind (input = uncached input, cached_input, output)', labelNames: ['client', 'kind'] as const, registers: [this.registry] });
  readonly clientCost = new Counter({ name: 'packybridge_client_cost_usd_total', help: 'Estimated cost in US dollars by client key name (usage.prices, else the built-in price table)', labelNames: ['client'] as const, registers: [this.registry] });
  readonly clientErrors = new Counter({ name: 'packybridge_client_errors_total', help: 'Failed requests by client key name and error kind', labelNames: ['client', 'kind'] as const, registers: [this.registry] });
  readonly clientWebSearches = new Counter({ name: 'packybridge_client_web_searches_total', help: 'Web searches by client key name', labelNames: ['client'] as const, registers: [this.registry] });
  readonly inFlight = new Gauge({ name: 'packybridge_inflight_streams', help: 'Streams in flight', registers: [this.registry] });

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'packybridge_' });
  }
}
