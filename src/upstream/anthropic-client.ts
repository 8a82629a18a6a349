// HTTP client for Anthropic-compatible fallbacks: POST {base-url}/v1/messages with the client's body unchanged,
// reply bytes handed back as they arrive (no parsing of the success body here).
import type { TimeoutsConfig } from '../config/types.ts';
import { postUpstream, headerValue, withExtraHeaders, USER_AGENT, type HeaderBag } from './http.ts';

export type { HeaderBag } from './http.ts';
export { readBounded } from './http.ts';

export interface AnthropicTarget {
  /** as for ANTHROPIC_BASE_URL: https://api.anthropic.com, no /v1 (a trailing slash is tolerated) */
  baseUrl: string;
  apiKey: string;
  /** per-provider headers (config `headers:`); they win over the defaults */
  headers?: Readonly<Record<string, string>>;
  /** per-provider proxy (config `proxy-url`) */
  proxyUrl?: string;
}

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
  return withExtraHeaders(h, target.headers);
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

/** POST the request; resolves once response headers arrive with a 2xx (or a `passStatus`) — else throws UpstreamError. */
export async function openAnthropicMessages(opts: AnthropicRequestOptions): Promise<AnthropicReply> {
  const { target, signal, timeouts } = opts;
  const stream = opts.stream ?? wantsStream(opts.body);
  const headersMs = stream ? timeouts.firstByteMs : Math.max(timeouts.firstByteMs, opts.nonStreamHeadersMs ?? NON_STREAM_HEADERS_MS);
  const reply = await postUpstream({
    url: anthropicMessagesUrl(target.baseUrl),
    headers: anthropicRequestHeaders(target, opts.clientHeaders),
    body: Buffer.isBuffer(opts.body) || typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
    signal,
    timeouts: { connectMs: timeouts.connectMs, headersMs, idleMs: timeouts.idleMs },
    proxyUrl: target.proxyUrl,
    passStatus: opts.passStatus,
  });
  const { status, headers, contentType, requestId, body } = reply;
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
          throw reply.failure(err);
        }
        if (step.done) break;
        yield step.value;
      }
      // undici ends the body quietly when the request is aborted mid-way
      if (signal?.aborted) throw reply.failure(signal.reason);
      done = true;
    } finally {
      cancel(); // stopped early (or failed): release the connection now
    }
  }
  return {
    status, headers, contentType, sse: contentType.includes('text/event-stream'), url: reply.url,
    ...(requestId === undefined ? {} : { requestId }),
    body: chunks(), cancel,
  };
}
