// GET /healthz, HEAD / and GET / (Claude Code probes HEAD / before its first request), GET /metrics.
import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../../runtime.ts';
import { VERSION } from '../../runtime.ts';

export function healthRoutes(app: FastifyInstance, runtime: Runtime): void {
  app.get('/healthz', async () => ({ status: 'ok', packycode: runtime.packycodeUsable() ? 'ready' : 'not-configured' }));
  app.get('/', async () => ({ name: 'packybridge', version: VERSION, status: 'ok' }));
}
