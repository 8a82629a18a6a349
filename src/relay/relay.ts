// The one relay loop: try the request's candidates in order until one has put its first byte on the wire to the
// client. Before that byte every failure can still move the request (or become a real HTTP status); after it,
// a failure ends the reply in the client protocol's own way. What the client speaks is a ClientProtocol
// (relay/protocol.ts); what the loop keeps per request is one RelayContext.
import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { ConfigSnapshot } from '../config/types.ts';
import type { Runtime } from '../runtime.ts';
import type { ClientError } from '../server/errors.ts';
import type { ClientIdentity, ClientRoute, RequestRecord } from '../accounting/request-record.ts';
import type { Usage, StopReason } from '../wire/anthropic-stream.ts';
import { UpstreamError } from '../upstream/upstream-error.ts';
import type { Candidate } from '../routing/candidates.ts';
import { classify, isReasoningRejection, movesOn, retryDelayMs, sleep, DEFAULT_RETRY_POLICY, type Disposition, type RetryPolicy } from './failures.ts';
import { reasoningRefusedId } from '../routing/candidates.ts';
import { describeAttempt, withFailoverAttempts } from './anthropic-errors.ts';
import type { ClientProtocol, Exchange } from './protocol.ts';
import { noteFailure, noteSuccess } from './credential-health.ts';
import { TurnWrites } from '../server/turn-writes.ts';

/** Internal knobs; tests shorten them. pingMs: silence on a stream before a keep-alive goes out (a stream not
 * yet started is started first, with its opening event); retry: short retries of the last candidate. */
export const relayTuning: { pingMs: number; retry: RetryPolicy } = { pingMs: 10_000, retry: DEFAULT_RETRY_POLICY };

/** Everything the relay keeps for one client request. */
export interface RelayContext {
  readonly requestId: string;
  readonly route: ClientRoute;
  readonly runtime: Runtime;
  /** the configuration this request started with */
  readonly snapshot: ConfigSnapshot;
  readonly reply: FastifyReply;
  readonly res: ServerResponse;
  /** fires when the client goes away; every upstream call of this request listens to it */
  readonly abort: AbortController;
  /** performance.now() when the request arrived */
  readonly started: number;
  readonly stream: boolean;
  readonly modelAsked: string;
  readonly client: ClientIdentity;
  /** the session this request belongs to (affinity), when the client named one */
  readonly sessionId?: string;
  /** the client's parsed request; dropped once the first byte went out (no candidate needs it after) */
  body: unknown;
  /** set once the reply's status line went out */
  committed: boolean;
  ttfbMs?: number;
  /** the candidate now being tried (then: the one that served) */
  candidate?: Candidate;
}

export interface RelayOutcome {
  status: number;
  errorKind?: string;
  ttfbMs?: number;
  usage?: Usage;
  stopReason?: StopReason | null;
  clientAborted?: boolean;
  /** the candidate that served (or failed last) */
  candidate?: Candidate;
  /** how many candidates were tried */
  tried: number;
}

export interface RelayPlan {
  candidates: Candidate[];
  /** why the first choice (Packycode) could not even be tried, when it could not: the base of the error */
  refusal?: ClientError;
}

type AttemptResult = { served: RelayOutcome } | { failed: UpstreamError };

function asUpstreamError(e: unknown, c: Candidate): UpstreamError {
  if (e instanceof UpstreamError) return e;
  return new UpstreamError('internal', `packybridge internal error: ${(e as Error)?.message ?? String(e)}`, { url: c.baseUrl, cause: e });
}

/** Runs the plan; writes the reply (success or error) and returns what happened. Never throws. */
export async function relay(ctx: RelayContext, protocol: ClientProtocol, plan: RelayPlan): Promise<RelayOutcome> {
  const { res, abort } = ctx;
  const onClose = (): void => { if (!res.writableFinished) abort.abort(); };
  res.on('close', onClose);
  if (res.destroyed) abort.abort(); // gone while its body was read: call no upstream at all
  ctx.reply.hijack();
  const failures: Array<{ candidate: Candidate; error: UpstreamError; tries: number }> = [];
  let lastDisposition: Disposition | undefined;
  try {
    const { candidates } = plan;
    for (let i = 0; i < candidates.length; i++) {
      let c = candidates[i];
      ctx.candidate = c;
      const moved = i > 0 || plan.refusal !== undefined;
      if (moved) {
        ctx.runtime.counters.failovers++;
        ctx.runtime.metrics.failovers.inc({ to: c.provider });
      }
      let error: UpstreamError;
      let tries = 0;
      for (;;) {
        tries++;
        const r = await attempt(ctx, protocol, c);
        if ('served' in r) {
          noteSuccess(ctx, c);
          if (moved) ctx.runtime.logger.info({ reqId: ctx.requestId, provider: c.provider, status: r.served.status, ttfbMs: r.served.ttfbMs !== undefined ? Math.round(r.served.ttfbMs) : undefined }, 'served by failover');
          return { ...r.served, tried: i + 1 };
        }
        error = r.failed;
        if (error.kind === 'aborted' || abort.signal.aborted) return { status: 499, clientAborted: true, candidate: c, tried: i + 1 };
        if (c.protocol === 'responses' && !c.dropReasoning && isReasoningRejection(error)) {
          // once, on the same candidate, without the reasoning items; remembered for the session and this key
          c = { ...c, dropReasoning: true };
          ctx.candidate = c;
          rememberReasoningRefused(ctx, c);
          ctx.runtime.metrics.upstreamErrors.inc({ kind: 'reasoning-refused-retried' });
          ctx.runtime.logger.info({ reqId: ctx.requestId, provider: c.provider, key: c.keyMask }, 'upstream refused earlier reasoning: retrying without it');
          tries--;
          continue;
        }
        lastDisposition = classify(error);
        noteFailure(ctx, c, error, lastDisposition);
        // a short retry of the same candidate only when no other is left to take the request
        const last = i === candidates.length - 1 || !movesOn(lastDisposition);
        const delay = last ? retryDelayMs(error, tries, relayTuning.retry) : null;
        if (delay === null) break;
        ctx.runtime.metrics.upstreamErrors.inc({ kind: `${error.kind}-retried` });
        ctx.runtime.logger.info({ reqId: ctx.requestId, provider: c.provider, kind: error.kind, status: error.status, attempt: tries, delayMs: delay }, 'upstream retry');
        if (!(await sleep(delay, abort.signal))) return { status: 499, clientAborted: true, candidate: c, tried: i + 1 };
      }
      failures.push({ candidate: c, error, tries });
      if (!movesOn(lastDisposition)) break;
    }
    return sendFailure(ctx, protocol, plan, failures);
  } finally {
    res.off('close', onClose);
  }
}

function rememberReasoningRefused(ctx: RelayContext, c: Candidate): void {
  const ttl = ctx.snapshot.routing?.sessionAffinityTtlMs || 6 * 60 * 60 * 1000;
  if (ctx.sessionId) ctx.runtime.routingState.setCooldown(reasoningRefusedId(ctx.sessionId, c.keyId), Date.now() + ttl, 'reasoning-refused');
}

/** Nothing was written: the first failure's error (or the refusal), naming every other attempt. */
function sendFailure(
  ctx: RelayContext, protocol: ClientProtocol, plan: RelayPlan,
  failures: Array<{ candidate: Candidate; error: UpstreamError; tries: number }>,
): RelayOutcome {
  let base: ClientError;
  let rest = failures;
  if (plan.refusal) {
    base = { ...plan.refusal, headers: failures.length ? plan.refusal.headers : { ...plan.refusal.headers, 'x-should-retry': 'false' } };
  } else if (failures.length > 0) {
    const [first] = failures;
    rest = failures.slice(1);
    base = protocol.clientError(ctx, first.candidate, first.error);
    // the gateway already retried what a short retry could fix: the client shows the error now instead of
    // retrying silently for minutes (Claude Code and the Anthropic SDKs honour x-should-retry)
    base.headers = { ...base.headers, 'x-should-retry': 'false' };
    if (first.tries > 1) base.message += ` (packybridge tried ${first.tries} times)`;
  } else {
    base = { status: 503, type: 'api_error', message: 'packybridge: no upstream can serve this request', headers: { 'x-should-retry': 'false' } };
  }
  const err = withFailoverAttempts(base, rest.map((f) => describeAttempt(f.candidate.label, f.error)));
  protocol.sendError(ctx, err);
  const last = failures.at(-1);
  return {
    status: err.status, candidate: last?.candidate, tried: failures.length,
    errorKind: last ? last.error.kind : plan.refusal ? 'not-configured' : undefined,
  };
}

/** One try of one candidate, within the upstream's concurrency limit (limits.max-concurrent-per-upstream). */
async function attempt(ctx: RelayContext, protocol: ClientProtocol, c: Candidate): Promise<AttemptResult> {
  if (c.maxConcurrent <= 0) return attemptNow(ctx, protocol, c);
  const slots = ctx.runtime.inFlightByUpstream;
  const busy = slots.get(c.baseUrl) ?? 0;
  if (busy >= c.maxConcurrent) {
    return {
      failed: new UpstreamError('http', `packybridge already has ${busy} requests in flight to ${c.baseUrl}, its limit (limits.max-concurrent-per-upstream or max-concurrent-requests)`, {
        url: c.baseUrl, status: 529, upstreamCode: 'overloaded_error', upstreamMessage: `${busy} requests in flight, the configured limit`, local: true,
      }),
    };
  }
  slots.set(c.baseUrl, busy + 1);
  try {
    return await attemptNow(ctx, protocol, c);
  } finally {
    const left = (slots.get(c.baseUrl) ?? 1) - 1;
    if (left <= 0) slots.delete(c.baseUrl);
    else slots.set(c.baseUrl, left);
  }
}

/** One try of one candidate: served (the reply went out, whole or broken off) or failed before any byte. */
async function attemptNow(ctx: RelayContext, protocol: ClientProtocol, c: Candidate): Promise<AttemptResult> {
  let ex: Exchange;
  try {
    ex = await protocol.open(ctx, c);
  } catch (e) {
    return { failed: asUpstreamError(e, c) };
  }
  const runtime = ctx.runtime;
  const res = ctx.res;
  const attemptStarted = performance.now();
  let lastWriteAt = Date.now();
  let ended = false;
  let held: Array<string | Buffer> = [];

  const commit = (): void => {
    if (ctx.committed) return;
    ctx.committed = true;
    const head = ex.head();
    res.writeHead(head.status, { 'request-id': ctx.requestId, ...head.headers });
    // no candidate will need the client's request again: let it go (see README, "keeps no request")
    ctx.body = undefined;
    (ctx.reply.request as { body: unknown }).body = undefined;
    const out = held;
    held = [];
    for (const piece of out) if (piece.length > 0) res.write(piece);
    // Node holds a tick's writes together until the tick ends (it corks the socket at the first): the opening
    // and the first text leave now, not after the rest of their upstream chunk has been translated too
    res.socket?.uncork();
    lastWriteAt = Date.now();
  };

  // keep-alive: a stream not yet started is started with its opening event (never a bare ping first)
  const keepAlive = ex.keepAliveFrame;
  const pingMs = relayTuning.pingMs;
  const timer = keepAlive === null ? undefined : setInterval(() => {
    if (res.destroyed || res.writableEnded || Date.now() - lastWriteAt < pingMs) return;
    if (!ctx.committed) {
      const opening = ex.startEarly();
      if (opening === null) return;
      held.push(opening);
      commit();
    }
    res.write(keepAlive);
    lastWriteAt = Date.now();
  }, Math.max(50, Math.floor(pingMs / 2)));
  timer?.unref();

  runtime.metrics.inFlight.inc();
  try {
    // hold the output until it is safe to commit: until then a failure moves on
    try {
      while (!ctx.committed) {
        const piece = await ex.next();
        if (ctx.ttfbMs === undefined) {
          ctx.ttfbMs = performance.now() - ctx.started;
          runtime.metrics.upstreamTtfb.observe({ model: c.upstreamModel }, (performance.now() - attemptStarted) / 1000);
        }
        if (piece === null) { ended = true; break; }
        if (ctx.committed) { if (piece.length > 0) res.write(piece); lastWriteAt = Date.now(); break; }
        held.push(piece);
        if (ex.ready) break;
      }
    } catch (e) {
      if (!ctx.committed) {
        ex.close();
        return { failed: asUpstreamError(e, c) };
      }
      return { served: brokenOff(ctx, protocol, ex, c, asUpstreamError(e, c)) };
    }
    commit();
    // after the opening: what one turn's reads bring leaves in one socket write
    const turn = new TurnWrites(res);
    try {
      while (!ended && !ex.finished) {
        const piece = await ex.next();
        if (piece === null) break;
        if (piece.length === 0) continue;
        // a socket closed while we waited for it to drain never drains nor closes again: stop here
        if (res.destroyed) { ex.close(); return { served: { ...ex.outcome(), status: 499, ttfbMs: ctx.ttfbMs, clientAborted: true, candidate: c, tried: 0 } }; }
        lastWriteAt = Date.now();
        // the reply's last piece ends the response in the same write (no write of its own for the end of the body)
        if (ex.finished) turn.end(piece);
        else if (!turn.write(piece)) await drained(res);
      }
    } catch (e) {
      turn.flush();
      return { served: brokenOff(ctx, protocol, ex, c, asUpstreamError(e, c)) };
    }
    // The reply is whole: it is recorded now, and the upstream is read to its end apart, so that its connection
    // goes back to the pool. What the upstream does after its last event (its body left open past idle-ms, a
    // reset) is not a failure of this request.
    if (!ended && ex.finished) void readToEnd(ex);
    turn.end();
    const o = ex.outcome();
    if (o.errorKind) countError(ctx, c, o.errorKind);
    return { served: { ...o, ttfbMs: ctx.ttfbMs, candidate: c, tried: 0 } };
  } finally {
    if (timer) clearInterval(timer);
    runtime.metrics.inFlight.dec();
    runtime.metrics.upstreamLatency.observe({ model: c.upstreamModel }, (performance.now() - attemptStarted) / 1000);
  }
}

/** Reads an exchange whose reply is whole to the upstream's end, writing nothing; a failure only closes it. */
async function readToEnd(ex: Exchange): Promise<void> {
  try {
    while ((await ex.next()) !== null) { /* after the last event: nothing to write */ }
  } catch {
    ex.close();
  }
}

/** A failure after the first byte: the client keeps what it got and learns why the rest is missing. */
function brokenOff(ctx: RelayContext, protocol: ClientProtocol, ex: Exchange, c: Candidate, e: UpstreamError): RelayOutcome {
  ex.close();
  const o = ex.outcome();
  if (e.kind === 'aborted' || ctx.res.destroyed || ctx.abort.signal.aborted) {
    return { ...o, status: 499, ttfbMs: ctx.ttfbMs, clientAborted: true, candidate: c, tried: 0 };
  }
  countError(ctx, c, e.kind);
  const err = protocol.clientError(ctx, c, e);
  const frame = ex.failFrame(e, err);
  if (frame === null) ctx.res.destroy(); // a cut-off body is the honest signal when no error frame fits
  else if (!ctx.res.writableEnded) ctx.res.end(frame);
  return { ...o, status: o.status, errorKind: e.kind, ttfbMs: ctx.ttfbMs, candidate: c, tried: 0 };
}

function countError(ctx: RelayContext, c: Candidate, kind: string): void {
  const label = c.fallbackName ? `fallback-${kind}` : kind;
  ctx.runtime.counters.upstreamErrors++;
  ctx.runtime.metrics.upstreamErrors.inc({ kind: label });
  ctx.runtime.audit.upstreamError(label);
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => { res.off('drain', done); res.off('close', done); resolve(); };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** The accounting record of one finished client request (metadata only), handed to every observer. */
export function emitRecord(runtime: Runtime, r: RequestRecord): void {
  for (const o of runtime.observers) {
    try {
      o.record(r);
    } catch (e) {
      runtime.logger.warn({ reqId: r.requestId, err: { message: (e as Error)?.message } }, 'request observer failed');
    }
  }
}
