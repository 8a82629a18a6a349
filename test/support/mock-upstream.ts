// A real HTTP server on 127.0.0.1 that answers POST /v1/responses like the OpenAI Responses API, event for
// event, from queued or handler-chosen scenarios. Used by unit tests, end-to-end runs and the benchmark.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { once } from 'node:events';
import type { ResponsesEvent } from '../../src/wire/responses-stream.ts';
import { mockId, openaiErrorBody } from './response-scenarios.ts';
import type { Scenario } from './response-scenarios.ts';
import { createDefaultHandler } from './mock-default-handler.ts';

export interface RecordedRequest {
  method: string;
  /** path with query, e.g. /v1/responses */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** the parsed JSON body (undefined when empty or not JSON) */
  body: any;
  /** the client went away before the reply ended */
  aborted: boolean;
  /** the client's TCP port: equal for two requests = one kept-alive connection reused */
  remotePort: number;
  /** resolves when the reply ended or the client went away (not enumerable) */
  readonly finished: Promise<void>;
}

export type ScenarioHandler = (req: RecordedRequest) => Scenario;

export interface MockUpstream {
  /** base URL ending in /v1 */
  url: string;
  requests: RecordedRequest[];
  /** total requests seen (also those dropped from `requests` by maxRecorded) */
  readonly requestCount: number;
  enqueue(...s: Scenario[]): void;
  setHandler(fn: ScenarioHandler): void;
  /** resolves once `requests` holds at least n entries (clearing `requests` restarts the count) */
  waitForRequests(n: number, timeoutMs?: number): Promise<void>;
  /** forget recorded requests and queued scenarios (the handler stays) */
  reset(): void;
  close(): Promise<void>;
}

export interface MockUpstreamOptions {
  port?: number;
  /** when set, requests without `Authorization: Bearer <apiKey>` get a real-shaped 401 */
  apiKey?: string;
  handler?: ScenarioHandler;
  /** keep at most this many requests in `requests` (oldest dropped); default: all */
  maxRecorded?: number;
  /**
   * Echo the request's `instructions` and `tools` in every event's response object, as the real API does (for a
   * Claude Code request ~70 KB in each of response.created, in_progress and completed). Off by default: tests
   * read the events' own response objects; the benchmark's mock turns it on (mock-upstream-cli.ts --echo-request).
   */
  echoRequest?: boolean;
}

const DEFAULT_MODEL = 'gpt-5-codex';

export async function startMockUpstream(opts: MockUpstreamOptions = {}): Promise<MockUpstream> {
  const queue: Scenario[] = [];
  let handler: ScenarioHandler = opts.handler ?? createDefaultHandler();
  const requests: RecordedRequest[] = [];
  let requestCount = 0;
  const waiters = new Set<() => void>();
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let closing = false;

  const server = createServer({ keepAlive: true }, (req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) { res.statusCode = 500; res.end(); } else res.destroy();
    });
  });
  server.keepAliveTimeout = 30_000;
  server.on('connection', (s) => {
    s.setNoDelay(true);
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let raw = Buffer.concat(chunks).toString('utf8');
    chunks.length = 0;
    let body: unknown;
    let badJson = false;
    if (raw !== '') {
      try { body = JSON.parse(raw); } catch { badJson = true; }
    }
    raw = ''; // a reply can stay open for long (a stalled or paused client): keep only `rec` (see below)
    let resolveFinished!: () => void;
    const rec = {
      method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body, aborted: false, remotePort: req.socket.remotePort ?? 0,
    } as RecordedRequest;
    Object.defineProperty(rec, 'finished', { value: new Promise<void>((r) => { resolveFinished = r; }), enumerable: false });
    res.on('close', () => {
      if (!res.writableFinished) rec.aborted = true;
      resolveFinished();
    });
    requests.push(rec);
    requestCount++;
    if (opts.maxRecorded !== undefined && requests.length > opts.maxRecorded) requests.splice(0, requests.length - opts.maxRecorded);
    for (const w of waiters) w();

    const pathname = rec.path.split('?')[0];
    if (rec.method === 'GET' && pathname === '/v1/models') {
      return sendJson(res, 200, { object: 'list', data: [DEFAULT_MODEL, 'gpt-5', 'gpt-5-mini'].map((id) => ({ id, object: 'model', created: 0, owned_by: 'mock' })) });
    }
    if (rec.method !== 'POST' || pathname !== '/v1/responses') {
      return sendRaw(res, 404, openaiErrorBody(404, { message: `Invalid URL (${rec.method} ${pathname})`, code: null }));
    }
    const authError = checkAuth(req.headers.authorization, opts.apiKey);
    if (authError) return sendRaw(res, 401, authError);
    if (badJson) {
      return sendRaw(res, 400, openaiErrorBody(400, { message: 'We could not parse the JSON body of your request.' }));
    }
    const scenario = queue.shift() ?? handler(rec);
    const model = typeof (body as { model?: unknown } | undefined)?.model === 'string' ? (body as { model: string }).model : DEFAULT_MODEL;
    const echo = opts.echoRequest === true ? echoOf(body) : undefined;
    body = undefined;
    await play(scenario, res, model, echo);
  }

  function delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => { timers.delete(t); resolve(); }, ms);
      timers.add(t);
    });
  }

  async function play(s: Scenario, res: ServerResponse, model: string, echo?: Echo): Promise<void> {
    if (s.kind === 'http') {
      res.writeHead(s.status, { 'x-request-id': mockId('req'), 'content-type': 'application/json', ...s.headers });
      res.end(s.body);
      return;
    }
    if (s.kind === 'hang') {
      if (s.afterHeaders) {
        res.writeHead(200, sseHeaders());
        res.flushHeaders();
      }
      return; // never answer; close() or the client ends it
    }
    const chunks = s.kind === 'events' ? (echo ? renderEchoed(s.events, model, echo) : renderEvents(s.events, model)) : s.chunks;
    const contentType = s.kind === 'raw' ? (s.contentType ?? 'text/event-stream; charset=utf-8') : 'text/event-stream; charset=utf-8';
    const head: Record<string, string> = { ...sseHeaders(contentType), ...s.headers };
    if (head['content-type'] === '') delete head['content-type']; // raw scenario with contentType '' = no header
    res.writeHead(s.status ?? 200, head);
    const delayMs = s.delayMs ?? 0;
    const flush = s.flush ?? true;
    if (!flush && delayMs === 0 && (s.end ?? 'end') === 'end') {
      // the fastest reply: headers and the whole body in one socket write
      if (!res.destroyed) res.end(joined(chunks));
      return;
    }
    res.flushHeaders();
    const perWrite = Math.max(1, Math.floor(s.eventsPerWrite ?? 1));
    if (!flush && delayMs === 0) {
      if (!res.destroyed) res.write(joined(chunks));
    } else if (perWrite > 1 && delayMs === 0) {
      // batched: `perWrite` events per write, one write per event-loop turn
      for (let i = 0; i < chunks.length; i += perWrite) {
        if (res.destroyed || closing) return;
        await new Promise<void>((r) => setImmediate(r));
        if (res.destroyed || closing) return;
        if (!res.write(joined(chunks, i, i + perWrite))) await Promise.race([once(res, 'drain'), once(res, 'close')]);
      }
    } else {
      for (const c of chunks) {
        if (res.destroyed || closing) return;
        if (delayMs > 0) await delay(delayMs);
        else await new Promise<void>((r) => setImmediate(r));
        if (res.destroyed || closing) return;
        if (!res.write(c)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
      }
    }
    if (res.destroyed) return;
    const end = s.end ?? 'end';
    if (end === 'end') res.end();
    else if (end === 'destroy') {
      // drop the connection mid-body: flush what was written, then close the socket without the final chunk
      res.socket?.destroySoon();
    }
    // 'hang': leave it open
  }

  const mock: MockUpstream = {
    url: '',
    requests,
    get requestCount() { return requestCount; },
    enqueue: (...s) => { queue.push(...s); },
    setHandler: (fn) => { handler = fn; },
    reset: () => { requests.length = 0; queue.length = 0; },
    waitForRequests(n, timeoutMs = 5_000) {
      if (requests.length >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (requests.length >= n) { clearTimeout(t); waiters.delete(check); resolve(); }
        };
        const t = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`mock upstream: waited ${timeoutMs} ms for ${n} request(s), got ${requests.length}`));
        }, timeoutMs);
        waiters.add(check);
      });
    },
    async close() {
      closing = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      for (const s of sockets) s.destroy();
      await closed;
    },
  };

  server.listen(opts.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  mock.url = `http://127.0.0.1:${port}/v1`;
  return mock;
}

function sseHeaders(contentType = 'text/event-stream; charset=utf-8'): Record<string, string> {
  return { 'content-type': contentType, 'cache-control': 'no-cache', 'x-request-id': mockId('req'), 'openai-processing-ms': '12' };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  sendRaw(res, status, JSON.stringify(body));
}

function sendRaw(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': mockId('req') });
  res.end(body);
}

/** The 401 bodies the real API sends: no key, or a wrong one (shown masked, never whole). */
function checkAuth(authorization: string | undefined, apiKey: string | undefined): string | null {
  if (!apiKey) return null;
  const m = /^Bearer\s+(.+)$/i.exec(authorization ?? '');
  if (!m) {
    return openaiErrorBody(401, {
      message: "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
      code: null,
    });
  }
  const key = m[1].trim();
  if (key === apiKey) return null;
  const masked = key.length > 8 ? `${key.slice(0, 3)}****${key.slice(-4)}` : '****';
  return openaiErrorBody(401, { message: `Incorrect API key provided: ${masked}. You can find your API key in your account settings.`, code: 'invalid_api_key' });
}

/** Chunks [from, to) as one Buffer; the whole list's is cached (the benchmark replays one list many times). */
const joinedCache = new WeakMap<Array<string | Uint8Array>, Buffer>();
function joined(chunks: Array<string | Uint8Array>, from = 0, to = chunks.length): Buffer {
  const whole = from === 0 && to >= chunks.length;
  const hit = whole ? joinedCache.get(chunks) : undefined;
  if (hit) return hit;
  const b = Buffer.concat(chunks.slice(from, to).map((c) => (typeof c === 'string' ? Buffer.from(c) : c)));
  if (whole) joinedCache.set(chunks, b);
  return b;
}

/** Rendered SSE bytes, cached per event list and model (the benchmark replays one list many times). */
const rendered = new WeakMap<ResponsesEvent[], Map<string, Buffer[]>>();

function renderEvents(events: ResponsesEvent[], model: string): Buffer[] {
  let byModel = rendered.get(events);
  if (!byModel) { byModel = new Map(); rendered.set(events, byModel); }
  const hit = byModel.get(model);
  if (hit) return hit;
  const out = events.map((ev) => {
    const e = ev.response && ev.response.model === undefined ? { ...ev, response: { ...ev.response, model } } : ev;
    return Buffer.from(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`, 'utf8');
  });
  byModel.set(model, out);
  return out;
}

/** The request's members a response object echoes, as JSON text. */
interface Echo { instructions: string; tools: string }

function echoOf(body: unknown): Echo {
  const b = (body !== null && typeof body === 'object' ? body : {}) as { instructions?: unknown; tools?: unknown };
  return { instructions: JSON.stringify(b.instructions ?? null), tools: JSON.stringify(b.tools ?? []) };
}

const ECHO_MARK = { instructions: '\u0000echo:instructions', tools: '\u0000echo:tools' };
/** how each marker reads inside the rendered JSON */
const ECHO_TEXT = { instructions: JSON.stringify(ECHO_MARK.instructions), tools: JSON.stringify(ECHO_MARK.tools) };

/** The event list rendered with markers where the echo goes: text pieces, each marker's place between two. */
const echoTemplates = new WeakMap<ResponsesEvent[], Map<string, Array<Array<string | keyof Echo>>>>();

function renderEchoed(events: ResponsesEvent[], model: string, echo: Echo): Buffer[] {
  let byModel = echoTemplates.get(events);
  if (!byModel) { byModel = new Map(); echoTemplates.set(events, byModel); }
  let template = byModel.get(model);
  if (!template) {
    template = events.map((ev) => {
      const text = ev.response
        ? `event: ${ev.type}\ndata: ${JSON.stringify({ ...ev, response: { ...ev.response, model: ev.response.model ?? model, instructions: ECHO_MARK.instructions, tools: ECHO_MARK.tools } })}\n\n`
        : `event: ${ev.type}\ndata: ${JSON.stringify(ev)}\n\n`;
      const parts: Array<string | keyof Echo> = [];
      for (const [i, piece] of text.split(ECHO_TEXT.instructions).entries()) {
        if (i > 0) parts.push('instructions');
        for (const [j, p] of piece.split(ECHO_TEXT.tools).entries()) {
          if (j > 0) parts.push('tools');
          parts.push(p);
        }
      }
      return parts;
    });
    byModel.set(model, template);
  }
  return template.map((parts) => Buffer.from(parts.length === 1 ? parts[0] : parts.map((p, i) => (i % 2 === 1 ? echo[p as keyof Echo] : p)).join(''), 'utf8'));
}
