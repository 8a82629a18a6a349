// POST /v1/messages/count_tokens: a local o200k count of what would be sent upstream. Never calls upstream.
import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../../runtime.ts';
import { validateCountTokensRequest } from '../../wire/anthropic-validate.ts';
import { tailOf } from '../json-body.ts';
import { errorBody, textBodyProblem } from '../errors.ts';
import { capForLog } from '../../observability/logger.ts';

export function countTokensRoutes(app: FastifyInstance, runtime: Runtime): void {
  app.post('/v1/messages/count_tokens', async (request, reply) => {
    const started = performance.now();
    const textBody = textBodyProblem(request.body, request.headers['content-type']);
    const v = textBody === undefined ? validateCountTokensRequest(request.body, tailOf(request.body)) : { ok: false as const, message: textBody };
    if (!v.ok) {
      runtime.metrics.requests.inc({ route: '/v1/messages/count_tokens', model: 'unknown', status: '400' });
      return reply.code(400).send(errorBody('invalid_request_error', v.message, request.id));
    }
    const inputTokens = runtime.tokenCounter.count(v.value);
    runtime.metrics.requests.inc({ route: '/v1/messages/count_tokens', model: v.value.model, status: '200' });
    runtime.logger.debug({ reqId: request.id, route: '/v1/messages/count_tokens', modelAsked: capForLog(v.value.model), inputTokens, totalMs: Math.round(performance.now() - started) }, 'count_tokens');
    return { input_tokens: inputTokens };
  });
}
