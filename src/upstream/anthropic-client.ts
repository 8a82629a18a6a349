// HTTP client for Anthropic-compatible fallbacks: POST {base-url}/v1/messages with the client's body unchanged,
// reply bytes handed back as they arrive (no parsing of the success body here).
import type { Readable } from 'node:stream';
import type { TimeoutsConfig } from '../config/types.ts';
import { postToUpstream } from './pool.ts';
import { USER_AGENT } from './responses-client.ts';
import { UpstreamError, parseErrorBody, safeUrl, toUpstreamError } from './upstream-error.ts';
import type { ErrorContext } from './upstream-error.ts';

export interface AnthropicTarget {
  /** as for ANTHROPIC_BASE_URL: https://api.anthropic.com, no /v1 (a trailing slash is tolerated) */
  baseUrl: string;
  apiKey: string;
}

export type HeaderBag = Record<string, string | string[] | undefined>;

export interface AnthropicRequestOptions {
  target: AnthropicTarget;
  /** the client's request body: bytes and strings are sent as they are, an object as JSON */
  body: Buffer | string | object;
  /** the client's request headers; only anthropic-version and anthropic-beta are passed on */
  clientHeaders?: HeaderBag;
  signal?: AbortSignal;
  timeouts: TimeoutsConfig;
  /** whether the client asked for a stream; read from the body when not given */
  stream?: boolean;
  /** non-2xx statuses to hand back as a reply instead of throwing (e.g. request errors to pass through) */
  passStatus?: (status: number) => boolean;
  /** response-headers timeout for non-streaming requests (the reply comes whole, after generation) */
  nonStreamHeadersMs?: number;
}

export interface AnthropicReply {
  status: number;
  headers: HeaderBag;
  /** lower-cased content-type ('' when absent) */
  contentType: string;
  /** the content-type is text/event-stream */
  sse: boolean;
  /** the upstream's request-id, when sent */
  requestId?: string;
  /** the URL called, without credentials or query */
  url: string;
  /** the reply body as it arrives; iterate once. Throws UpstreamError ('idle-timeout' | 'disconnect' | 'aborted'). */
  body: AsyncIterable<Buffer>;
  /** drop the rest of the body and free the connection (idempotent) */
  cancel(): void;
}

export const ANTHROPIC_VERSION = '2023-06-01';
/** Anthropic refuses non-streaming requests expected to run longer than 10 minutes. */
export const NON_STREAM_HEADERS_MS = 600_000;
const MAX_ERROR_BODY = 64 * 1024;

export function anthropicMessagesUrl(baseUrl: string): URL {
  return new URL(`${baseUrl.trim().replace(/\/+$/, '')}/v1/messages`);
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v;
}

/** The fallback's key, JSON, our user-agent, and the client's anthropic-version / anthropic-beta (nothing else). */
export function anthropicRequestHeaders(target: AnthropicTarget, clientHeaders: HeaderBag = {}): Record<string, string> {
  const h: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    'x-api-key': target.apiKey,
    'anthropic-version': first(clientHeaders['anthropic-version'])?.trim() || ANTHROPIC_VERSION,
  };
  const beta = first(clientHeaders['anthropic-beta'])?.trim();
  if (beta) h['anthropic-beta'] = beta;
  return h;
}

function wantsStream(body: Buffer | string | object): boolean {
  if (Buffer.isBuffer(body) || typeof body === 'string') {
    try {
      return (JSON.parse(body.toString()) as { stream?: unknown })?.stream === true;
    } catch {
      return false;
    }
  }
  return (body as { stream?: unknown }).stream === true;
}

function header(headers: HeaderBag, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** POST the request; resolves once response headers arrive with a 2xx (or a `passStatus`) — else throws UpstreamError. */
export async function openAnthropicMessages(opts: AnthropicRequestOptions): Promise<AnthropicReply> {
  const { target, signal, timeouts } = opts;
  const url = anthropicMessagesUrl(target.baseUrl);
  const shownUrl = safeUrl(url);
  const stream = opts.stream ?? wantsStream(opts.body);
  const headersMs = stream ? timeouts.firstByteMs : Math.max(timeouts.firstByteMs, opts.nonStreamHeadersMs ?? NON_STREAM_HEADERS_MS);
  const started = performance.now();
  let lastChunkAt = started;
  const ctx = (afterHeaders: boolean, requestId?: string): ErrorContext => ({
    url: shownUrl,
    elapsedMs: Math.round(performance.now() - started),
    afterHeaders,
    sinceLastChunkMs: Math.round(performance.now() - lastChunkAt),
    aborted: signal?.aborted === true,
    connectMs: timeouts.connectMs,
    firstByteMs: headersMs,
    idleMs: timeouts.idleMs,
    ...(requestId === undefined ? {} : { requestId }),
  });
  if (signal?.aborted) throw toUpstreamError(signal.reason, ctx(false));

  let res;
  try {
    res = await postToUpstream(url, timeouts.connectMs, {
      headers: anthropicRequestHeaders(target, opts.clientHeaders),
      body: Buffer.isBuffer(opts.body) || typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
      signal,
      headersTimeout: headersMs,
      bodyTimeout: timeouts.idleMs,
    });
  } catch (err) {
    throw toUpstreamError(err, ctx(false));
  }

  const { statusCode: status, headers } = res;
  const body = res.body as unknown as Readable;
  const requestId = header(headers, 'request-id') ?? header(headers, 'x-request-id');
  const rid = requestId === undefined ? {} : { requestId };
  lastChunkAt = performance.now();

  if ((status < 200 || status > 299) && !opts.passStatus?.(status)) {
    const text = await readBounded(body, MAX_ERROR_BODY).catch(() => '');
    if (signal?.aborted) throw toUpstreamError(signal.reason, ctx(true, requestId));
    const parsed = parseErrorBody(text);
    const retryAfter = header(headers, 'retry-after');
    const what = [parsed.upstreamCode ? `(${parsed.upstreamCode})` : '', parsed.upstreamMessage ? `: ${parsed.upstreamMessage}` : ''].join('');
    throw new UpstreamError('http', `upstream ${shownUrl} answered HTTP ${status}${what ? ` ${what}` : ''}`, {
      url: shownUrl, status, ...parsed, ...(retryAfter === undefined ? {} : { retryAfter }), ...rid,
    });
  }

  const contentType = (header(headers, 'content-type') ?? '').toLowerCase();
  let done = false;
  const cancel = (): void => {
    if (done) return;
    done = true;
    body.destroy();
  };
  async function* chunks(): AsyncGenerator<Buffer> {
    const it = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    try {
      for (;;) {
        let step: IteratorResult<Buffer>;
        try {
          step = await it.next();
        } catch (err) {
          throw toUpstreamError(err, ctx(true, requestId));
        }
        if (step.done) break;
        lastChunkAt = performance.now();
        yield step.value;
      }
      // undici ends the body quietly when the request is aborted mid-way
      if (signal?.aborted) throw toUpstreamError(signal.reason, ctx(true, requestId));
      done = true;
    } finally {
      cancel(); // stopped early (or failed): release the connection now
    }
  }
  return {
    status, headers, contentType, sse: contentType.includes('text/event-stream'), url: shownUrl, ...rid,
    body: chunks(), cancel,
  };
}

/** Read a body as UTF-8 text, keeping at most `limit` bytes; stops reading (and frees the socket) past it. */
export async function readBounded(body: AsyncIterable<Buffer>, limit: number): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const room = limit - size;
    if (chunk.length >= room) {
      parts.push(chunk.subarray(0, room));
      break; // leaving the loop destroys the stream
    }
    parts.push(chunk);
    size += chunk.length;
  }
  return Buffer.concat(parts).toString('utf8');
}
