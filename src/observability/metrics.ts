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
  readonly inFlight = new Gauge({ name: 'packybridge_inflight_streams', help: 'Streams in flight', registers: [this.registry] });

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'packybridge_' });
  }
}
