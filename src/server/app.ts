// Builds the fastify app: request ids, client auth, Claude-shaped errors, the routes.
import Fastify, { type FastifyInstance, type FastifyError } from 'fastify';
import { randomBytes } from 'node:crypto';
import type { Runtime } from '../runtime.ts';
import type { ConfigController } from '../config-controller.ts';
import { errorBody } from './errors.ts';
import { errorBodyForRoute, isOpenAIRoute } from './openai-errors.ts';
import { keyMatches, presentedKey } from './client-auth.ts';
import { messagesRoutes } from './routes/messages.ts';
import { countTokensRoutes } from './routes/count-tokens.ts';
import { modelsRoutes } from './routes/models.ts';
import { healthRoutes } from './routes/health.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { managementRoutes } from './routes/management.ts';
import { openaiRoutes } from './routes/openai.ts';

export interface AppOptions {
  bodyLimitBytes?: number;
  /** applies management writes at once (absent in route-only tests: management answers 503) */
  controller?: ConfigController;
}

export function newRequestId(): string {
  return `req_${randomBytes(12).toString('hex')}`;
}

/** Routes anyone may call: health probes (Claude Code sends HEAD / first); /metrics and /v0/management have their own guard. */
function isPublicRoute(route: string): boolean {
  return route === '/' || route === '/healthz' || route === '/metrics' || route.startsWith('/v0/');
}

/** A 400 naming where and why the body is not JSON. */
function jsonBodyError(body: string): Error & { statusCode: number } {
  let message: string;
  try {
    JSON.parse(body);
    message = 'the request body contains a forbidden key (__proto__ or constructor.prototype)';
  } catch (e) {
    message = `the request body is not valid JSON: ${(e as Error).message}`;
  }
  return Object.assign(new Error(message), { statusCode: 400 });
}

export async function buildApp(runtime: Runtime, opts: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: opts.bodyLimitBytes ?? 64 * 1024 * 1024,
    genReqId: newRequestId,
    keepAliveTimeout: 65_000,
    requestTimeout: 0,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // 16 KB of reply buffered per client socket before the relay waits for it to drain (Node's default is
    // 64 KB): with hundreds of streams that is most of the gateway's memory under load, for no throughput gain.
    http: { highWaterMark: 16 * 1024 },
  });

  // Client auth is decided on the matched route, not the raw URL: find-my-way decodes percent-escapes
  // (/%761/messages routes to /v1/messages), so a prefix test on request.url could be bypassed.
  app.addHook('onRequest', async (request, reply) => {
    reply.header('request-id', request.id);
    const route = request.routeOptions.url;
    if (route !== undefined && isPublicRoute(route)) return;
    const keys = runtime.snapshot.apiKeys;
    if (keys.length === 0) return;
    const key = presentedKey(request.headers);
    if (!key || !keyMatches(key, keys)) {
      runtime.metrics.requests.inc({ route: route ?? 'unmatched', model: 'unknown', status: '401' });
      runtime.logger.info({ reqId: request.id, route: route ?? 'unmatched', status: 401, errorKind: key ? 'wrong-client-key' : 'missing-client-key' }, 'request');
      return reply.code(401).header('x-should-retry', 'false').send(errorBodyForRoute(
        route,
        'authentication_error',
        key ? 'invalid API key: the key sent (x-api-key or Authorization: Bearer) is not in packybridge\'s api-keys'
          : 'missing API key: send one of packybridge\'s api-keys as x-api-key or Authorization: Bearer ' +
            (isOpenAIRoute(route) ? '(OPENAI_API_KEY for the openai SDKs, the provider\'s env_key in the Codex CLI)' : '(ANTHROPIC_API_KEY or ANTHROPIC_AUTH_TOKEN in Claude Code)'),
        request.id,
      ));
    }
  });

  // JSON bodies: fastify's own parser (prototype-poisoning checks kept), with the parse error spelled out.
  const defaultJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string; // parseAs: 'string'
    defaultJson(request, text, (err, value) => {
      if (err && (err as FastifyError).code === 'FST_ERR_CTP_INVALID_JSON_BODY') done(jsonBodyError(text), undefined);
      else done(err, value);
    });
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    let type: Parameters<typeof errorBody>[0] = status >= 500 ? 'api_error' : 'invalid_request_error';
    let message = error.message;
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') { type = 'request_too_large'; message = `request body is larger than ${app.initialConfig.bodyLimit} bytes`; }
    else if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') message = `unsupported content-type "${request.headers['content-type'] ?? ''}": send application/json`;
    else if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') message = 'the request body is empty: send a JSON object';
    // the message is not logged below 500: a JSON parse error quotes a piece of the body
    if (status >= 500) runtime.logger.error({ reqId: request.id, err: { message: error.message, code: error.code } }, 'internal error');
    else runtime.logger.info({ reqId: request.id, route: request.routeOptions.url ?? 'unmatched', status, errorKind: error.code ?? 'bad-request' }, 'request');
    if (reply.raw.headersSent) return;
    reply.code(status).send(errorBodyForRoute(request.routeOptions.url ?? request.url, type, message, request.id));
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(errorBodyForRoute(request.url, 'not_found_error', `no route for ${request.method} ${request.url.split('?')[0]}`, request.id));
  });

  healthRoutes(app, runtime);
  metricsRoutes(app, runtime);
  modelsRoutes(app, runtime);
  countTokensRoutes(app, runtime);
  messagesRoutes(app, runtime);
  managementRoutes(app, runtime, opts.controller);
  openaiRoutes(app, runtime);
  return app;
}
