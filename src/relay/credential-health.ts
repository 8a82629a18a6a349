// What one attempt's outcome means for the credential that served it: counted, logged (metadata only), and
// remembered in the RoutingState so the next requests route around a resting key.
import type { UpstreamError } from '../upstream/upstream-error.ts';
import type { Candidate } from '../routing/candidates.ts';
import type { Disposition } from './failures.ts';
import type { RelayContext } from './relay.ts';

export function noteFailure(ctx: RelayContext, c: Candidate, e: UpstreamError, d: Disposition): void {
  const { runtime } = ctx;
  const kind = c.fallbackName ? `fallback-${e.kind}` : e.kind;
  runtime.counters.upstreamErrors++;
  runtime.metrics.upstreamErrors.inc({ kind });
  runtime.audit.upstreamError(kind, e.status);
  runtime.logger.warn({
    reqId: ctx.requestId, provider: c.provider, key: c.keyMask, disposition: d, kind: e.kind, status: e.status,
    code: e.upstreamCode, upstreamRequestId: e.requestId,
  }, 'upstream attempt failed');
}

export function noteSuccess(_ctx: RelayContext, _c: Candidate): void {
  // cooldowns and affinity: see routing-state
}
