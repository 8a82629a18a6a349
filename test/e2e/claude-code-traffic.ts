// Records what a client asked the gateway and what it got back (status and the retry headers), by listening on
// the gateway's own http.Server: nothing sits in between, so the client talks to the real thing.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

export interface GatewayHit {
  method: string;
  /** path with query, e.g. /v1/messages?beta=true */
  url: string;
  status: number;
  retryAfter?: string;
  shouldRetry?: string;
}

/** Appends one hit per finished response to the returned array (empty it between tests). */
export function recordGatewayTraffic(server: Server): GatewayHit[] {
  const hits: GatewayHit[] = [];
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    // fastify hands its headers to writeHead, where getHeader cannot see them: read them on the way
    const sent: Record<string, string> = {};
    const writeHead = res.writeHead;
    res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
      const headers = args.find((a) => a !== null && typeof a === 'object' && !Array.isArray(a)) as Record<string, unknown> | undefined;
      for (const [k, v] of Object.entries(headers ?? {})) sent[k.toLowerCase()] = String(v);
      return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
    } as typeof res.writeHead;
    const header = (name: string): string | undefined => sent[name] ?? res.getHeader(name)?.toString();
    res.once('finish', () => hits.push({
      method: req.method ?? '', url: req.url ?? '', status: res.statusCode,
      retryAfter: header('retry-after'), shouldRetry: header('x-should-retry'),
    }));
  });
  return hits;
}
