// POST /v1/messages (also ?beta=true): validate, list the candidates, relay; one metadata-only log line and one
// accounting record per request.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Runtime } from '../../runtime.ts';
import { validateMessagesRequest } from '../../wire/anthropic-validate.ts';
import { candidatesFor } from '../../routing/candidates.ts';
import { emitRecord, relay, type RelayContext, type RelayOutcome } from '../../relay/relay.ts';
import { messagesProtocol } from '../../relay/messages-protocol.ts';
import { clientIdentityOf } from '../client-identity.ts';
import { errorBody, textBodyProblem } from '../errors.ts';

interface Finished extends Partial<RelayOutcome> {
  status: number;
}

export function messagesRoutes(app: FastifyInstance, runtime: Runtime): void {
  // Not an async function: it validates and routes synchronously and returns the relay's promise, so no frame
  // of this handler holds the parsed request for the length of the stream (the relay drops it at the commit).
  app.post('/v1/messages', (request, reply) => {
    const started = performance.now();
    const snapshot = runtime.snapshot; // this request keeps the configuration it started with
    runtime.counters.requests++;
    const textBody = textBodyProblem(request.body, request.headers['content-type']);
    const v = textBody === undefined ? validateMessagesRequest(request.body) : { ok: false as const, message: textBody };
    if (!v.ok) {
      finish(runtime, request, { status: 400, errorKind: 'invalid-request' }, started, undefined, false);
      return reply.code(400).header('x-should-retry', 'false').send(errorBody('invalid_request_error', v.message, request.id));
    }
    const model = v.value.model;
    const stream = v.value.stream === true;
    const plan = candidatesFor(snapshot, runtime.registry, model);
    if (plan.candidates.length === 0 && plan.refusal) {
      const r = plan.refusal;
      finish(runtime, request, { status: r.status, errorKind: 'not-configured' }, started, model, stream);
      return reply.code(r.status).header('x-should-retry', 'false').send(errorBody(r.type, r.message, request.id));
    }
    const ctx: RelayContext = {
      requestId: request.id, route: 'messages', runtime, snapshot, reply: reply as FastifyReply, res: reply.raw,
      abort: new AbortController(), started, stream, modelAsked: model, client: clientIdentityOf(request),
      body: v.value, committed: false,
    };
    return relay(ctx, messagesProtocol, plan).then((outcome) => finish(runtime, request, outcome, started, model, stream));
  });
}

function finish(runtime: Runtime, request: FastifyRequest, o: Finished, started: number, modelAsked: string | undefined, stream: boolean): void {
  const totalMs = performance.now() - started;
  const c = o.candidate;
  const modelUsed = c ? (c.fallbackName ? modelAsked : c.upstreamModel) : undefined;
  const via = c ? (c.fallbackName ? `fallback:${c.fallbackName}` : c.provider === 'packycode' ? c.route?.via : `provider:${c.provider}`) : undefined;
  runtime.metrics.requests.inc({ route: '/v1/messages', model: modelAsked ?? 'unknown', status: String(o.status) });
  const u = o.usage;
  if (u && modelUsed) {
    runtime.metrics.tokens.inc({ direction: 'in', model: modelUsed }, (u.input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0));
    runtime.metrics.tokens.inc({ direction: 'out', model: modelUsed }, u.output_tokens ?? 0);
  }
  runtime.logger.info({
    reqId: request.id,
    route: '/v1/messages',
    modelAsked,
    modelUsed,
    via,
    provider: c?.provider,
    stream,
    status: o.status,
    errorKind: o.errorKind,
    clientAborted: o.clientAborted || undefined,
    ttfbMs: o.ttfbMs !== undefined ? Math.round(o.ttfbMs) : undefined,
    totalMs: Math.round(totalMs),
    inputTokens: u?.input_tokens,
    cachedTokens: u?.cache_read_input_tokens,
    outputTokens: u?.output_tokens,
    stopReason: o.stopReason ?? undefined,
  }, 'request');
  emitRecord(runtime, {
    at: Date.now(),
    requestId: request.id,
    route: 'messages',
    client: clientIdentityOf(request).name,
    modelAsked: modelAsked ?? '',
    ...(modelUsed && o.status < 400 ? { modelUsed } : {}),
    ...(c && o.status < 400 ? { provider: c.provider } : {}),
    stream,
    status: o.status,
    ...(o.errorKind ? { errorKind: o.errorKind } : {}),
    durationMs: totalMs,
    ...(o.ttfbMs !== undefined ? { ttfbMs: o.ttfbMs } : {}),
    inputTokens: u?.input_tokens ?? 0,
    cachedInputTokens: u?.cache_read_input_tokens ?? 0,
    outputTokens: u?.output_tokens ?? 0,
    webSearches: (u as { server_tool_use?: { web_search_requests?: number } } | undefined)?.server_tool_use?.web_search_requests ?? 0,
  });
}
