// POST /v1/responses (the Responses API passed through) and POST /v1/chat/completions (translated to
// Responses and back): validate, list the candidates as /v1/messages does (Responses upstreams only), relay,
// account. Errors in OpenAI's shape. Each route only says how to build its upstream body and its reply; the
// relay loop (relay/relay.ts) does the rest.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import type { Runtime } from '../../runtime.ts';
import type { ClientRoute } from '../../accounting/request-record.ts';
import { candidatesFor, type Candidate } from '../../routing/candidates.ts';
import { relay, type RelayContext } from '../../relay/relay.ts';
import { openaiProtocol, type OpenAIRouteSpec } from '../../relay/openai-protocol.ts';
import { chatReply, responsesReply } from '../../relay/openai-replies.ts';
import { validateChatRequest, validateResponsesRequest, paramOf, type ResponsesPassthroughRequest } from '../../wire/openai-validate.ts';
import type { ChatCompletionRequest } from '../../wire/openai-chat.ts';
import type { Validation } from '../../wire/anthropic-validate.ts';
import { chatToResponses, ChatTranslationError } from '../../translate/chat-to-responses.ts';
import { passthroughRequest } from '../../translate/responses-passthrough.ts';
import { textBodyProblem, type ClientError } from '../errors.ts';
import { toOpenAIError } from '../openai-errors.ts';
import { clientIdentityOf } from '../client-identity.ts';
import { openaiSessionOf } from '../../routing/session.ts';
import { restingError } from './messages.ts';
import { finishOpenAIRequest, type OpenAIRequestFacts } from '../openai-accounting.ts';

interface EntryPoint<Req extends { model: string; stream?: boolean | null }> {
  route: ClientRoute;
  validate(body: unknown): Validation<Req>;
  /** a request the translation cannot carry, found before any upstream is called: [message, param] */
  check?(req: Req, first: Candidate, ctx: RelayContext): [string, string] | undefined;
  /** request fields accepted but not carried upstream */
  ignored?(req: Req): string[];
  spec: OpenAIRouteSpec;
}

function store(ctx: RelayContext): boolean {
  return !ctx.snapshot.packycode.privacy.disableResponseStorage;
}

const RESPONSES: EntryPoint<ResponsesPassthroughRequest> = {
  route: 'responses',
  validate: validateResponsesRequest,
  spec: {
    body: (ctx, c) => passthroughRequest(ctx.body as ResponsesPassthroughRequest, {
      upstreamModel: c.upstreamModel, forcedEffort: c.route?.forcedEffort, supportedEfforts: c.route?.supportedEfforts, store: store(ctx),
      ...(c.dropReasoning ? { dropReasoning: true } : {}),
    }),
    reply: (ctx) => responsesReply(ctx.modelAsked),
    keepsEchoedRequest: true,
  },
};

function chatBody(ctx: RelayContext, c: Candidate) {
  const p = ctx.snapshot.packycode;
  return chatToResponses(ctx.body as ChatCompletionRequest, {
    upstreamModel: c.upstreamModel,
    forcedEffort: c.route?.forcedEffort,
    defaultEffort: p.defaults.modelReasoningEffort,
    supportedEfforts: c.route?.supportedEfforts,
    store: store(ctx),
    forwardSamplingParams: p.forwardSamplingParams,
  });
}

const CHAT: EntryPoint<ChatCompletionRequest> = {
  route: 'chat_completions',
  validate: validateChatRequest,
  check(_req, first, ctx) {
    try {
      chatBody(ctx, first);
      return undefined;
    } catch (e) {
      if (e instanceof ChatTranslationError) return [e.message, e.param];
      throw e;
    }
  },
  ignored: (req) => (req.stop !== undefined && req.stop !== null ? ['stop'] : []),
  spec: {
    body: chatBody,
    reply: (ctx) => {
      const req = ctx.body as ChatCompletionRequest | undefined;
      return chatReply({
        id: `chatcmpl-${randomBytes(12).toString('hex')}`,
        model: ctx.modelAsked,
        created: Math.floor(Date.now() / 1000),
        includeUsage: ctx.stream && req?.stream_options?.include_usage === true,
      });
    },
  },
};

function reject(reply: FastifyReply, requestId: string, err: ClientError, param: string | null = null): FastifyReply {
  const e = toOpenAIError(err, undefined, param);
  return reply.code(e.status).header('x-should-retry', 'false').header('x-request-id', requestId).send(e.body);
}

function serve<Req extends { model: string; stream?: boolean | null }>(
  runtime: Runtime, entry: EntryPoint<Req>, protocol: ReturnType<typeof openaiProtocol>, request: FastifyRequest, reply: FastifyReply,
): Promise<void> | FastifyReply {
  const snapshot = runtime.snapshot; // this request keeps the configuration it started with
  runtime.counters.requests++;
  const client = clientIdentityOf(request);
  const facts: OpenAIRequestFacts = { route: entry.route, requestId: request.id, client: client.name, started: performance.now(), stream: false };
  const bad = (message: string, param: string | null): FastifyReply => {
    finishOpenAIRequest(runtime, facts, { status: 400, errorKind: 'invalid-request' });
    return reject(reply, request.id, { status: 400, type: 'invalid_request_error', message }, param);
  };
  const textBody = textBodyProblem(request.body, request.headers['content-type']);
  if (textBody !== undefined) return bad(textBody, null);
  const v = entry.validate(request.body);
  if (!v.ok) return bad(v.message, paramOf(v.message));
  const model = v.value.model;
  const stream = v.value.stream === true;
  facts.modelAsked = model;
  facts.stream = stream;

  // Anthropic-compatible upstreams (fallbacks, claude-api-key) speak another protocol: only Responses ones serve here
  const sessionId = openaiSessionOf(request.headers, (v.value as { prompt_cache_key?: unknown }).prompt_cache_key);
  const listed = candidatesFor(snapshot, runtime.registry, model, {
    state: runtime.routingState, rotation: runtime.keyRotation, ...(sessionId ? { sessionId } : {}),
  });
  const plan = { ...listed, candidates: listed.candidates.filter((c) => c.protocol === 'responses') };
  const resting = listed.resting?.candidates.filter((r) => r.candidate.protocol === 'responses') ?? [];
  if (plan.candidates.length === 0 && resting.length > 0) {
    const err = restingError(runtime, model, { until: Math.min(...resting.map((r) => r.until)), candidates: resting });
    finishOpenAIRequest(runtime, facts, { status: toOpenAIError(err).status, errorKind: 'all-cooling-down' });
    const e = toOpenAIError(err);
    return reply.code(e.status).headers({ ...e.headers, 'x-request-id': request.id }).send(e.body);
  }
  if (plan.candidates.length === 0) {
    const r = plan.refusal ?? { status: 503, type: 'api_error' as const, message: 'packybridge: no Responses upstream can serve this request' };
    finishOpenAIRequest(runtime, facts, { status: r.status, errorKind: 'not-configured' });
    return reject(reply, request.id, { status: r.status, type: r.type, message: r.message });
  }
  const ctx: RelayContext = {
    requestId: request.id, route: entry.route, runtime, snapshot, reply, res: reply.raw,
    abort: new AbortController(), started: facts.started, stream, modelAsked: model, client,
    body: v.value, committed: false, ...(sessionId ? { sessionId } : {}),
  };
  const problem = entry.check?.(v.value, plan.candidates[0], ctx);
  if (problem) return bad(problem[0], problem[1]);
  const ignored = entry.ignored?.(v.value);
  if (ignored?.length) facts.ignored = ignored;
  return relay(ctx, protocol, plan).then((outcome) => {
    // the relay reports statuses in its own (Anthropic) terms; the client got OpenAI's (529 -> 503, quota 429)
    const sent = reply.raw.headersSent && !outcome.clientAborted ? reply.raw.statusCode : outcome.status;
    finishOpenAIRequest(runtime, facts, { ...outcome, status: sent });
  });
}

export function openaiRoutes(app: FastifyInstance, runtime: Runtime): void {
  const responses = openaiProtocol(RESPONSES.spec);
  const chat = openaiProtocol(CHAT.spec);
  // Not async handlers: they validate and route synchronously and return the relay's promise (see messages.ts).
  app.post('/v1/responses', (request, reply) => serve(runtime, RESPONSES, responses, request, reply));
  app.post('/v1/chat/completions', (request, reply) => serve(runtime, CHAT, chat, request, reply));
}
