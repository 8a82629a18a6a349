// Upstream failures as Anthropic errors (status, type, message, headers), naming the provider that failed and
// the config key to fix. The one place these words are chosen; the relay and the management status use them.
import type { ClientError } from '../server/errors.ts';
import type { UpstreamError } from '../upstream/upstream-error.ts';
import type { TimeoutsConfig } from '../config/types.ts';
import { isQuotaCode } from '../translate/upstream-error.ts';
import { isContextOverflow, promptTooLong, statedOverflow } from '../translate/context-overflow.ts';

/** How messages name a provider and where its settings live. */
export interface ProviderLabel {
  /** e.g. `Packycode`, `fallback "alpha"`, `codex-api-key "relay-b"` */
  name: string;
  /** the key's setting, e.g. `packycode.credentials.openai-api-key (effective source: config.yaml)` */
  keyPath: string;
  /** the URL's setting, e.g. `packycode.base-url` */
  urlPath: string;
  /** what a 404 usually means for this kind of upstream */
  notFoundHint: string;
}

export function packycodeLabel(keySource: string): ProviderLabel {
  return {
    name: 'Packycode',
    keyPath: `packycode.credentials.openai-api-key (effective source: ${keySource})`,
    urlPath: 'packycode.base-url',
    notFoundHint: 'Check packycode.base-url (it should end in /v1) and the model name.',
  };
}

/** The fields of an UpstreamError this mapping reads. */
export type UpstreamFailure = Pick<UpstreamError, 'kind' | 'status' | 'retryAfter' | 'upstreamCode' | 'upstreamMessage' | 'url' | 'waitedMs' | 'message' | 'cause'> & { local?: boolean };

function causeCode(cause: unknown): string | undefined {
  const c = cause as { code?: unknown; cause?: { code?: unknown } } | null | undefined;
  if (c && typeof c.code === 'string') return c.code;
  if (c?.cause && typeof c.cause.code === 'string') return c.cause.code;
  return undefined;
}

const CONNECT_WHY: Record<string, string> = {
  ECONNREFUSED: 'connection refused (nothing listens there)',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed (DNS)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset',
};

function connectReason(e: UpstreamFailure, timeouts?: TimeoutsConfig): string {
  const code = causeCode(e.cause);
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return `no connection within timeouts.connect-ms (${timeouts?.connectMs ?? '?'} ms)`;
  if (code && (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code))) return `TLS handshake failed (${code})`;
  if (code) return `${CONNECT_WHY[code] ?? 'connect failed'} (${code})`;
  return e.message;
}

/** The message as is when it already names the URL, else prefixed with it. */
function atUrl(who: string, e: UpstreamFailure): string {
  return e.message.includes(e.url) ? `${who}: ${e.message}` : `${who} at ${e.url}: ${e.message}`;
}

const NO_RETRY = { 'x-should-retry': 'false' };

/** A failure before the first byte reached the client, as the error the client gets. */
export function clientErrorForUpstream(e: UpstreamFailure, label: ProviderLabel | string, timeouts?: TimeoutsConfig): ClientError {
  const p = typeof label === 'string' ? packycodeLabel(label) : label;
  const who = p.name;
  const detail = e.upstreamMessage ? `: ${e.upstreamMessage}` : '';
  switch (e.kind) {
    case 'connect': {
      const timedOut = causeCode(e.cause) === 'UND_ERR_CONNECT_TIMEOUT';
      return {
        status: 502, type: 'api_error',
        message: `packybridge could not connect to ${who} at ${e.url}: ${connectReason(e, timeouts)}` +
          `${e.waitedMs !== undefined ? `, after ${e.waitedMs} ms` : ''}. ` +
          `Check ${p.urlPath} and the network${timedOut ? ', or raise timeouts.connect-ms' : ''}.`,
      };
    }
    case 'timeout': {
      const limit = timeouts ? `timeouts.first-byte-ms (${timeouts.firstByteMs} ms)` : 'timeouts.first-byte-ms';
      return {
        status: 504, type: 'timeout_error',
        message: `${who} at ${e.url} sent no response headers within ${limit}` +
          `${e.waitedMs !== undefined ? `; waited ${e.waitedMs} ms` : ''}. It may be overloaded; try again, or raise timeouts.first-byte-ms.`,
      };
    }
    case 'idle-timeout':
    case 'disconnect':
    case 'protocol':
      return { status: 502, type: 'api_error', message: atUrl(who, e) };
    case 'aborted':
      return { status: 499, type: 'api_error', message: 'the client closed the request' };
    case 'http':
    case 'stream-error':
      break;
  }
  if (e.local) {
    return { status: 529, type: 'overloaded_error', message: `packybridge is at its limit of requests in flight to ${who} (${e.upstreamMessage ?? 'limits.max-concurrent-per-upstream'}); try again shortly, or raise the limit.` };
  }
  const status = e.status ?? 502;
  const code = e.upstreamCode ?? '';
  if (e.kind === 'stream-error' && !isQuotaCode(code)) return streamErrorAsClientError(e, status);
  if (status === 401 || status === 403) {
    return {
      status: 401, type: 'authentication_error', headers: NO_RETRY,
      message: `${who} rejected the API key (HTTP ${status}${detail}). Fix ${p.keyPath}.`,
    };
  }
  if (isQuotaCode(code)) {
    // out of money is not a rate limit: Anthropic answers it as a 400 that clients do not retry
    return {
      status: 400, type: 'invalid_request_error', headers: NO_RETRY,
      message: `${who} says the account's quota is used up (HTTP ${status} ${code}${detail}). Top up the plan or use another key; retrying will not help.`,
    };
  }
  if (status === 429) {
    const headers: Record<string, string> = {};
    if (e.retryAfter) headers['retry-after'] = e.retryAfter;
    return {
      status: 429, type: 'rate_limit_error', headers,
      message: `${who} rate limit reached (HTTP 429${detail})${e.retryAfter ? `; retry after ${e.retryAfter} s` : ''}.`,
    };
  }
  if (status === 404) {
    return { status: 404, type: 'not_found_error', headers: NO_RETRY, message: `${who} answered 404${detail}. ${p.notFoundHint}` };
  }
  if (status === 413) return { status: 413, type: 'request_too_large', headers: NO_RETRY, message: `${who}: request too large${detail}` };
  if (status >= 400 && status < 500) {
    return { status: 400, type: 'invalid_request_error', headers: NO_RETRY, message: `${who} refused the request (HTTP ${status}${detail})` };
  }
  if (status === 503 || status === 529) {
    const headers: Record<string, string> = e.retryAfter ? { 'retry-after': e.retryAfter } : {};
    return { status: 529, type: 'overloaded_error', headers, message: `${who} is overloaded (HTTP ${status}${detail})` };
  }
  return { status: status >= 500 && status < 600 ? status : 502, type: 'api_error', message: `${who} failed (HTTP ${status}${detail})` };
}

/** A failure reported inside a 2xx stream: the translator already chose type and words (kept in upstreamMessage). */
function streamErrorAsClientError(e: UpstreamFailure, status: number): ClientError {
  const type = (e.upstreamCode ?? 'api_error') as ClientError['type'];
  return { status, type, message: e.upstreamMessage ?? e.message };
}

/** One failed attempt, in words the operator can act on (for the "Failover also failed" tail). */
export function describeAttempt(label: ProviderLabel, e: UpstreamFailure): string {
  const detail = e.upstreamMessage ? `: ${e.upstreamMessage}` : '';
  if (e.kind === 'http' && (e.status === 401 || e.status === 403)) {
    return `${label.name} rejected its api-key (HTTP ${e.status}${detail}); check ${label.keyPath} in config.yaml`;
  }
  if (e.kind === 'http' && e.status === 404) return `${label.name} answered 404 at ${e.url}${detail}; ${label.notFoundHint}`;
  return `${label.name}: ${e.message}`;
}

/** The error the client gets when the other candidates failed too: `base` (the first failure's), naming each. */
export function withFailoverAttempts(base: ClientError, tails: string[]): ClientError {
  if (tails.length === 0) return base;
  return { ...base, message: `${base.message.replace(/\.?\s*$/, '.')} Failover also failed: ${tails.join('; ')}.` };
}

/**
 * [context overflow] When a Responses upstream said the input is over the model's window: Anthropic's own
 * `prompt is too long: N tokens > M maximum` (400, not retried), which makes Claude Code compact and retry.
 * `count` counts the request (only called for an overflow); `window` is the model's input window. When the
 * upstream's message states its own counts (`statedOverflow`), those are used instead.
 */
export function contextOverflowClientError(err: ClientError, cause: Partial<UpstreamFailure> | undefined, count: () => number, window: number): ClientError | undefined {
  const code = typeof cause?.upstreamCode === 'string' ? cause.upstreamCode : undefined;
  const text = typeof cause?.upstreamMessage === 'string' ? cause.upstreamMessage : err.message;
  if (err.status >= 500 && err.status !== 502) return undefined;
  if (!isContextOverflow(code, text) && !isContextOverflow(undefined, err.message)) return undefined;
  // numbers the upstream states beat the local count and the catalog's window: the client gets the real gap
  const stated = statedOverflow(text) ?? statedOverflow(err.message);
  const { type, message } = stated ? promptTooLong(stated.counted, stated.window) : promptTooLong(count(), window);
  return { status: 400, type, message, headers: NO_RETRY };
}
