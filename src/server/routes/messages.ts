// POST /v1/messages (also ?beta=true): validate, route, relay; one metadata-only log line per request.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Runtime } from '../../runtime.ts';
import { validateMessagesRequest } from '../../wire/anthropic-validate.ts';
import { isRefusal, resolveRoute } from '../../routing/router.ts';
import { relayMessages, relayToFallbacksOnly, type RelayOutcome } from '../messages-relay.ts';
import { errorBody, textBodyProblem } from '../errors.ts';
import { clientOf } from '../client-gate.ts';

export function messagesRoutes(app: FastifyInstance, runtime: Runtime): void {
  // Not an async function: it validates and routes synchronously and returns the relay's promise, so no frame
  // of this handler holds the parsed request for the length of the stream (see relayMessages).
  app.post('/v1/messages', (request, reply) => {
    const started = performance.now();
    const snapshot = runtime.snapshot; // this request keeps the configuration it started with
    const client = clientOf(request).name;
    runtime.counters.requests++;
    const textBody = textBodyProblem(request.body, request.headers['content-type']);
    const v = textBody === undefined ? validateMessagesRequest(request.body) : { ok: false as const, message: textBody };
    if (!v.ok) {
      finish(runtime, client, request.id, { status: 400 }, started, undefined, undefined, false);
      return reply.code(400).header('x-should-retry', 'false').send(errorBody('invalid_request_error', v.message, request.id));
    }
    const model = v.value.model;
    const stream = v.value.stream === true;
    const requestId = request.id;
    const route = resolveRoute(snapshot, runtime.registry, model);
    if (isRefusal(route)) {
      if (snapshot.fallbacks.length > 0 && !runtime.packycodeUsable(snapshot)) {
        return relayToFallbacksOnly(runtime, snapshot, v.value, route, reply as FastifyReply, requestId).then((outcome) => {
          finish(runtime, client, requestId, outcome, started, model, model, stream, outcome.fallback ? `fallback:${outcome.fallback}` : undefined);
        });
      }
      finish(runtime, client, requestId, { status: route.status }, started, model, undefined, stream);
      return reply.code(route.status).header('x-should-retry', 'false').send(errorBody(route.type, route.message, requestId));
    }
    const { upstreamModel, via } = route;
    return relayMessages(runtime, snapshot, v.value, route, reply as FastifyReply, requestId).then((outcome) => {
      if (outcome.fallback) finish(runtime, client, requestId, outcome, started, model, model, stream, `fallback:${outcome.fallback}`);
      else finish(runtime, client, requestId, outcome, started, model, upstreamModel, stream, via);
    });
  });
}

function finish(
  runtime: Runtime, client: string, requestId: string, o: RelayOutcome, started: number,
  modelAsked: string | undefined, modelUsed: string | undefined, stream: boolean, via?: string,
): void {
  const totalMs = performance.now() - started;
  const served = o.status < 400 || o.usage !== undefined;
  runtime.recordRequest({
    at: Date.now(),
    requestId,
    route: 'messages',
    client,
    modelAsked: modelAsked ?? 'unknown',
    modelUsed: served ? modelUsed : undefined,
    provider: served ? (o.fallback ? `fallback:${o.fallback}` : 'packycode') : undefined,
    stream,
    status: o.status,
    errorKind: o.errorKind ?? (o.status >= 400 ? `http-${o.status}` : undefined),
    durationMs: totalMs,
    ttfbMs: o.ttfbMs,
    inputTokens: o.usage?.input_tokens ?? 0,
    cachedInputTokens: o.usage?.cache_read_input_tokens ?? 0,
    outputTokens: o.usage?.output_tokens ?? 0,
    webSearches: 0,
  });
  runtime.metrics.requests.inc({ route: '/v1/messages', model: modelAsked ?? 'unknown', status: String(o.status) });
  if (o.usage && modelUsed) {
    runtime.metrics.tokens.inc({ direction: 'in', model: modelUsed }, (o.usage.input_tokens ?? 0) + (o.usage.cache_read_input_tokens ?? 0));
    runtime.metrics.tokens.inc({ direction: 'out', model: modelUsed }, o.usage.output_tokens ?? 0);
  }
  runtime.logger.info({
    reqId: requestId,
    route: '/v1/messages',
    client,
    modelAsked,
    modelUsed,
    via,
    stream,
    status: o.status,
    errorKind: o.errorKind,
    clientAborted: o.clientAborted || undefined,
    ttfbMs: o.ttfbMs !== undefined ? Math.round(o.ttfbMs) : undefined,
    totalMs: Math.round(totalMs),
    inputTokens: o.usage?.input_tokens,
    cachedTokens: o.usage?.cache_read_input_tokens,
    outputTokens: o.usage?.output_tokens,
    stopReason: o.stopReason ?? undefined,
  }, 'request');
}
