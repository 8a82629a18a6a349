// A real HTTP server on 127.0.0.1 that answers POST /v1/messages like the Anthropic Messages API (a small
// SSE stream, or a whole Message as JSON), records every request, and can answer errors or misbehave.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { once } from 'node:events';

export interface AnthropicRecordedRequest {
  method: string;
  /** path with query, e.g. /v1/messages */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** the body exactly as received */
  raw: string;
  /** the parsed JSON body (undefined when empty or not JSON) */
  body: any;
  /** the client went away before the reply ended */
  aborted: boolean;
  /** resolves when the reply ended or the client went away (not enumerable) */
  readonly finished: Promise<void>;
}

export type AnthropicScenario =
  /** a streamed reply; `stopAfter` events then the connection is dropped ('drop') or left silent ('stall') */
  | { kind: 'sse'; text?: string; model?: string; chunks?: number; stopAfter?: number; then?: 'drop' | 'stall'; firstChunkSplit?: boolean }
  /** a whole Message as JSON */
  | { kind: 'json'; text?: string; model?: string }
  /** an Anthropic-shaped error with this HTTP status */
  | { kind: 'error'; status: number; type: string; message?: string; headers?: Record<string, string> }
  /** 200 text/event-stream whose first event is an `error` (how Anthropic reports overload mid-flight) */
  | { kind: 'sse-error'; type: string; message?: string }
  /** never answer (afterHeaders: send 200 SSE headers, then nothing) */
  | { kind: 'hang'; afterHeaders?: boolean }
  /** anything else, verbatim */
  | { kind: 'raw'; status: number; contentType?: string; body: string }
  /** 200 with `head` at once, then each of `pieces` `everyMs` apart (a keep-alive, a byte), then left open (or ended) */
  | { kind: 'trickle'; contentType: string; head: string; pieces: string[]; everyMs: number; end?: boolean };

export type AnthropicHandler = (req: AnthropicRecordedRequest) => AnthropicScenario;

export interface MockAnthropic {
  /** base URL as for ANTHROPIC_BASE_URL (no /v1) */
  url: string;
  requests: AnthropicRecordedRequest[];
  enqueue(...s: AnthropicScenario[]): void;
  setHandler(fn: AnthropicHandler): void;
  reset(): void;
  close(): Promise<void>;
}

export interface MockAnthropicOptions {
  /** when set, requests without `x-api-key: <apiKey>` get a real-shaped 401 */
  apiKey?: string;
  handler?: AnthropicHandler;
}

const DEFAULT_TEXT = 'Hello from the mock fallback.';

/** The default: a stream when the body asks for one, else JSON. */
export const defaultAnthropicHandler: AnthropicHandler = (req) => (req.body?.stream === true ? { kind: 'sse' } : { kind: 'json' });

export function anthropicErrorBody(type: string, message: string): string {
  return JSON.stringify({ type: 'error', error: { type, message }, request_id: 'req_mock_error' });
}

let seq = 0;
function mockId(prefix: string): string {
  seq++;
  return `${prefix}_mock${String(seq).padStart(6, '0')}`;
}

function words(text: string, n: number): string[] {
  const parts = text.split(/(?<= )/);
  const size = Math.max(1, Math.ceil(parts.length / Math.max(1, n)));
  const out: string[] = [];
  for (let i = 0; i < parts.length; i += size) out.push(parts.slice(i, i + size).join(''));
  return out;
}

function usage(input: number, output: number) {
  return { input_tokens: input, cache_creation_input_tokens: 0, cache_read_input_tokens: 3, output_tokens: output };
}

/** The events of a small text reply, as SSE frames (one string per event). */
export function anthropicSseFrames(text = DEFAULT_TEXT, model = 'claude-mock-1', chunks = 3): string[] {
  const deltas = words(text, chunks);
  const events: Array<{ event: string; data: unknown }> = [
    { event: 'message_start', data: { type: 'message_start', message: { id: mockId('msg'), type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: usage(11, 1) } } },
    { event: 'content_block_start', data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } } },
    { event: 'ping', data: { type: 'ping' } },
    ...deltas.map((t) => ({ event: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: t } } })),
    { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
    { event: 'message_delta', data: { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 7 } } },
    { event: 'message_stop', data: { type: 'message_stop' } },
  ];
  return events.map((e) => `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`);
}

export function anthropicMessage(text = DEFAULT_TEXT, model = 'claude-mock-1') {
  return { id: mockId('msg'), type: 'message', role: 'assistant', model, content: [{ type: 'text', text }], stop_reason: 'end_turn', stop_sequence: null, usage: usage(11, 7) };
}

export async function startMockAnthropic(opts: MockAnthropicOptions = {}): Promise<MockAnthropic> {
  const queue: AnthropicScenario[] = [];
  let handler = opts.handler ?? defaultAnthropicHandler;
  const requests: AnthropicRecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let closing = false;

  const server = createServer({ keepAlive: true }, (req, res) => {
    handle(req, res).catch(() => { if (!res.headersSent) { res.statusCode = 500; res.end(); } else res.destroy(); });
  });
  server.on('connection', (s) => {
    s.setNoDelay(true);
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parts: Buffer[] = [];
    for await (const c of req) parts.push(c as Buffer);
    const raw = Buffer.concat(parts).toString('utf8');
    let body: unknown;
    try { body = raw === '' ? undefined : JSON.parse(raw); } catch { body = undefined; }
    let resolveFinished!: () => void;
    const rec = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, raw, body, aborted: false } as AnthropicRecordedRequest;
    Object.defineProperty(rec, 'finished', { value: new Promise<void>((r) => { resolveFinished = r; }), enumerable: false });
    res.on('close', () => {
      if (!res.writableFinished) rec.aborted = true;
      resolveFinished();
    });
    requests.push(rec);

    if (rec.method !== 'POST' || rec.path.split('?')[0] !== '/v1/messages') {
      return send(res, 404, 'application/json', anthropicErrorBody('not_found_error', `Not found: ${rec.method} ${rec.path.split('?')[0]}`));
    }
    if (opts.apiKey !== undefined && req.headers['x-api-key'] !== opts.apiKey) {
      return send(res, 401, 'application/json', anthropicErrorBody('authentication_error', 'invalid x-api-key'));
    }
    if (body === undefined) return send(res, 400, 'application/json', anthropicErrorBody('invalid_request_error', 'body is not JSON'));
    await play(queue.shift() ?? handler(rec), res, rec);
  }

  async function play(s: AnthropicScenario, res: ServerResponse, rec: AnthropicRecordedRequest): Promise<void> {
    const model = typeof rec.body?.model === 'string' ? rec.body.model : 'claude-mock-1';
    switch (s.kind) {
      case 'json':
        return send(res, 200, 'application/json', JSON.stringify(anthropicMessage(s.text, s.model ?? model)));
      case 'error':
        return send(res, s.status, 'application/json', anthropicErrorBody(s.type, s.message ?? `mock ${s.type}`), s.headers);
      case 'raw':
        return send(res, s.status, s.contentType ?? 'application/json', s.body);
      case 'hang':
        if (s.afterHeaders) { res.writeHead(200, sseHeaders()); res.flushHeaders(); }
        return;
      case 'trickle':
        res.writeHead(200, { 'content-type': s.contentType, 'request-id': mockId('req') });
        res.write(s.head);
        for (const piece of s.pieces) {
          await new Promise<void>((r) => setTimeout(r, s.everyMs));
          if (res.destroyed || closing) return;
          res.write(piece);
        }
        if (s.end) res.end();
        return;
      case 'sse-error':
        res.writeHead(200, sseHeaders());
        res.end(`event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: s.type, message: s.message ?? `mock ${s.type}` } })}\n\n`);
        return;
      case 'sse': {
        const frames = anthropicSseFrames(s.text, s.model ?? model, s.chunks);
        const n = s.stopAfter ?? frames.length;
        const out = frames.slice(0, n);
        if (s.firstChunkSplit && out.length > 0) out.splice(0, 1, out[0].slice(0, 20), out[0].slice(20));
        res.writeHead(200, sseHeaders());
        res.flushHeaders();
        for (const f of out) {
          if (res.destroyed || closing) return;
          await new Promise<void>((r) => setImmediate(r));
          if (!res.write(f)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
        }
        if (n >= frames.length) res.end();
        else if (s.then === 'drop') res.socket?.destroySoon();
        // 'stall': leave it open
        return;
      }
    }
  }

  const mock: MockAnthropic = {
    url: '',
    requests,
    enqueue: (...s) => { queue.push(...s); },
    setHandler: (fn) => { handler = fn; },
    reset: () => { requests.length = 0; queue.length = 0; },
    async close() {
      closing = true;
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  mock.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return mock;
}

function sseHeaders(): Record<string, string> {
  return { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'request-id': mockId('req') };
}

function send(res: ServerResponse, status: number, contentType: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': contentType, 'request-id': mockId('req'), ...headers });
  res.end(body);
}
