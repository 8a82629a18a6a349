// Raw HTTP for the edge tests: node:http lets a test set Host and Origin, stream a body from a generator, or
// trickle one byte at a time; fetch does none of that.
import { Agent, request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';

export interface EdgeReply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: any;
}

function parse(text: string): any {
  try { return JSON.parse(text); } catch { return undefined; }
}

/** Keep-alive connections for tests that send many requests. */
export const keepAlive = new Agent({ keepAlive: true, maxSockets: 32 });

/** One request; `body` is sent as given (a string or Buffer), or not at all. A new connection unless `agent` is given. */
export function send(url: string, method: string, headers: OutgoingHttpHeaders, body?: string | Buffer, agent: Agent | false = false): Promise<EdgeReply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: parse(text) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Streams `total` bytes of a JSON-looking body (a string that never ends) in 64 KB writes, as a client
 * uploading a big request would; resolves with the reply, or with status 0 when the gateway closed the
 * connection before a reply could be read. `chunked` leaves out content-length.
 */
export function upload(url: string, total: number, opts: { chunked?: boolean; headers?: OutgoingHttpHeaders } = {}): Promise<EdgeReply> {
  const chunk = Buffer.alloc(64 * 1024, 'a');
  const head = Buffer.from('{"model":"gpt-5-codex","max_tokens":10,"messages":[{"role":"user","content":"');
  return new Promise((resolve) => {
    const headers: OutgoingHttpHeaders = { 'content-type': 'application/json', ...opts.headers };
    if (!opts.chunked) headers['content-length'] = String(total);
    let done = false;
    const finish = (r: EdgeReply): void => { if (!done) { done = true; resolve(r); } };
    const req = httpRequest(url, { method: 'POST', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        finish({ status: res.statusCode ?? 0, headers: res.headers, text, json: parse(text) });
      });
      res.on('error', () => finish({ status: 0, headers: {}, text: '', json: undefined }));
    });
    req.on('error', () => setTimeout(() => finish({ status: 0, headers: {}, text: '', json: undefined }), 200));
    let sent = 0;
    const pump = (): void => {
      while (sent < total && !req.destroyed) {
        const piece = sent === 0 ? head : chunk.subarray(0, Math.min(chunk.length, total - sent));
        sent += piece.length;
        if (!req.write(piece)) { req.once('drain', pump); return; }
      }
      if (!req.destroyed) req.end();
    };
    pump();
  });
}

/** A raw TCP connection: write bytes yourself, read everything the gateway answers until it closes. */
export function rawSocket(port: number): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => { text += d; });
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    socket.on('error', () => { /* a reset counts as closed */ });
    socket.once('connect', () => resolve({ socket, received: () => text, closed }));
    socket.once('error', reject);
  });
}

/** Anthropic's error shape: {type:"error", error:{type, message}} with a message that says something. */
export function isAnthropicError(r: EdgeReply, status: number, type: string): string | undefined {
  if (r.status !== status) return `status ${r.status}, expected ${status}: ${r.text.slice(0, 300)}`;
  if (r.json?.type !== 'error') return `not an Anthropic error body: ${r.text.slice(0, 300)}`;
  if (r.json.error?.type !== type) return `error type ${r.json.error?.type}, expected ${type}`;
  if (typeof r.json.error.message !== 'string' || r.json.error.message.length < 15) return `no clear message: ${r.text.slice(0, 300)}`;
  return undefined;
}
