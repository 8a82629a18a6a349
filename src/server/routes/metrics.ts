// GET /metrics: Prometheus text format. Open on loopback; from elsewhere it needs the management key
// (and remote-management.allow-remote: true).
import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../../runtime.ts';
import { managementGuard } from '../management-auth.ts';

export function metricsRoutes(app: FastifyInstance, runtime: Runtime): void {
  const guard = managementGuard(runtime);
  app.get('/metrics', async (request, reply) => {
    if (!(await guard.check(request, reply, { loopbackWithoutKey: true }))) return reply;
    reply.header('content-type', runtime.metrics.registry.contentType);
    return runtime.metrics.registry.metrics();
  });
}
