// How much a client may send, and how slowly. Anthropic refuses Messages API bodies over 32 MB with 413
// request_too_large; so does packybridge, before reading the body when it declares its length, and as soon as
// the limit is passed when it is chunked (fastify's bodyLimit does both; the rest is never buffered).
//
// Slow clients: Node's headersTimeout ends a request whose headers trickle; the body watchdog below ends a body
// that makes too little progress (a 1-byte-a-second trickle) or takes longer than requestMs in all, with a
// 408 in the route's error shape; Node's requestTimeout, a little later, is the backstop.
// A real client sends its headers at once and its body at network speed: even 32 MB over a 1 Mbit/s uplink
// (~260 s) stays inside these limits.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { routeErrorBody } from './errors.ts';

export const ANTHROPIC_BODY_LIMIT_BYTES = 32 * 1024 * 1024;

export function bodyTooLargeMessage(limit: number): string {
  const mb = limit / (1024 * 1024);
  return `request body is larger than ${Number.isInteger(mb) ? `${mb} MB` : `${limit} bytes`} (${limit} bytes), the most the Messages API ` +
    'accepts: send fewer or smaller images and documents, or shorten the conversation (/compact in Claude Code)';
}

export interface ClientTimeouts {
  /** Node's headersTimeout: all request headers within this time */
  headersMs: number;
  /** the whole request (headers and body) within this time */
  requestMs: number;
  /** the body must grow by at least progressMinBytes in every window of this length */
  progressWindowMs: number;
  progressMinBytes: number;
  /** how often Node looks for connections over headersMs / requestMs (Node's default is 30 s) */
  checkIntervalMs: number;
}

export const DEFAULT_CLIENT_TIMEOUTS: ClientTimeouts = {
  headersMs: 30_000,
  requestMs: 300_000,
  progressWindowMs: 15_000,
  progressMinBytes: 1024,
  checkIntervalMs: 5_000,
};

function hasBody(request: FastifyRequest): boolean {
  const h = request.headers;
  return (h['content-length'] !== undefined && h['content-length'] !== '0') || h['transfer-encoding'] !== undefined;
}

/**
 * Watches a request's body as it arrives (by the socket's byte count, without touching the stream) and answers
 * 408 and closes the connection when it stalls or runs too long. Call from onRequest.
 */
export function watchBody(request: FastifyRequest, reply: FastifyReply, t: ClientTimeouts, onTimeout: (kind: 'slow-body' | 'body-timeout') => void): void {
  if (!hasBody(request)) return;
  const raw = request.raw;
  const socket = raw.socket;
  const started = Date.now();
  let last = socket.bytesRead;
  const stop = (): void => clearInterval(timer);
  const timer = setInterval(() => {
    if (raw.complete || reply.sent || socket.destroyed) return stop();
    const read = socket.bytesRead;
    const tooSlow = read - last < t.progressMinBytes;
    const tooLong = Date.now() - started >= t.requestMs;
    last = read;
    if (!tooSlow && !tooLong) return;
    stop();
    const message = tooLong
      ? `the request body did not arrive within ${Math.round(t.requestMs / 1000)} s: send it at network speed`
      : `the request body arrived too slowly (fewer than ${t.progressMinBytes} bytes in ${Math.round(t.progressWindowMs / 100) / 10} s): send it at network speed`;
    onTimeout(tooLong ? 'body-timeout' : 'slow-body');
    reply.raw.once('finish', () => socket.destroy());
    reply.code(408).header('connection', 'close').header('x-should-retry', 'false')
      .send(routeErrorBody(request.url, 'timeout_error', 'request_timeout', message, request.id));
  }, Math.min(t.progressWindowMs, t.requestMs));
  timer.unref();
  raw.once('close', stop);
}
