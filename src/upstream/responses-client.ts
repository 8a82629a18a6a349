// HTTP client for the OpenAI Responses API: POST {baseUrl}/responses over http.ts, the SSE reply as parsed events.
// Idle time counts from the last event that carries content or progress: SSE comments, unknown events and a
// trickle of bytes that never completes an event do not keep a request open.
import type { TimeoutsConfig } from '../config/types.ts';
import type { ResponsesEvent, ResponseObject } from '../wire/responses-stream.ts';
import { postUpstream, readBounded, withExtraHeaders, USER_AGENT, type PostReply } from './http.ts';
import type { DecoderOptions } from './sse-events.ts';
import { UpstreamError, parseErrorBody, truncate } from './upstream-error.ts';
import { EventBatches, firstChunk } from './event-batches.ts';

export { UpstreamError } from './upstream-error.ts';
export type { UpstreamErrorKind } from './upstream-error.ts';
export { closeUpstreamPools } from './pool.ts';
export { USER_AGENT } from './http.ts';

export interface UpstreamTarget {
  /** e.g. https://host/v1 (a trailing slash is tolerated) */
  baseUrl: string;
  apiKey?: string;
  /** per-provider headers (config `headers:`); they win over the defaults */
  headers?: Readonly<Record<string, string>>;
  /** per-provider proxy (config `proxy-url`) */
  proxyUrl?: string;
}

export interface OpenStreamOptions {
  target: UpstreamTarget;
  /** the ResponsesRequest; serialised here, once (a string or Buffer is sent as is) */
  body: unknown;
  /** how an object body becomes its bytes (default: JSON.stringify); the headers are still read from the object */
  encode?: (body: object) => Buffer;
  signal?: AbortSignal;
  timeouts: TimeoutsConfig;
  /** extra request headers; they win over the defaults (names are case-insensitive) */
  headers?: Record<string, string>;
  /** join the runs of deltas in one chunk (sse-events.ts): for a consumer that only appends their pieces */
  joinDeltas?: boolean;
  /** leave out the request the response object echoes (sse-events.ts): for a consumer that never reads it */
  cutEchoedRequest?: boolean;
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

/** Bytes accepted for a 2xx non-SSE (whole JSON response) body: as large as one SSE event may be. */
const MAX_JSON_BODY = 16 * 1024 * 1024;

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
  withExtraHeaders(h, target.headers);
  return withExtraHeaders(h, extra);
}

/** The request's bytes: a string or Buffer as it is, an object through `encode` or JSON.stringify. */
function bodyBytes(opts: OpenStreamOptions): string | Buffer {
  const b = opts.body;
  if (typeof b === 'string' || Buffer.isBuffer(b)) return b;
  if (opts.encode !== undefined && typeof b === 'object' && b !== null) return opts.encode(b);
  return JSON.stringify(b);
}

/** POST the request and resolve once the upstream's response headers are in (2xx) — or throw UpstreamError. */
export async function openResponsesStream(opts: OpenStreamOptions): Promise<UpstreamStream> {
  const { target, timeouts } = opts;
  const url = new URL(`${target.baseUrl.replace(/\/+$/, '')}/responses`);
  const reply = await postUpstream({
    url,
    headers: buildRequestHeaders(target, opts.body, opts.headers),
    body: bodyBytes(opts),
    signal: opts.signal,
    timeouts: { connectMs: timeouts.connectMs, headersMs: timeouts.firstByteMs, idleMs: timeouts.idleMs },
    proxyUrl: target.proxyUrl,
  });
  const { status, headers, requestId, body, url: shownUrl } = reply;
  const base = { status, headers, ...(requestId === undefined ? {} : { requestId }) };
  const contentType = reply.contentType;
  if (contentType.includes('text/event-stream')) {
    return upstreamStream(base, new EventBatches(body, reply, timeouts.idleMs, decoderOptions(opts)));
  }
  if (contentType.includes('json')) {
    return upstreamStream(base, single(await readJsonResponse(reply, opts.signal)));
  }

  // No or an odd content type (some relays send text/plain): sniff the first chunk.
  let first: Buffer | null;
  try {
    first = await firstChunk(body);
  } catch (err) {
    body.destroy();
    throw reply.failure(err);
  }
  const head = first ? first.subarray(0, 512).toString('utf8').trimStart() : '';
  if (/^(data|event|id|retry)?:/.test(head) || head.startsWith(':')) {
    return upstreamStream(base, new EventBatches(body, reply, timeouts.idleMs, decoderOptions(opts), first));
  }
  if (head.startsWith('{')) {
    const rest = await readBounded(body, MAX_JSON_BODY).catch((err: unknown) => { throw reply.failure(err); });
    return upstreamStream(base, single(parseJsonResponse((first?.toString('utf8') ?? '') + rest, shownUrl, requestId)));
  }
  body.destroy();
  throw new UpstreamError('protocol', `upstream ${shownUrl} answered ${status} with ${contentType || 'no content type'}, not an event stream${head ? `: ${truncate(head.replace(/\s+/g, ' '), 120)}` : ' (empty body)'}`, {
    url: shownUrl, ...(requestId === undefined ? {} : { requestId }),
  });
}

function decoderOptions(opts: OpenStreamOptions): DecoderOptions {
  return { joinDeltas: opts.joinDeltas === true, cutEchoedRequest: opts.cutEchoedRequest === true };
}

function upstreamStream(
  base: Pick<UpstreamStream, 'status' | 'headers' | 'requestId'>, batches: AsyncIterable<ResponsesEvent[]>,
): UpstreamStream {
  return { ...base, batches, get events() { return oneByOne(batches); } };
}

async function* oneByOne(batches: AsyncIterable<ResponsesEvent[]>): AsyncGenerator<ResponsesEvent> {
  for await (const batch of batches) yield* batch;
}

async function* single(ev: ResponsesEvent): AsyncGenerator<ResponsesEvent[]> {
  yield [ev];
}

async function readJsonResponse(reply: PostReply, signal: AbortSignal | undefined): Promise<ResponsesEvent> {
  let text: string;
  try {
    text = await readBounded(reply.body, MAX_JSON_BODY);
  } catch (err) {
    throw reply.failure(err);
  }
  if (signal?.aborted) throw reply.failure(signal.reason);
  return parseJsonResponse(text, reply.url, reply.requestId);
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
