// Builds the fastify app: request ids, client auth, Claude-shaped errors, the routes.
import Fastify, { type FastifyInstance, type FastifyError } from 'fastify';
import { randomUUID } from 'node:crypto';
import { parseJsonBytes } from './json-body.ts';
import { readBodyBytes } from './body-bytes.ts';
import { RepeatedTailCache } from './repeated-tail.ts';
import { toolConversionCache } from '../translate/tool-conversion-cache.ts';
import { messageItemsCounts } from '../translate/message-items-cache.ts';
import type { Runtime } from '../runtime.ts';
import type { ConfigController } from '../config-controller.ts';
import { errorBody } from './errors.ts';
import { authenticateClient, installClientLimits } from './client-gate.ts';
import { errorBodyForRoute } from './openai-errors.ts';
import { messagesRoutes } from './routes/messages.ts';
import { countTokensRoutes } from './routes/count-tokens.ts';
import { modelsRoutes } from './routes/models.ts';
import { healthRoutes } from './routes/health.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { managementRoutes } from './routes/management.ts';
import { browserGuard } from './browser-guard.ts';
import { ANTHROPIC_BODY_LIMIT_BYTES, DEFAULT_CLIENT_TIMEOUTS, bodyTooLargeMessage, watchBody, type ClientTimeouts } from './body-limit.ts';
import { panelRoutes } from './routes/panel.ts';
import { openaiRoutes } from './routes/openai.ts';
import { installAdmission } from './admission.ts';

export interface AppOptions {
  /** default: Anthropic's 32 MB */
  bodyLimitBytes?: number;
  /** slow-client limits (tests shorten them); see body-limit.ts */
  clientTimeouts?: Partial<ClientTimeouts>;
  /** applies management writes at once (absent in route-only tests: management answers 503) */
  controller?: ConfigController;
}

export function newRequestId(): string {
  // 122 random bits; randomUUID draws from a cached entropy pool (randomBytes asks the CSPRNG on every call)
  const u = randomUUID();
  return `req_${u.slice(0, 8)}${u.slice(9, 13)}${u.slice(14, 18)}${u.slice(19, 23)}${u.slice(24)}`;
}

/** Routes anyone may call: health probes (Claude Code sends HEAD / first); /metrics and /v0/management have their own guard. */
function isPublicRoute(route: string): boolean {
  return route === '/' || route === '/healthz' || route === '/metrics' || route.startsWith('/v0/') || route.startsWith('/panel');
}

export async function buildApp(runtime: Runtime, opts: AppOptions = {}): Promise<FastifyInstance> {
  const timeouts: ClientTimeouts = { ...DEFAULT_CLIENT_TIMEOUTS, ...opts.clientTimeouts };
  const app = Fastify({
    logger: false,
    bodyLimit: opts.bodyLimitBytes ?? ANTHROPIC_BODY_LIMIT_BYTES,
    genReqId: newRequestId,
    keepAliveTimeout: 65_000,
    // receiving the request only (a stream's reply is not limited); the body watchdog answers first, in shape
    requestTimeout: timeouts.requestMs + 5_000,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // 16 KB of reply buffered per client socket before the relay waits for it to drain (Node's default is
    // 64 KB): with hundreds of streams that is most of the gateway's memory under load, for no throughput gain.
    http: { highWaterMark: 16 * 1024, headersTimeout: timeouts.headersMs, connectionsCheckingInterval: timeouts.checkIntervalMs },
  });

  // Under saturation a connection's next request waits in the kernel, not in the heap (admission.ts)
  installAdmission(app, {
    queueAt: () => runtime.snapshot.saturationQueueAt ?? 16,
    onPark: () => runtime.metrics.parkedConnections.inc(),
  });

  // Before anything else: refused Host names (DNS rebinding) and cross-origin browser requests; then the
  // watchdog that ends bodies sent too slowly.
  app.addHook('onRequest', browserGuard(app, runtime));
  app.addHook('onRequest', (request, reply, done) => {
    watchBody(request, reply, timeouts, (kind) => {
      runtime.metrics.requests.inc({ route: request.routeOptions.url ?? 'unmatched', model: 'unknown', status: '408' });
      runtime.logger.info({ reqId: request.id, route: request.routeOptions.url ?? 'unmatched', status: 408, errorKind: kind }, 'request');
    });
    done();
  });

  // Client auth is decided on the matched route, not the raw URL: find-my-way decodes percent-escapes
  // (/%761/messages routes to /v1/messages), so a prefix test on request.url could be bypassed.
  app.addHook('onRequest', async (request, reply) => {
    reply.header('request-id', request.id);
    const route = request.routeOptions.url;
    if (route !== undefined && isPublicRoute(route)) return;
    return authenticateClient(request, reply, runtime);
  });
  installClientLimits(app, runtime);

  // JSON bodies: read as bytes, decoded strictly as UTF-8, JSON.parse and one walk refusing prototype-poisoning
  // keys (json-body.ts), errors spelled out. The Messages routes share the tail Claude Code repeats every turn
  // (system, tools, settings: repeated-tail.ts) instead of parsing it again.
  app.removeContentTypeParser('application/json');
  const repeatedTails = new RepeatedTailCache();
  runtime.metrics.watchCache('repeated_tail', () => repeatedTails.stats());
  runtime.metrics.watchCache('tool_conversion', () => toolConversionCache.stats());
  runtime.metrics.watchCache('message_items', messageItemsCounts);
  const badBody = (message: string) => Object.assign(new Error(message), { statusCode: 400 });
  // The bytes are read into a buffer every request reuses (body-bytes.ts): parseJsonBytes keeps none of them.
  const bodyLimit = app.initialConfig.bodyLimit ?? ANTHROPIC_BODY_LIMIT_BYTES;
  app.addContentTypeParser('application/json', (request, payload, done) => {
    const route = request.routeOptions.url;
    const cache = route === '/v1/messages' || route === '/v1/messages/count_tokens' ? repeatedTails : undefined;
    readBodyBytes(request.headers, payload, bodyLimit, (bytes) => {
      const parsed = parseJsonBytes(bytes, cache);
      if (parsed.ok) done(null, parsed.value);
      else done(badBody(parsed.message), undefined);
    }, (err) => done(err, undefined));
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    let type: Parameters<typeof errorBody>[0] = status >= 500 ? 'api_error' : 'invalid_request_error';
    let message = error.message;
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      // the rest of the body is not read: close the connection instead of draining it
      type = 'request_too_large'; message = bodyTooLargeMessage(app.initialConfig.bodyLimit ?? ANTHROPIC_BODY_LIMIT_BYTES); reply.header('connection', 'close');
    }
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
  panelRoutes(app, runtime);
  openaiRoutes(app, runtime);
  return app;
}
