// The one error type the upstream client throws, and the mapping from undici / HTTP failures to it.

/**
 * 'stream-error': the upstream answered 2xx, then reported a failure in its stream (an error event);
 * 'internal': a packybridge bug met while relaying (kept visible, never moved to another upstream).
 */
export type UpstreamErrorKind = 'connect' | 'timeout' | 'http' | 'aborted' | 'idle-timeout' | 'protocol' | 'disconnect' | 'stream-error' | 'internal';

export interface UpstreamErrorFields {
  status?: number;
  retryAfter?: string;
  upstreamCode?: string;
  upstreamMessage?: string;
  url: string;
  waitedMs?: number;
  requestId?: string;
  cause?: unknown;
  local?: boolean;
}

export class UpstreamError extends Error {
  kind: UpstreamErrorKind;
  /** upstream HTTP status (kind 'http') */
  status?: number;
  /** the upstream's retry-after header, passed on as is */
  retryAfter?: string;
  /** error.code (or error.type) from the upstream's JSON body */
  upstreamCode?: string;
  /** error.message from the upstream's JSON body, at most ~500 characters */
  upstreamMessage?: string;
  /** the URL called (credentials and query removed) */
  url: string;
  /** how long the client waited before giving up (connect / timeout / idle-timeout) */
  waitedMs?: number;
  /** x-request-id of the upstream reply, when there was one */
  requestId?: string;
  /** packybridge refused the attempt itself (e.g. a concurrency limit): the upstream was not called */
  local?: boolean;

  constructor(kind: UpstreamErrorKind, message: string, fields: UpstreamErrorFields) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.name = 'UpstreamError';
    this.kind = kind;
    this.url = fields.url;
    if (fields.status !== undefined) this.status = fields.status;
    if (fields.retryAfter !== undefined) this.retryAfter = fields.retryAfter;
    if (fields.upstreamCode !== undefined) this.upstreamCode = fields.upstreamCode;
    if (fields.upstreamMessage !== undefined) this.upstreamMessage = fields.upstreamMessage;
    if (fields.waitedMs !== undefined) this.waitedMs = fields.waitedMs;
    if (fields.requestId !== undefined) this.requestId = fields.requestId;
    if (fields.local) this.local = true;
  }
}

export const MAX_UPSTREAM_MESSAGE = 500;

/** The URL without user-info, query or fragment: safe to show in messages and logs. */
export function safeUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

export function truncate(s: string, max = MAX_UPSTREAM_MESSAGE): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

const CONNECT_CODES = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN',
  'ETIMEDOUT', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT', 'ECONNABORTED',
]);

function errCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null;
  if (e && typeof e.code === 'string') return e.code;
  if (e?.cause && typeof e.cause.code === 'string') return e.cause.code;
  return undefined;
}

function isTlsError(err: unknown): boolean {
  const code = errCode(err) ?? '';
  return code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code);
}

export interface ErrorContext {
  url: string;
  /** ms since the request started */
  elapsedMs: number;
  /** true once response headers arrived */
  afterHeaders: boolean;
  /** ms since the last body chunk (or the headers) */
  sinceLastChunkMs: number;
  aborted: boolean;
  connectMs: number;
  firstByteMs: number;
  idleMs: number;
  requestId?: string;
}

/** Map anything thrown while calling the upstream (undici, node:net, our parser) to an UpstreamError. */
export function toUpstreamError(err: unknown, ctx: ErrorContext): UpstreamError {
  if (err instanceof UpstreamError) return err;
  const base = { url: ctx.url, cause: err, requestId: ctx.requestId };
  if (ctx.aborted) {
    return new UpstreamError('aborted', `request to ${ctx.url} aborted by the client after ${ctx.elapsedMs} ms`, { ...base, waitedMs: ctx.elapsedMs });
  }
  const code = errCode(err);
  const detail = code ?? (err instanceof Error ? err.message : String(err));
  if (code === 'UND_ERR_HEADERS_TIMEOUT') {
    return new UpstreamError('timeout', `upstream ${ctx.url} sent no response headers within ${ctx.firstByteMs} ms (timeouts.first-byte-ms)`, { ...base, waitedMs: ctx.elapsedMs });
  }
  if (code === 'UND_ERR_BODY_TIMEOUT') {
    return new UpstreamError('idle-timeout', `upstream ${ctx.url} sent nothing for ${ctx.idleMs} ms (timeouts.idle-ms)`, { ...base, waitedMs: ctx.sinceLastChunkMs });
  }
  if (!ctx.afterHeaders && (code === 'UND_ERR_CONNECT_TIMEOUT' || (code !== undefined && CONNECT_CODES.has(code)) || isTlsError(err))) {
    const what = code === 'UND_ERR_CONNECT_TIMEOUT' ? `connect timeout (${ctx.connectMs} ms, timeouts.connect-ms)` : detail;
    return new UpstreamError('connect', `cannot connect to upstream ${ctx.url}: ${what} after ${ctx.elapsedMs} ms`, { ...base, waitedMs: ctx.elapsedMs });
  }
  if (ctx.afterHeaders) {
    return new UpstreamError('disconnect', `upstream ${ctx.url} closed the connection mid-stream (${detail}) after ${ctx.elapsedMs} ms`, { ...base, waitedMs: ctx.elapsedMs });
  }
  return new UpstreamError('disconnect', `upstream ${ctx.url} closed the connection before answering (${detail}) after ${ctx.elapsedMs} ms`, { ...base, waitedMs: ctx.elapsedMs });
}

export interface ParsedErrorBody {
  upstreamCode?: string;
  upstreamMessage?: string;
}

/** Read OpenAI's `{error:{message,type,code}}` (or a plain-text body) into code + message. */
export function parseErrorBody(text: string): ParsedErrorBody {
  const trimmed = text.trim();
  if (trimmed === '') return {};
  try {
    const json = JSON.parse(trimmed) as unknown;
    if (json && typeof json === 'object') {
      const obj = json as Record<string, unknown>;
      const e = (obj.error && typeof obj.error === 'object' ? obj.error : obj) as Record<string, unknown>;
      const out: ParsedErrorBody = {};
      const c = typeof e.code === 'string' && e.code ? e.code : typeof e.type === 'string' && e.type ? e.type : undefined;
      if (c !== undefined) out.upstreamCode = c;
      const m = typeof e.message === 'string' ? e.message : typeof obj.error === 'string' ? obj.error : typeof obj.detail === 'string' ? obj.detail : undefined;
      if (m !== undefined) out.upstreamMessage = truncate(m);
      return out;
    }
  } catch {
    // not JSON: fall through to text
  }
  // an HTML error page or plain text: keep a short, single-line excerpt
  const plain = trimmed.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
  return plain ? { upstreamMessage: truncate(plain, 200) } : {};
}
