// The client gate: which api-keys entry sent a request (onRequest), and, once the body is read, whether that
// key may use the model and is within its limits (preHandler). Answers 401 / 403 / 429 in the caller's shape.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Runtime } from '../runtime.ts';
import type { ClientKey } from '../config/types.ts';
import type { ClientRoute } from '../accounting/request-record.ts';
import { emitRecord } from '../relay/relay.ts';
import './client-identity.ts';
import { findClientKey, presentedKey } from './client-auth.ts';
import { mayUseModel } from '../accounting/model-access.ts';
import { hasLimits } from '../accounting/limit-windows.ts';
import { errorBodyForRoute, isOpenAIRoute } from './openai-errors.ts';
import type { AnthropicErrorType } from '../wire/anthropic-stream.ts';

const clients = new WeakMap<FastifyRequest, ClientKey>();

/** Routes that send a model upstream: these check the key's models and limits. */
const MODEL_ROUTES = new Set(['/v1/messages', '/v1/responses', '/v1/chat/completions']);
const ROUTE_NAMES: Record<string, ClientRoute> = { '/v1/messages': 'messages', '/v1/messages/count_tokens': 'count_tokens', '/v1/responses': 'responses', '/v1/chat/completions': 'chat_completions' };

function refuse(request: FastifyRequest, reply: FastifyReply, runtime: Runtime, status: number, type: AnthropicErrorType, message: string, fields: Record<string, unknown>) {
  const route = request.routeOptions.url ?? 'unmatched';
  runtime.metrics.requests.inc({ route, model: typeof fields.modelAsked === 'string' ? fields.modelAsked : 'unknown', status: String(status) });
  runtime.logger.info({ reqId: request.id, route, status, ...fields }, 'request');
  if (typeof fields.client === 'string' && ROUTE_NAMES[route]) {
    // a refusal of a known key counts in its usage (errors by kind): who hits their limits is worth seeing
    emitRecord(runtime, {
      at: Date.now(), requestId: request.id, route: ROUTE_NAMES[route], client: fields.client, modelAsked: typeof fields.modelAsked === 'string' ? fields.modelAsked : 'unknown',
      stream: false, status, errorKind: String(fields.errorKind), durationMs: 0, inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, webSearches: 0,
    });
  }
  if (status !== 429) reply.header('x-should-retry', 'false');
  return reply.code(status).send(errorBodyForRoute(route, type, message, request.id));
}

/** Authenticates a request to a client route. Resolves after answering 401 when the key is wrong, missing or expired. */
export function authenticateClient(request: FastifyRequest, reply: FastifyReply, runtime: Runtime): FastifyReply | undefined {
  const keys = runtime.snapshot.clientKeys;
  if (keys.length === 0) return undefined;
  const presented = presentedKey(request.headers);
  const client = presented ? findClientKey(presented, keys) : undefined;
  if (!client) {
    return refuse(request, reply, runtime, 401, 'authentication_error',
      presented ? 'invalid API key: the key sent (x-api-key or Authorization: Bearer) is not in packybridge\'s api-keys'
        : 'missing API key: send one of packybridge\'s api-keys as x-api-key or Authorization: Bearer ' +
          (isOpenAIRoute(request.routeOptions.url) ? '(OPENAI_API_KEY for the openai SDKs, the provider\'s env_key in the Codex CLI)' : '(ANTHROPIC_API_KEY or ANTHROPIC_AUTH_TOKEN in Claude Code)'),
      { errorKind: presented ? 'wrong-client-key' : 'missing-client-key' });
  }
  if (client.expires !== undefined && Date.now() > client.expires) {
    return refuse(request, reply, runtime, 401, 'authentication_error',
      `the client key "${client.name}" expired on ${new Date(client.expires).toISOString()}: ask the gateway's operator for a new key`,
      { client: client.name, errorKind: 'client-key-expired' });
  }
  clients.set(request, client);
  request.clientIdentity = { name: client.name, models: client.models };
  return undefined;
}

/** Installs the preHandler that checks the key's models and limits on model routes. */
export function installClientLimits(app: FastifyInstance, runtime: Runtime): void {
  app.addHook('preHandler', async (request, reply) => {
    const client = clients.get(request);
    if (!client) return;
    const route = request.routeOptions.url;
    if (route === undefined || !MODEL_ROUTES.has(route)) return;
    const body = request.body as { model?: unknown } | undefined;
    const model = body && typeof body === 'object' && typeof body.model === 'string' ? body.model : undefined;
    if (model !== undefined && !mayUseModel(client, model)) {
      return refuse(request, reply, runtime, 403, 'permission_error',
        `the client key "${client.name}" may not use model "${model}"; it may use: ${client.models!.join(', ')}`,
        { client: client.name, modelAsked: model, errorKind: 'model-not-allowed' });
    }
    if (!hasLimits(client.limits)) return;
    const d = await runtime.limiter.admit(client.name, client.limits);
    if (!d.ok) {
      reply.header('retry-after', String(d.retryAfterS));
      return refuse(request, reply, runtime, 429, 'rate_limit_error',
        `the client key "${client.name}" reached its limit of ${d.max} ${d.limit.replace(/-/g, ' ')}; retry in ${d.retryAfterS} s`,
        { client: client.name, modelAsked: model, errorKind: `client-limit:${d.limit}` });
    }
  });
}
