// The onRequest check that runs before any route (and before client auth): a refused Host (DNS rebinding) or
// a cross-origin browser request gets a 403 in the route's own error shape, and nothing else happens.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Runtime } from '../runtime.ts';
import { boundToLoopback, hostAllowed, hostRefusal } from './host-check.ts';
import { crossOriginProblem } from './cors.ts';
import { routeErrorBody } from './errors.ts';

export function browserGuard(app: FastifyInstance, runtime: Runtime) {
  // asked only for a Host that is neither loopback nor listed (server.address() is a system call)
  const loopbackOnly = (): boolean => boundToLoopback(app.server);
  return async function guard(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const host = request.headers.host;
    let problem: string | undefined;
    let errorKind = 'host-refused';
    if (!hostAllowed(host, runtime.snapshot.allowedHosts ?? [], loopbackOnly)) {
      problem = hostRefusal(host ?? '');
    } else {
      problem = crossOriginProblem(request.method, request.headers);
      errorKind = 'cross-origin-refused';
    }
    if (problem === undefined) return;
    const route = request.routeOptions.url ?? 'unmatched';
    runtime.metrics.requests.inc({ route, model: 'unknown', status: '403' });
    runtime.logger.info({ reqId: request.id, route, status: 403, errorKind }, 'request');
    reply.code(403).header('x-should-retry', 'false').header('vary', 'Origin')
      .send(routeErrorBody(request.url, 'permission_error', 'forbidden', problem, request.id));
    return reply as unknown as undefined;
  };
}
