// HTTP client for the OpenAI Responses API: POST {baseUrl}/responses, stream the SSE reply as parsed events.
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { TimeoutsConfig } from '../config/types.ts';
import type { ResponsesEvent, ResponseObject } from '../wire/responses-stream.ts';
import { postToUpstream } from './pool.ts';
import { createResponsesEventDecoder, SseProtocolError } from './sse-events.ts';
import { UpstreamError, parseErrorBody, safeUrl, toUpstreamError, truncate } from './upstream-error.ts';
import type { ErrorContext } from './upstream-error.ts';

export { UpstreamError } from './upstream-error.ts';
export type { UpstreamErrorKind } from './upstream-error.ts';
export { closeUpstreamPools } from './pool.ts';

export interface UpstreamTarget {
  /** e.g. https://host/v1 (a trailing slash is tolerated) */
  baseUrl: string;
  apiKey?: string;
}

export interface OpenStreamOptions {
  target: UpstreamTarget;
  /** the ResponsesRequest; serialised here, once (a string is sent as is) */
  body: unknown;
  signal?: AbortSignal;
  timeouts: TimeoutsConfig;
  /** extra request headers; they win over the defaults (names are case-insensitive) */
  headers?: Record<string, string>;
}

export interface UpstreamStream {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /**
   * The reply's events, in order, as they arrive: each batch holds the events one body chunk completed (never
   * empty). Iterate once, this or `events`. Throws UpstreamError ('idle-timeout' | 'disconnect' | 'aborted' |
   * 'protocol'). The relay's hot path: one await per chunk, not one per event.
   */
  batches: AsyncIterable<ResponsesEvent[]>;
  /** The same events one by one (over `batches`). */
  readonly events: AsyncIterable<ResponsesEvent>;
  /** the upstream's x-request-id, when sent */
  requestId?: string;
}

/** Bytes read from a non-2xx reply body (the rest is dropped). */
const MAX_ERROR_BODY = 64 * 1024;
/** Bytes accepted for a 2xx non-SSE (whole JSON response) body. */
const MAX_JSON_BODY = 64 * 1024 * 1024;

export const USER_AGENT = `packybridge/${readVersion()}`;

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Request headers: auth, JSON in, SSE out, our user-agent, and the session headers upstream cache routing keys on. */
export function buildRequestHeaders(target: UpstreamTarget, body: unknown, extra?: Record<string, string>): Record<string, string> {
  const h: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'text/event-stream',
    'user-agent': USER_AGENT,
  };
  if (target.apiKey) h.authorization = `Bearer ${target.apiKey}`;
  const cacheKey = body !== null && typeof body === 'object' ? (body as { prompt_cache_key?: unknown }).prompt_cache_key : undefined;
  if (typeof cacheKey === 'string' && cacheKey !== '') {
    // Codex 0.169 sends `session-id`, Codex 0.45 sent `session_id`; relays route prompt-cache hits on either.
    h['session-id'] = cacheKey;
    h.session_id = cacheKey;
  }
  if (extra) for (const k of Object.keys(extra)) h[k.toLowerCase()] = extra[k];
  return h;
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** POST the request and resolve once the upstream's response headers are in (2xx) — or throw UpstreamError. */
export async function openResponsesStream(opts: OpenStreamOptions): Promise<UpstreamStream> {
  const { target, signal, timeouts } = opts;
  const url = new URL(`${target.baseUrl.replace(/\/+$/, '')}/responses`);
  const shownUrl = safeUrl(url);
  const started = performance.now();
  const ctx = (afterHeaders: boolean, requestId?: string): ErrorContext => ({
    url: shownUrl,
    elapsedMs: Math.round(performance.now() - started),
    afterHeaders,
    sinceLastChunkMs: timeouts.idleMs,
    aborted: signal?.aborted === true,
    connectMs: timeouts.connectMs,
    firstByteMs: timeouts.firstByteMs,
    idleMs: timeouts.idleMs,
    ...(requestId === undefined ? {} : { requestId }),
  });
  if (signal?.aborted) throw toUpstreamError(signal.reason, ctx(false));

  let res;
  try {
    res = await postToUpstream(url, timeouts.connectMs, {
      headers: buildRequestHeaders(target, opts.body, opts.headers),
      body: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
      signal,
      headersTimeout: timeouts.firstByteMs,
      bodyTimeout: timeouts.idleMs,
    });
  } catch (err) {
    throw toUpstreamError(err, ctx(false));
  }

  const { statusCode: status, headers } = res;
  const body = res.body as unknown as Readable;
  const requestId = header(headers, 'x-request-id') ?? header(headers, 'request-id');

  if (status < 200 || status > 299) {
    const text = await readBounded(body, MAX_ERROR_BODY).catch(() => '');
    if (signal?.aborted) throw toUpstreamError(signal.reason, ctx(true, requestId));
    const parsed = parseErrorBody(text);
    const retryAfter = header(headers, 'retry-after') ?? retryAfterFromMs(header(headers, 'retry-after-ms'));
    const what = [parsed.upstreamCode ? `(${parsed.upstreamCode})` : '', parsed.upstreamMessage ? `: ${parsed.upstreamMessage}` : ''].join('');
    throw new UpstreamError('http', `upstream ${shownUrl} answered HTTP ${status}${what ? ` ${what}` : ''}`, {
      url: shownUrl, status, ...parsed,
      ...(retryAfter === undefined ? {} : { retryAfter }),
      ...(requestId === undefined ? {} : { requestId }),
    });
  }

  const base = { status, headers, ...(requestId === undefined ? {} : { requestId }) };
  const contentType = (header(headers, 'content-type') ?? '').toLowerCase();
  if (contentType.includes('text/event-stream')) {
    return upstreamStream(base, sseBatches(body[Symbol.asyncIterator](), null, () => ctx(true, requestId)));
  }
  if (contentType.includes('json')) {
    return upstreamStream(base, single(await readJsonResponse(body, shownUrl, requestId, signal, () => ctx(true, requestId))));
  }

  // No or an odd content type (some relays send text/plain): sniff the first chunk.
  const it = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let first: Buffer | null = null;
  try {
    for (;;) {
      const step = await it.next();
      if (step.done) break;
      if (step.value.length > 0) { first = step.value; break; }
    }
  } catch (err) {
    body.destroy();
    throw toUpstreamError(err, ctx(true, requestId));
  }
  const head = first ? first.subarray(0, 512).toString('utf8').trimStart() : '';
  if (/^(data|event|id|retry)?:/.test(head) || head.startsWith(':')) {
    return upstreamStream(base, sseBatches(it, first, () => ctx(true, requestId)));
  }
  if (head.startsWith('{')) {
    const rest = await readBounded(body, MAX_JSON_BODY, it).catch((err: unknown) => { throw toUpstreamError(err, ctx(true, requestId)); });
    return upstreamStream(base, single(parseJsonResponse((first?.toString('utf8') ?? '') + rest, shownUrl, requestId)));
  }
  body.destroy();
  throw new UpstreamError('protocol', `upstream ${shownUrl} answered ${status} with ${contentType || 'no content type'}, not an event stream${head ? `: ${truncate(head.replace(/\s+/g, ' '), 120)}` : ' (empty body)'}`, {
    url: shownUrl, ...(requestId === undefined ? {} : { requestId }),
  });
}

function upstreamStream(
  base: Pick<UpstreamStream, 'status' | 'headers' | 'requestId'>, batches: AsyncIterable<ResponsesEvent[]>,
): UpstreamStream {
  return { ...base, batches, get events() { return oneByOne(batches); } };
}

async function* oneByOne(batches: AsyncIterable<ResponsesEvent[]>): AsyncGenerator<ResponsesEvent> {
  for await (const batch of batches) yield* batch;
}

async function* sseBatches(
  it: AsyncIterator<Buffer>,
  first: Buffer | null,
  ctx: () => ErrorContext,
): AsyncGenerator<ResponsesEvent[]> {
  const decoder = createResponsesEventDecoder();
  let done = false;
  try {
    if (first) {
      const events = decoder.push(first);
      if (events.length > 0) yield events;
      if (decoder.failure) throw decoder.failure;
    }
    for (;;) {
      let step: IteratorResult<Buffer>;
      try {
        step = await it.next();
      } catch (err) {
        throw toUpstreamError(err, ctx());
      }
      if (step.done) break;
      const events = decoder.push(step.value);
      if (events.length > 0) yield events;
      if (decoder.failure) throw decoder.failure;
    }
    done = true;
    const rest = decoder.end();
    if (rest.length > 0) yield rest;
    if (decoder.failure) throw decoder.failure;
  } catch (err) {
    if (err instanceof SseProtocolError) {
      const c = ctx();
      throw new UpstreamError('protocol', `upstream ${c.url}: ${err.message}`, { url: c.url, cause: err, ...(c.requestId ? { requestId: c.requestId } : {}) });
    }
    throw err;
  } finally {
    // stopped early (consumer break/return, or an error): release the upstream request now
    if (!done) await it.return?.().catch(() => {});
  }
}

async function* single(ev: ResponsesEvent): AsyncGenerator<ResponsesEvent[]> {
  yield [ev];
}

async function readJsonResponse(
  body: Readable, url: string, requestId: string | undefined, signal: AbortSignal | undefined, ctx: () => ErrorContext,
): Promise<ResponsesEvent> {
  let text: string;
  try {
    text = await readBounded(body, MAX_JSON_BODY);
  } catch (err) {
    throw toUpstreamError(err, ctx());
  }
  if (signal?.aborted) throw toUpstreamError(signal.reason, ctx());
  return parseJsonResponse(text, url, requestId);
}

/** A 2xx JSON body: a whole response object becomes its terminal event; anything else is a protocol error. */
export function parseJsonResponse(text: string, url: string, requestId?: string): ResponsesEvent {
  const rid = requestId === undefined ? {} : { requestId };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UpstreamError('protocol', `upstream ${url} answered 2xx with a JSON content type but the body is not JSON`, { url, ...rid });
  }
  const obj = (json && typeof json === 'object' ? json : {}) as Record<string, unknown>;
  if (obj.object === 'response' || (typeof obj.id === 'string' && Array.isArray(obj.output))) {
    const response = obj as unknown as ResponseObject;
    const type = response.status === 'failed' ? 'response.failed' : response.status === 'incomplete' ? 'response.incomplete' : 'response.completed';
    return { type, response };
  }
  const parsed = obj.error ? parseErrorBody(text) : {};
  throw new UpstreamError('protocol', `upstream ${url} answered 2xx with JSON that is not a response object${parsed.upstreamMessage ? `: ${parsed.upstreamMessage}` : ''}`, { url, ...parsed, ...rid });
}

/** Read a body as UTF-8 text, keeping at most `limit` bytes; stops reading (and frees the socket) past it. */
async function readBounded(body: Readable, limit: number, it?: AsyncIterator<Buffer>): Promise<string> {
  const iter = it ?? (body[Symbol.asyncIterator]() as AsyncIterator<Buffer>);
  const parts: Buffer[] = [];
  let size = 0;
  for (;;) {
    const step = await iter.next();
    if (step.done) break;
    const room = limit - size;
    if (step.value.length >= room) {
      parts.push(step.value.subarray(0, room));
      await iter.return?.();
      body.destroy();
      break;
    }
    parts.push(step.value);
    size += step.value.length;
  }
  return Buffer.concat(parts).toString('utf8');
}

function retryAfterFromMs(ms: string | undefined): string | undefined {
  if (ms === undefined) return undefined;
  const n = Number(ms);
  return Number.isFinite(n) && n >= 0 ? String(Math.ceil(n / 1000)) : undefined;
}
