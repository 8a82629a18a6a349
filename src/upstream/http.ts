// One POST to an upstream, for every upstream client: headers, the pooled (or proxied) connection, timeouts,
// bounded reading of error bodies, and every non-2xx reply as an UpstreamError. The clients above it keep only
// what their protocol needs (URL, protocol headers, how to read a 2xx body).
import type { Readable } from 'node:stream';
import { readFileSync } from 'node:fs';
import { postToUpstream } from './pool.ts';
import { UpstreamError, parseErrorBody, safeUrl, toUpstreamError, type ErrorContext } from './upstream-error.ts';

export type HeaderBag = Record<string, string | string[] | undefined>;

export interface UpstreamTimeouts {
  connectMs: number;
  /** response headers */
  headersMs: number;
  /** longest silence between two body chunks */
  idleMs: number;
}

export interface PostRequest {
  url: URL;
  headers: Record<string, string>;
  /** bytes and strings go as they are */
  body: Buffer | string;
  signal?: AbortSignal;
  timeouts: UpstreamTimeouts;
  /** an explicit proxy for this upstream (http://, https://); else the environment's HTTPS_PROXY / NO_PROXY */
  proxyUrl?: string;
  /** non-2xx statuses handed back as a reply instead of thrown (e.g. request errors passed to the client) */
  passStatus?: (status: number) => boolean;
}

export interface PostReply {
  status: number;
  headers: HeaderBag;
  /** lower-cased content-type, '' when absent */
  contentType: string;
  /** the upstream's x-request-id / request-id */
  requestId?: string;
  /** the URL called, without credentials or query */
  url: string;
  body: Readable;
  /** an UpstreamError for anything thrown while the body is read (after the headers) */
  failure(err: unknown): UpstreamError;
}

/** Bytes read from a non-2xx reply body (the rest is dropped). */
export const MAX_ERROR_BODY = 64 * 1024;

export const USER_AGENT = `packybridge/${readVersion()}`;

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export function headerValue(headers: HeaderBag, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Extra headers (config `headers:`) over the defaults; names compared case-insensitively. */
export function withExtraHeaders(base: Record<string, string>, extra?: Readonly<Record<string, string>>): Record<string, string> {
  if (!extra) return base;
  for (const k of Object.keys(extra)) base[k.toLowerCase()] = extra[k];
  return base;
}

/** OpenAI's reset hints, e.g. `1s`, `6m0s`, `20ms`, `1h2m3.5s`, in ms. */
export function parseResetDuration(v: string | undefined): number | undefined {
  if (!v) return undefined;
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let total = 0;
  let matched = '';
  for (let m = re.exec(v); m; m = re.exec(v)) {
    total += Number(m[1]) * (m[2] === 'h' ? 3_600_000 : m[2] === 'm' ? 60_000 : m[2] === 's' ? 1000 : 1);
    matched += m[0];
  }
  return matched === v.trim() && matched !== '' ? total : undefined;
}

/** retry-after as sent, else retry-after-ms, else the later of OpenAI's x-ratelimit-reset-* hints, in seconds. */
function retryAfterOf(headers: HeaderBag): string | undefined {
  const plain = headerValue(headers, 'retry-after');
  if (plain !== undefined) return plain;
  const ms = Number(headerValue(headers, 'retry-after-ms'));
  if (Number.isFinite(ms) && ms >= 0 && headerValue(headers, 'retry-after-ms') !== undefined) return String(Math.ceil(ms / 1000));
  const resets = ['x-ratelimit-reset-requests', 'x-ratelimit-reset-tokens']
    .map((h) => parseResetDuration(headerValue(headers, h)))
    .filter((x): x is number => x !== undefined);
  return resets.length ? String(Math.ceil(Math.max(...resets) / 1000)) : undefined;
}

/** POST and resolve once the response headers are in (2xx or `passStatus`); anything else throws UpstreamError. */
export async function postUpstream(req: PostRequest): Promise<PostReply> {
  const { signal, timeouts } = req;
  const shownUrl = safeUrl(req.url);
  const started = performance.now();
  const ctx = (afterHeaders: boolean, requestId?: string): ErrorContext => ({
    url: shownUrl,
    elapsedMs: Math.round(performance.now() - started),
    afterHeaders,
    sinceLastChunkMs: timeouts.idleMs,
    aborted: signal?.aborted === true,
    connectMs: timeouts.connectMs,
    firstByteMs: timeouts.headersMs,
    idleMs: timeouts.idleMs,
    ...(requestId === undefined ? {} : { requestId }),
  });
  if (signal?.aborted) throw toUpstreamError(signal.reason, ctx(false));

  let res;
  try {
    res = await postToUpstream(req.url, timeouts.connectMs, {
      headers: req.headers,
      body: req.body,
      signal,
      headersTimeout: timeouts.headersMs,
      bodyTimeout: timeouts.idleMs,
      proxyUrl: req.proxyUrl,
    });
  } catch (err) {
    throw toUpstreamError(err, ctx(false));
  }

  const { statusCode: status, headers } = res;
  const body = res.body as unknown as Readable;
  const requestId = headerValue(headers, 'x-request-id') ?? headerValue(headers, 'request-id');
  const rid = requestId === undefined ? {} : { requestId };

  if ((status < 200 || status > 299) && !req.passStatus?.(status)) {
    const text = await readBounded(body, MAX_ERROR_BODY).catch(() => '');
    if (signal?.aborted) throw toUpstreamError(signal.reason, ctx(true, requestId));
    const parsed = parseErrorBody(text);
    const retryAfter = retryAfterOf(headers);
    const what = [parsed.upstreamCode ? `(${parsed.upstreamCode})` : '', parsed.upstreamMessage ? `: ${parsed.upstreamMessage}` : ''].join('');
    throw new UpstreamError('http', `upstream ${shownUrl} answered HTTP ${status}${what ? ` ${what}` : ''}`, {
      url: shownUrl, status, ...parsed, ...(retryAfter === undefined ? {} : { retryAfter }), ...rid,
    });
  }
  return {
    status, headers, url: shownUrl, body, ...rid,
    contentType: (headerValue(headers, 'content-type') ?? '').toLowerCase(),
    failure: (err) => toUpstreamError(err, ctx(true, requestId)),
  };
}

/**
 * Reads a body as UTF-8 text, keeping at most `limit` bytes; stops reading (and frees the socket) past it.
 * `it` continues an iteration already begun on `body`.
 */
export async function readBounded(body: Readable, limit: number, it?: AsyncIterator<Buffer>): Promise<string> {
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
