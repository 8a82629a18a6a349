// Who sent a request, as the client-auth hook left it on the request (`request.clientIdentity`); "anonymous"
// when none was set (api-keys empty, or a hook that names no one).
import type { FastifyRequest } from 'fastify';
import type { ClientIdentity } from '../accounting/request-record.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** set by the client-auth hook when the presented key has a name */
    clientIdentity?: ClientIdentity;
  }
}

const ANONYMOUS: ClientIdentity = Object.freeze({ name: 'anonymous' });

export function clientIdentityOf(request: FastifyRequest): ClientIdentity {
  return request.clientIdentity ?? ANONYMOUS;
}
