// A logging reverse proxy on 127.0.0.1: forwards every request to a target (the gateway) unchanged and keeps
// what went each way (method, URL, headers with keys masked, the parsed JSON body, status, reply text), so a
// test can assert on what a real client sent and save it as a fixture. Nothing here is written to disk.
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';

export interface ProxiedExchange {
  method: string;
  /** path with query, e.g. /v1/messages?beta=true */
  url: string;
  /** request headers, `x-api-key` and `authorization` replaced by `<REDACTED>` */
  headers: Record<string, string>;
  /** the parsed JSON request body (undefined when empty or not JSON) */
  body: any;
  status: number;
  respHeaders: Record<string, string>;
  /** the reply as text (SSE or JSON) */
  reply: string;
}

export interface RecordingProxy {
  url: string;
  exchanges: ProxiedExchange[];
  close(): Promise<void>;
}

const SECRET_HEADERS = new Set(['x-api-key', 'authorization', 'proxy-authorization', 'cookie']);

function flatHeaders(h: IncomingHttpHeaders | Record<string, string | string[] | number | undefined>, mask: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    out[k] = mask && SECRET_HEADERS.has(k.toLowerCase()) ? '<REDACTED>' : Array.isArray(v) ? v.join(', ') : String(v);
  }
  return out;
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Starts the proxy in front of `target` (a base URL such as http://127.0.0.1:8317). */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const exchanges: ProxiedExchange[] = [];
  const base = new URL(target);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const raw = await readAll(req);
      let body: unknown;
      try { body = raw.length ? JSON.parse(raw.toString('utf8')) : undefined; } catch { body = undefined; }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) {
        if (v === undefined || k === 'host' || k === 'connection' || k === 'content-length' || k === 'transfer-encoding') continue;
        headers[k] = Array.isArray(v) ? v.join(', ') : v;
      }
      const ex: ProxiedExchange = { method: req.method ?? 'GET', url: req.url ?? '/', headers: flatHeaders(req.headers, true), body, status: 0, respHeaders: {}, reply: '' };
      const abort = new AbortController();
      res.on('close', () => { if (!res.writableFinished) abort.abort(); });
      try {
        const up = await fetch(new URL(req.url ?? '/', base), {
          method: req.method, headers, body: raw.length && req.method !== 'GET' && req.method !== 'HEAD' ? new Uint8Array(raw) : undefined, signal: abort.signal,
        });
        ex.status = up.status;
        const respHeaders: Record<string, string> = {};
        up.headers.forEach((v, k) => { if (k !== 'content-length' && k !== 'transfer-encoding' && k !== 'content-encoding' && k !== 'connection') respHeaders[k] = v; });
        ex.respHeaders = respHeaders;
        res.writeHead(up.status, respHeaders);
        const parts: string[] = [];
        if (up.body) {
          const decoder = new TextDecoder();
          for await (const chunk of up.body) {
            parts.push(decoder.decode(chunk, { stream: true }));
            res.write(chunk);
          }
        }
        ex.reply = parts.join('');
        res.end();
      } catch (e) {
        ex.status = ex.status || 502;
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ type: 'error', error: { type: 'api_error', message: `recording proxy: ${(e as Error).message}` } }));
      } finally {
        exchanges.push(ex);
      }
    })();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    exchanges,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
