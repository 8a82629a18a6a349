// POST /v1/messages (also ?beta=true): validate, list the candidates, relay; one metadata-only log line and one
// accounting record per request.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Runtime } from '../../runtime.ts';
import { validateMessagesRequest } from '../../wire/anthropic-validate.ts';
import { tailOf } from '../json-body.ts';
import { webSearchProblem } from '../../translate/web-search.ts';
import { candidatesFor, type Candidate, type CandidateList } from '../../routing/candidates.ts';
import { sessionOf } from '../../routing/session.ts';
import { emitRecord, relay, type RelayContext, type RelayOutcome } from '../../relay/relay.ts';
import { messagesProtocol } from '../../relay/messages-protocol.ts';
import { clientIdentityOf } from '../client-identity.ts';
import { errorBody, textBodyProblem, type ClientError } from '../errors.ts';
import { capForLog } from '../../observability/logger.ts';

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
    const validated = textBody === undefined ? validateMessagesRequest(request.body, tailOf(request.body)) : { ok: false as const, message: textBody };
    // a request the upstream cannot honour as asked (web search blocked_domains) is refused, not quietly changed
    const unservable = validated.ok ? webSearchProblem(validated.value.tools) : undefined;
    const v = unservable === undefined ? validated : { ok: false as const, message: unservable };
    if (!v.ok) {
      finish(runtime, request, { status: 400, errorKind: 'invalid-request' }, started, undefined, false);
      return reply.code(400).header('x-should-retry', 'false').send(errorBody('invalid_request_error', v.message, request.id));
    }
    const model = v.value.model;
    const stream = v.value.stream === true;
    const sessionId = sessionOf(request.headers, v.value.metadata);
    const plan = candidatesFor(snapshot, runtime.registry, model, {
      state: runtime.routingState, rotation: runtime.keyRotation, ...(sessionId ? { sessionId } : {}),
    });
    if (plan.candidates.length === 0 && plan.resting) {
      const err = restingError(runtime, model, plan.resting);
      finish(runtime, request, { status: err.status, errorKind: 'all-cooling-down' }, started, model, stream);
      return reply.code(err.status).headers(err.headers ?? {}).send(errorBody(err.type, err.message, request.id));
    }
    if (plan.candidates.length === 0 && plan.refusal) {
      const r = plan.refusal;
      finish(runtime, request, { status: r.status, errorKind: 'not-configured' }, started, model, stream);
      return reply.code(r.status).header('x-should-retry', 'false').send(errorBody(r.type, r.message, request.id));
    }
    const ctx: RelayContext = {
      requestId: request.id, route: 'messages', runtime, snapshot, reply: reply as FastifyReply, res: reply.raw,
      abort: new AbortController(), started, stream, modelAsked: model, client: clientIdentityOf(request),
      body: v.value, committed: false, ...(sessionId ? { sessionId } : {}),
    };
    return relay(ctx, messagesProtocol, plan).then((outcome) => finish(runtime, request, outcome, started, model, stream));
  });
}

/**
 * Every upstream that could serve rests after failures. Keys the upstream rejected: 401 naming the setting to
 * fix; else 429 with retry-after = the soonest recovery.
 */
export function restingError(runtime: Runtime, model: string, resting: NonNullable<CandidateList['resting']>): ClientError {
  const health = runtime.credentialHealth.view();
  const rejected = resting.candidates.filter((r) => health.get(r.candidate.keyId)?.state === 'rejected');
  const who = (r: { candidate: Candidate; until: number }) => `${r.candidate.label.name} key ${r.candidate.keyMask} until ${new Date(r.until).toISOString()}`;
  if (rejected.length === resting.candidates.length) {
    const fix = [...new Set(rejected.map((r) => r.candidate.label.keyPath))].join(', ');
    return {
      status: 401, type: 'authentication_error', headers: { 'x-should-retry': 'false' },
      message: `packybridge: the upstream rejected every key that serves ${model} (${rejected.map(who).join('; ')}). Fix ${fix}; a changed key is used at once.`,
    };
  }
  const seconds = Math.max(1, Math.ceil((resting.until - Date.now()) / 1000));
  return {
    status: 429, type: 'rate_limit_error', headers: { 'retry-after': String(seconds) },
    message: `packybridge: every upstream that serves ${model} is resting after failures (${resting.candidates.map(who).join('; ')}); retry after ${seconds} s. ` +
      'GET /v0/management/status shows each key and its last error.',
  };
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
    client: clientIdentityOf(request).name,
    modelAsked: capForLog(modelAsked),
    modelUsed: capForLog(modelUsed),
    via: capForLog(via),
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
