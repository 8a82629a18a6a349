// The onRequest check that runs before any route (and before client auth): a refused Host (DNS rebinding) or
// a cross-origin browser request gets a 403 in the route's own error shape, and nothing else happens.
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { Runtime } from '../runtime.ts';
import { boundToLoopback, hostAllowed, hostRefusal } from './host-check.ts';
import { crossOriginProblem } from './cors.ts';
import { routeErrorBody } from './errors.ts';

export function browserGuard(app: FastifyInstance, runtime: Runtime) {
  // asked only for a Host that is neither loopback nor listed (server.address() is a system call)
  const loopbackOnly = (): boolean => boundToLoopback(app.server);
  // A client sends the same Host on every request: the last one allowed, under the allowed-hosts list in force
  // then (a reload brings a new array), is allowed again without being taken apart. Refusals are not remembered.
  let allowedHost: string | undefined;
  let allowedUnder: readonly string[] | undefined;
  // callback style, not async: no promise a request (fastify stops the chain when done is not called)
  return function guard(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    const host = request.headers.host;
    const allowed = runtime.snapshot.allowedHosts ?? NONE;
    let problem: string | undefined;
    let errorKind = 'host-refused';
    if ((host === allowedHost && allowed === allowedUnder && host !== undefined) || hostAllowed(host, allowed, loopbackOnly)) {
      allowedHost = host;
      allowedUnder = allowed;
      problem = crossOriginProblem(request.method, request.headers);
      errorKind = 'cross-origin-refused';
    } else {
      problem = hostRefusal(host ?? '');
    }
    if (problem === undefined) {
      done();
      return;
    }
    const route = request.routeOptions.url ?? 'unmatched';
    runtime.metrics.requests.inc({ route, model: 'unknown', status: '403' });
    runtime.logger.info({ reqId: request.id, route, status: 403, errorKind }, 'request');
    reply.code(403).header('x-should-retry', 'false').header('vary', 'Origin')
      .send(routeErrorBody(request.url, 'permission_error', 'forbidden', problem, request.id));
  };
}

const NONE: readonly string[] = Object.freeze([]);
