// Carries one /v1/messages request to Packycode and the translated reply back to the client.
// Failures before the first byte reach the client move the request to a configured fallback when one applies,
// else become a real HTTP status; after it, an `error` event.
import type { FastifyReply } from 'fastify';
import type { MessagesRequest } from '../wire/anthropic-request.ts';
import type { StreamEvent, Usage, StopReason } from '../wire/anthropic-stream.ts';
import type { ResponsesEvent } from '../wire/responses-stream.ts';
import type { ResponsesRequest } from '../wire/responses-request.ts';
import { toResponsesRequest } from '../translate/request-to-responses.ts';
import { StreamTranslator } from '../translate/stream-to-anthropic.ts';
import { MessageAggregator } from '../translate/response-to-message.ts';
import { openResponsesStream, UpstreamError } from '../upstream/responses-client.ts';
import type { Route } from '../routing/router.ts';
import type { ConfigSnapshot } from '../config/types.ts';
import type { Runtime } from '../runtime.ts';
import { SseWriter } from './sse.ts';
import { errorBody, STATUS_FOR_TYPE, type ClientError } from './errors.ts';
import { clientErrorForUpstream, contextOverflowClientError } from './upstream-failure.ts';
import { inputWindow } from '../routing/model-catalog.ts';
import type { CountTokensRequest } from '../wire/anthropic-request.ts';
import { DEFAULT_RETRY_POLICY, retryDelayMs, sleep, type RetryPolicy } from './upstream-retry.ts';
import { failoverClientError, serveFromFallbacks, type FallbackRelayResult } from './fallback-relay.ts';
import type { PackycodeFailure } from '../routing/failover.ts';
import type { RouteRefusal } from '../routing/router.ts';
import { safeguardsFor, type SafeguardHook } from '../safeguards/safeguards-for.ts';

export interface RelayOutcome {
  status: number;
  errorKind?: string;
  ttfbMs?: number;
  usage?: Usage;
  stopReason?: StopReason | null;
  clientAborted?: boolean;
  /** name of the fallback that answered instead of Packycode */
  fallback?: string;
}

/** Internal knobs; tests shorten them. pingMs: silence on a started stream before a `ping` event goes out;
 * retry: short retries before the first byte (see upstream-retry.ts). */
export const relayTuning: { pingMs: number; retry: RetryPolicy } = { pingMs: 10_000, retry: DEFAULT_RETRY_POLICY };

function upstreamFailure(e: unknown, snapshot: ConfigSnapshot): ClientError {
  if (e instanceof UpstreamError) return clientErrorForUpstream(e, snapshot.effectiveSource, snapshot.timeouts);
  return { status: 500, type: 'api_error', message: `packybridge internal error: ${(e as Error)?.message ?? String(e)}` };
}

function fallbackOutcome(r: FallbackRelayResult & { ok: true }): RelayOutcome {
  return {
    status: r.status, ttfbMs: r.ttfbMs, usage: r.usage, stopReason: r.stopReason,
    errorKind: r.errorKind, clientAborted: r.clientAborted, fallback: r.fallback,
  };
}

/** Packycode is not usable at all: the fallbacks serving `req.model` answer, else the refusal does. */
export async function relayToFallbacksOnly(
  runtime: Runtime, snapshot: ConfigSnapshot, req: MessagesRequest, refusal: RouteRefusal, reply: FastifyReply, requestId: string,
): Promise<RelayOutcome> {
  const abort = new AbortController();
  const onClose = () => { if (!reply.raw.writableFinished) abort.abort(); };
  reply.raw.on('close', onClose);
  reply.hijack();
  try {
    const fo = await serveFromFallbacks(runtime, snapshot, req.model, { kind: 'not-configured' }, reply.request.body as object, reply.request.headers, reply, requestId, abort.signal);
    if (fo.served) return fallbackOutcome(fo.result);
    if (fo.clientAborted) return { status: 499, clientAborted: true };
    const base: ClientError = { status: refusal.status, type: refusal.type, message: refusal.message, headers: fo.attempts.length ? undefined : { 'x-should-retry': 'false' } };
    sendClientError(reply, failoverClientError(base, fo.attempts), requestId);
    return { status: refusal.status, errorKind: fo.attempts.length ? 'not-configured' : undefined };
  } finally {
    reply.raw.off('close', onClose);
  }
}

function sendClientError(reply: FastifyReply, err: ClientError, requestId: string): void {
  if (reply.raw.headersSent || reply.raw.destroyed) return;
  reply.raw.writeHead(err.status, { 'content-type': 'application/json', 'request-id': requestId, ...err.headers });
  reply.raw.end(JSON.stringify(errorBody(err.type, err.message, requestId)));
}

/**
 * Relays one validated request. The client's request (often hundreds of KB parsed) is translated here, in a
 * synchronous frame, and not kept for the length of the stream: the async part holds the Responses body only
 * until the upstream accepted it, and the parsed client body (`reply.request.body`, which a failover resends)
 * only until the first byte went to the client. Hundreds of streams in flight hold kilobytes each, not the
 * whole conversation.
 */
export function relayMessages(
  runtime: Runtime,
  snapshot: ConfigSnapshot,
  req: MessagesRequest,
  route: Route,
  reply: FastifyReply,
  requestId: string,
): Promise<RelayOutcome> {
  const started = performance.now();
  const { body, toolNames } = toResponsesRequest(req, {
    upstreamModel: route.upstreamModel,
    forcedEffort: route.forcedEffort,
    defaultEffort: snapshot.packycode.defaults.modelReasoningEffort,
    supportedEfforts: route.supportedEfforts,
    store: !snapshot.packycode.privacy.disableResponseStorage,
    forwardSamplingParams: snapshot.packycode.forwardSamplingParams,
  });
  const translator = new StreamTranslator({
    model: req.model,
    originalToolName: (n: string) => toolNames.toOriginal(n),
    emitThinking: req.thinking?.type !== 'disabled',
  });
  // auto mode (safeguards): verdicts on the final message_delta / message; undefined when not asked for
  const safeguards = safeguardsFor(runtime, snapshot, req, requestId);
  const call: UpstreamCall = { body, clientModel: req.model, stream: req.stream === true, translator, started, safeguards };
  return relayTranslated(runtime, snapshot, call, route, reply, requestId);
}

/** What the async relay needs of a request; `body` is dropped once the upstream has accepted it. */
interface UpstreamCall {
  body: ResponsesRequest | null;
  clientModel: string;
  stream: boolean;
  translator: StreamTranslator;
  started: number;
  safeguards?: SafeguardHook;
}

async function relayTranslated(
  runtime: Runtime, snapshot: ConfigSnapshot, call: UpstreamCall, route: Route, reply: FastifyReply, requestId: string,
): Promise<RelayOutcome> {
  const { translator, started, clientModel } = call;
  const cacheKey = call.body?.prompt_cache_key;

  // the client going away aborts the upstream request, streaming or not
  const abort = new AbortController();
  const onClose = () => { if (!reply.raw.writableFinished) abort.abort(); };
  reply.raw.on('close', onClose);
  if (reply.raw.destroyed) abort.abort(); // gone while its body was read: do not call the upstream at all
  reply.hijack();

  const outcome: RelayOutcome = { status: 200 };
  // the one place a Packycode failure is known before the first byte: fail over, or answer the error
  const fail = async (upstreamErr: ClientError, kind: string, cause?: unknown): Promise<RelayOutcome> => {
    // [context overflow] Anthropic's "prompt is too long" (the client body is still here before the first byte)
    const count = () => (reply.request.body ? runtime.tokenCounter.count(reply.request.body as CountTokensRequest) : 0);
    const err = contextOverflowClientError(upstreamErr, cause, count, inputWindow(route.info)) ?? upstreamErr;
    runtime.counters.upstreamErrors++;
    runtime.metrics.upstreamErrors.inc({ kind });
    runtime.audit.upstreamError(kind, err.status);
    const failure: PackycodeFailure = cause instanceof UpstreamError
      ? { kind: cause.kind, status: cause.status ?? err.status, code: cause.upstreamCode }
      : { kind, status: err.status };
    const fo = await serveFromFallbacks(runtime, snapshot, clientModel, failure, reply.request.body as object, reply.request.headers, reply, requestId, abort.signal);
    if (fo.served) return fallbackOutcome(fo.result);
    if (fo.clientAborted) return { status: 499, clientAborted: true };
    sendClientError(reply, failoverClientError(err, fo.attempts), requestId);
    return { ...outcome, status: err.status, errorKind: kind };
  };

  let upstream;
  for (let attempt = 1; ; attempt++) {
    try {
      upstream = await openResponsesStream({
        target: { baseUrl: route.baseUrl, apiKey: route.apiKey },
        body: call.body!,
        signal: abort.signal,
        timeouts: snapshot.timeouts,
        headers: cacheKey ? { session_id: cacheKey } : undefined,
      });
      break;
    } catch (e) {
      if (abort.signal.aborted) { reply.raw.off('close', onClose); return { status: 499, clientAborted: true }; }
      const delay = e instanceof UpstreamError ? retryDelayMs(e, attempt, relayTuning.retry) : null;
      if (delay !== null) {
        runtime.metrics.upstreamErrors.inc({ kind: `${(e as UpstreamError).kind}-retried` });
        runtime.logger.info({ reqId: requestId, kind: (e as UpstreamError).kind, status: (e as UpstreamError).status, attempt, delayMs: delay }, 'upstream retry');
        if (await sleep(delay, abort.signal)) continue;
        reply.raw.off('close', onClose);
        return { status: 499, clientAborted: true };
      }
      try {
        const err = upstreamFailure(e, snapshot);
        // the gateway already retried what a short retry could fix: the client shows the error now instead of
        // retrying silently for minutes (Claude Code and the Anthropic SDKs honour x-should-retry)
        err.headers = { ...err.headers, 'x-should-retry': 'false' };
        if (attempt > 1) err.message += ` (packybridge tried ${attempt} times)`;
        return await fail(err, e instanceof UpstreamError ? e.kind : 'internal', e);
      } finally {
        reply.raw.off('close', onClose);
      }
    }
  }

  call.body = null; // accepted upstream: a retry or failover will not need it again
  const model = route.upstreamModel;
  runtime.metrics.inFlight.inc();
  try {
    return call.stream
      ? await streamReply(runtime, translator, upstream.batches, reply, requestId, snapshot, abort, started, model, fail, call.safeguards)
      : await aggregateReply(runtime, translator, upstream.batches, reply, requestId, snapshot, abort, started, model, fail, call.safeguards);
  } finally {
    runtime.metrics.inFlight.dec();
    runtime.metrics.upstreamLatency.observe({ model }, (performance.now() - started) / 1000);
    reply.raw.off('close', onClose);
  }
}

type Fail = (err: ClientError, kind: string, cause?: unknown) => Promise<RelayOutcome>;

function failedError(t: StreamTranslator): ClientError {
  const f = t.failed!;
  return { status: STATUS_FOR_TYPE[f.type] ?? 502, type: f.type, message: f.message };
}

async function streamReply(
  runtime: Runtime, translator: StreamTranslator, batches: AsyncIterable<ResponsesEvent[]>, reply: FastifyReply,
  requestId: string, snapshot: ConfigSnapshot, abort: AbortController, started: number, model: string, fail: Fail,
  safeguards?: SafeguardHook,
): Promise<RelayOutcome> {
  const sse = new SseWriter(reply.raw);
  let pending: StreamEvent[] = [];
  let ttfbMs: number | undefined;
  const commit = () => {
    if (sse.started) return;
    sse.start({ 'request-id': requestId });
    // from here on no failover can resend the client's body: let the parsed request go (see relayMessages)
    (reply.request as { body: unknown }).body = undefined;
    const batch = pending;
    pending = [];
    sse.write(batch);
  };
  sse.keepAlive(relayTuning.pingMs, commit);
  // a failover takes the response over: stop the pings (and their commit) first; `await` keeps `finally` after it
  const failEarly: Fail = (err, kind, cause) => { sse.stopKeepAlive(); return fail(err, kind, cause); };
  try {
    for await (const batch of batches) {
      if (ttfbMs === undefined) {
        ttfbMs = performance.now() - started;
        runtime.metrics.upstreamTtfb.observe({ model }, ttfbMs / 1000);
      }
      if (!sse.started) {
        // before the first content block nothing is sent: a failure can still become a real HTTP status
        if (safeguards) await passHeld(safeguards, translator, batch, pending); // [safeguards]
        else for (let i = 0; i < batch.length; i++) translator.push(batch[i], pending);
        if (translator.failed && !translator.hasOutput) return await failEarly(failedError(translator), 'stream-error');
        if (translator.hasOutput) commit();
        continue;
      }
      const out: StreamEvent[] = [];
      for (let i = 0; i < batch.length; i++) translator.push(batch[i], out);
      const judged = safeguards?.pass(out); // [safeguards] verdicts onto the final message_delta
      if (judged) await judged;
      if (out.length > 0) {
        // a socket closed while we waited for it to drain never drains nor closes again: stop here
        if (reply.raw.destroyed) return { status: 499, ttfbMs, clientAborted: true, usage: translator.usage };
        const wait = sse.write(out);
        if (wait) await wait;
      }
    }
    const tail = translator.end();
    const judged = safeguards?.pass(tail); // [safeguards]
    if (judged) await judged;
    if (!sse.started) {
      if (translator.failed) return await failEarly(failedError(translator), 'stream-error');
      for (const ev of tail) pending.push(ev);
      commit();
    } else {
      sse.write(tail);
    }
    if (translator.failed) {
      runtime.counters.upstreamErrors++;
      runtime.metrics.upstreamErrors.inc({ kind: 'stream-error' });
      runtime.audit.upstreamError('stream-error');
    }
    return { status: 200, ttfbMs, usage: translator.usage, stopReason: translator.stopReason, errorKind: translator.failed ? 'stream-error' : undefined };
  } catch (e) {
    if (abort.signal.aborted) return { status: 499, ttfbMs, clientAborted: true, usage: translator.usage };
    const err = upstreamFailure(e, snapshot);
    const kind = e instanceof UpstreamError ? e.kind : 'internal';
    if (!sse.started) return await failEarly(err, kind, e);
    runtime.counters.upstreamErrors++;
    runtime.metrics.upstreamErrors.inc({ kind });
    runtime.audit.upstreamError(kind);
    sse.write([{ type: 'error', error: { type: err.type, message: err.message } }]);
    return { status: 200, ttfbMs, errorKind: kind, usage: translator.usage };
  } finally {
    sse.end();
  }
}

/** [safeguards] Translates a batch while the stream is held: the events join `pending` (which a keep-alive ping
 * may commit) only once their verdicts are on them. */
async function passHeld(safeguards: SafeguardHook, translator: StreamTranslator, batch: ResponsesEvent[], pending: StreamEvent[]): Promise<void> {
  const fresh: StreamEvent[] = [];
  for (let i = 0; i < batch.length; i++) translator.push(batch[i], fresh);
  const judged = safeguards.pass(fresh);
  if (judged) await judged;
  for (const ev of fresh) pending.push(ev);
}

async function aggregateReply(
  runtime: Runtime, translator: StreamTranslator, batches: AsyncIterable<ResponsesEvent[]>, reply: FastifyReply,
  requestId: string, snapshot: ConfigSnapshot, abort: AbortController, started: number, model: string, fail: Fail,
  safeguards?: SafeguardHook,
): Promise<RelayOutcome> {
  const aggregator = new MessageAggregator();
  let ttfbMs: number | undefined;
  try {
    for await (const batch of batches) {
      if (ttfbMs === undefined) {
        ttfbMs = performance.now() - started;
        runtime.metrics.upstreamTtfb.observe({ model }, ttfbMs / 1000);
      }
      const out: StreamEvent[] = [];
      for (let i = 0; i < batch.length; i++) translator.push(batch[i], out);
      aggregator.add(out);
    }
    aggregator.add(translator.end());
  } catch (e) {
    if (abort.signal.aborted) return { status: 499, ttfbMs, clientAborted: true };
    return await fail(upstreamFailure(e, snapshot), e instanceof UpstreamError ? e.kind : 'internal', e);
  }
  if (translator.failed) return await fail(failedError(translator), 'stream-error');
  if (reply.raw.destroyed) return { status: 499, ttfbMs, clientAborted: true };
  const { message, error } = aggregator.outcome();
  if (!message) {
    const err = error ?? { type: 'api_error' as const, message: 'the upstream reply could not be assembled' };
    return await fail({ status: STATUS_FOR_TYPE[err.type] ?? 502, type: err.type, message: err.message }, 'assembly');
  }
  const answer = safeguards ? await safeguards.forMessage(message) : message; // [safeguards] verdicts on the message
  if (reply.raw.destroyed) return { status: 499, ttfbMs, clientAborted: true };
  reply.raw.writeHead(200, { 'content-type': 'application/json', 'request-id': requestId });
  reply.raw.end(JSON.stringify(answer));
  return { status: 200, ttfbMs, usage: translator.usage, stopReason: translator.stopReason };
}
