// HTTP client for Anthropic-compatible fallbacks: POST {base-url}/v1/messages with the client's body unchanged,
// reply bytes handed back as they arrive, unchanged (a stream's events are only watched: idle time and the
// 16 MiB bound of one event).
import { createParser, type EventSourceParser } from 'eventsource-parser';
import type { TimeoutsConfig } from '../config/types.ts';
import { postUpstream, headerValue, withExtraHeaders, USER_AGENT, type HeaderBag } from './http.ts';
import { IdleWatch } from './idle-watch.ts';
import { MAX_BUFFER_CHARS } from './sse-events.ts';
import { UpstreamError } from './upstream-error.ts';

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
  /**
   * the reply body as it arrives; iterate once. Throws UpstreamError ('idle-timeout' | 'disconnect' | 'aborted' |
   * 'protocol' for an SSE event larger than 16 MiB). Idle time counts from the last event with content or
   * progress (pings, comments and a trickle of bytes do not count); a JSON body must arrive whole within it.
   */
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
  const sse = contentType.includes('text/event-stream');
  async function* chunks(): AsyncGenerator<Buffer> {
    const it = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const watch = new IdleWatch(body, timeouts.idleMs);
    const events = sse ? new ProgressEvents(watch) : null;
    try {
      for (;;) {
        let step: IteratorResult<Buffer>;
        try {
          step = await it.next();
        } catch (err) {
          throw watch.stalled ? watch.error(reply) : reply.failure(err);
        }
        if (step.done) break;
        if (events?.push(step.value) === false) {
          throw new UpstreamError('protocol', `upstream ${reply.url}: upstream SSE event larger than ${MAX_BUFFER_CHARS / (1024 * 1024)} MiB (${MAX_BUFFER_CHARS} characters), packybridge's limit for one event`, {
            url: reply.url, ...(requestId === undefined ? {} : { requestId }),
          });
        }
        yield step.value;
      }
      // undici ends the body quietly when the request is aborted mid-way
      if (signal?.aborted) throw reply.failure(signal.reason);
      done = true;
    } finally {
      watch.stop();
      cancel(); // stopped early (or failed): release the connection now
    }
  }
  return {
    status, headers, contentType, sse, url: reply.url,
    ...(requestId === undefined ? {} : { requestId }),
    body: chunks(), cancel,
  };
}

/** The Messages stream events that carry content or progress (not `ping`, not unknown events). */
const PROGRESS_EVENTS = new Set(['message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop', 'error']);

/** Watches a Messages event stream go by: each event with content or progress re-arms the idle watch. */
class ProgressEvents {
  readonly #decoder = new TextDecoder();
  readonly #parser: EventSourceParser;
  #overflow = false;

  constructor(watch: IdleWatch) {
    this.#parser = createParser({
      onEvent: (ev) => { if (ev.event !== undefined && PROGRESS_EVENTS.has(ev.event)) watch.progress(); },
      onError: (err) => { if (err.type === 'max-buffer-size-exceeded') this.#overflow = true; },
      maxBufferSize: MAX_BUFFER_CHARS,
    });
  }

  /** false once one event grew past the bound */
  push(chunk: Buffer): boolean {
    if (!this.#overflow) this.#parser.feed(this.#decoder.decode(chunk, { stream: true }));
    return !this.#overflow;
  }
}
