// POST /v1/responses (the Responses API passed through) and POST /v1/chat/completions (translated to
// Responses and back): validate, route the model as /v1/messages does, relay, account. Errors in OpenAI's
// shape. Each route only prepares its upstream body and its client protocol; the rest is one path.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import type { Runtime } from '../../runtime.ts';
import type { ConfigSnapshot } from '../../config/types.ts';
import type { ClientRoute } from '../../accounting/request-record.ts';
import { isRefusal, resolveRoute, type Route } from '../../routing/router.ts';
import { validateChatRequest, validateResponsesRequest, paramOf } from '../../wire/openai-validate.ts';
import type { ChatCompletionRequest } from '../../wire/openai-chat.ts';
import { chatToResponses, ChatTranslationError } from '../../translate/chat-to-responses.ts';
import { passthroughRequest } from '../../translate/responses-passthrough.ts';
import { textBodyProblem, type ClientError } from '../errors.ts';
import { toOpenAIError } from '../openai-errors.ts';
import { relayOpenAI, type ClientProtocol } from '../openai-relay.ts';
import { chatProtocol, responsesProtocol } from '../openai-protocols.ts';
import { clientName, finishOpenAIRequest, type OpenAIRequestFacts } from '../openai-accounting.ts';

/** What a route hands the common path: the upstream body and the protocol, or a 400. */
type Prepared =
  | { ok: true; body: object; protocol: ClientProtocol<unknown>; stream: boolean; ignored?: string[] }
  | { ok: false; message: string; param: string | null };

interface EntryPoint {
  route: ClientRoute;
  validate(body: unknown): { ok: true; value: { model: string; stream?: boolean | null } } | { ok: false; message: string };
  prepare(value: never, route: Route, snapshot: ConfigSnapshot): Prepared;
}

function reject(reply: FastifyReply, requestId: string, err: ClientError, param: string | null = null): void {
  const e = toOpenAIError(err, undefined, param);
  reply.code(e.status).header('x-should-retry', 'false').header('x-request-id', requestId).send(e.body);
}

const RESPONSES: EntryPoint = {
  route: 'responses',
  validate: validateResponsesRequest,
  prepare(value: Record<string, unknown> & { model: string; stream?: boolean | null }, route, snapshot) {
    const body = passthroughRequest(value, {
      upstreamModel: route.upstreamModel,
      forcedEffort: route.forcedEffort,
      supportedEfforts: route.supportedEfforts,
      store: !snapshot.packycode.privacy.disableResponseStorage,
    });
    return { ok: true, body, protocol: responsesProtocol(value.model) as ClientProtocol<unknown>, stream: value.stream === true };
  },
};

const CHAT: EntryPoint = {
  route: 'chat_completions',
  validate: validateChatRequest,
  prepare(value: ChatCompletionRequest, route, snapshot) {
    let body;
    try {
      body = chatToResponses(value, {
        upstreamModel: route.upstreamModel,
        forcedEffort: route.forcedEffort,
        defaultEffort: snapshot.packycode.defaults.modelReasoningEffort,
        supportedEfforts: route.supportedEfforts,
        store: !snapshot.packycode.privacy.disableResponseStorage,
        forwardSamplingParams: snapshot.packycode.forwardSamplingParams,
      });
    } catch (e) {
      if (e instanceof ChatTranslationError) return { ok: false, message: e.message, param: e.param };
      throw e;
    }
    const stream = value.stream === true;
    const protocol = chatProtocol({
      id: `chatcmpl-${randomBytes(12).toString('hex')}`,
      model: value.model,
      created: Math.floor(Date.now() / 1000),
      includeUsage: stream && value.stream_options?.include_usage === true,
    });
    const ignored = value.stop !== undefined && value.stop !== null ? ['stop'] : undefined;
    return { ok: true, body, protocol: protocol as ClientProtocol<unknown>, stream, ...(ignored ? { ignored } : {}) };
  },
};

function serve(runtime: Runtime, entry: EntryPoint, request: FastifyRequest, reply: FastifyReply): Promise<void> | FastifyReply {
  const snapshot = runtime.snapshot; // this request keeps the configuration it started with
  runtime.counters.requests++;
  const facts: OpenAIRequestFacts = { route: entry.route, requestId: request.id, client: clientName(snapshot, request), started: performance.now(), stream: false };
  const bad = (message: string, param: string | null) => {
    finishOpenAIRequest(runtime, facts, { status: 400 });
    reject(reply, request.id, { status: 400, type: 'invalid_request_error', message }, param);
    return reply;
  };
  const textBody = textBodyProblem(request.body, request.headers['content-type']);
  if (textBody !== undefined) return bad(textBody, null);
  const v = entry.validate(request.body);
  if (!v.ok) return bad(v.message, paramOf(v.message));
  facts.modelAsked = v.value.model;
  facts.stream = v.value.stream === true;

  const route = resolveRoute(snapshot, runtime.registry, v.value.model);
  if (isRefusal(route)) {
    finishOpenAIRequest(runtime, facts, { status: route.status, errorKind: 'not-configured' });
    reject(reply, request.id, { status: route.status, type: route.type, message: route.message });
    return reply;
  }
  const p = entry.prepare(v.value as never, route, snapshot);
  if (!p.ok) return bad(p.message, p.param);
  facts.modelUsed = route.upstreamModel;
  facts.via = route.via;
  if (p.ignored) facts.ignored = p.ignored;
  return relayOpenAI(runtime, snapshot, route, p.body, p.protocol, p.stream, reply, request.id).then((outcome) => {
    finishOpenAIRequest(runtime, facts, outcome);
  });
}

export function openaiRoutes(app: FastifyInstance, runtime: Runtime): void {
  // Not async handlers: they validate and route synchronously and return the relay's promise (see messages.ts).
  app.post('/v1/responses', (request, reply) => serve(runtime, RESPONSES, request, reply));
  app.post('/v1/chat/completions', (request, reply) => serve(runtime, CHAT, request, reply));
}
