// An upstream failure that happened before the first byte reached the client, as a ClientError.
import type { ClientError } from './errors.ts';
import type { UpstreamError } from '../upstream/upstream-error.ts';
import type { TimeoutsConfig } from '../config/types.ts';
import { isQuotaCode } from '../translate/upstream-error.ts';
import { isContextOverflow, promptTooLong } from '../translate/context-overflow.ts';

/** The fields of an UpstreamError this mapping reads. */
export type UpstreamFailure = Pick<UpstreamError, 'kind' | 'status' | 'retryAfter' | 'upstreamCode' | 'upstreamMessage' | 'url' | 'waitedMs' | 'message' | 'cause'>;

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
function atUrl(e: UpstreamFailure): string {
  return e.message.includes(e.url) ? `Packycode: ${e.message}` : `Packycode at ${e.url}: ${e.message}`;
}

const NO_RETRY = { 'x-should-retry': 'false' };

export function clientErrorForUpstream(e: UpstreamFailure, keySource: string, timeouts?: TimeoutsConfig): ClientError {
  const detail = e.upstreamMessage ? `: ${e.upstreamMessage}` : '';
  switch (e.kind) {
    case 'connect': {
      const timedOut = causeCode(e.cause) === 'UND_ERR_CONNECT_TIMEOUT';
      return {
        status: 502, type: 'api_error',
        message: `packybridge could not connect to Packycode at ${e.url}: ${connectReason(e, timeouts)}` +
          `${e.waitedMs !== undefined ? `, after ${e.waitedMs} ms` : ''}. ` +
          `Check packycode.base-url and the network${timedOut ? ', or raise timeouts.connect-ms' : ''}.`,
      };
    }
    case 'timeout': {
      const limit = timeouts ? `timeouts.first-byte-ms (${timeouts.firstByteMs} ms)` : 'timeouts.first-byte-ms';
      return {
        status: 504, type: 'timeout_error',
        message: `Packycode at ${e.url} sent no response headers within ${limit}` +
          `${e.waitedMs !== undefined ? `; waited ${e.waitedMs} ms` : ''}. It may be overloaded; try again, or raise timeouts.first-byte-ms.`,
      };
    }
    case 'idle-timeout':
    case 'disconnect':
    case 'protocol':
      return { status: 502, type: 'api_error', message: atUrl(e) };
    case 'aborted':
      return { status: 499, type: 'api_error', message: 'the client closed the request' };
    case 'http':
      break;
  }
  const status = e.status ?? 502;
  const code = e.upstreamCode ?? '';
  if (status === 401 || status === 403) {
    return {
      status: 401, type: 'authentication_error', headers: NO_RETRY,
      message: `Packycode rejected the API key (HTTP ${status}${detail}). ` +
        `Fix packycode.credentials.openai-api-key (effective source: ${keySource}).`,
    };
  }
  if (isQuotaCode(code)) {
    // out of money is not a rate limit: Anthropic answers it as a 400 that clients do not retry
    return {
      status: 400, type: 'invalid_request_error', headers: NO_RETRY,
      message: `Packycode says the account's quota is used up (HTTP ${status} ${code}${detail}). Top up the Packycode plan or use another key; retrying will not help.`,
    };
  }
  if (status === 429) {
    const headers: Record<string, string> = {};
    if (e.retryAfter) headers['retry-after'] = e.retryAfter;
    return {
      status: 429, type: 'rate_limit_error', headers,
      message: `Packycode rate limit reached (HTTP 429${detail})${e.retryAfter ? `; retry after ${e.retryAfter} s` : ''}.`,
    };
  }
  if (status === 404) {
    return { status: 404, type: 'not_found_error', headers: NO_RETRY, message: `Packycode answered 404${detail}. Check packycode.base-url (it should end in /v1) and the model name.` };
  }
  if (status === 413) return { status: 413, type: 'request_too_large', headers: NO_RETRY, message: `Packycode: request too large${detail}` };
  if (status >= 400 && status < 500) {
    return { status: 400, type: 'invalid_request_error', headers: NO_RETRY, message: `Packycode refused the request (HTTP ${status}${detail})` };
  }
  if (status === 503 || status === 529) {
    const headers: Record<string, string> = e.retryAfter ? { 'retry-after': e.retryAfter } : {};
    return { status: 529, type: 'overloaded_error', headers, message: `Packycode is overloaded (HTTP ${status}${detail})` };
  }
  return { status: status >= 500 && status < 600 ? status : 502, type: 'api_error', message: `Packycode failed (HTTP ${status}${detail})` };
}

/**
 * [context overflow] When the upstream said the input is over the model's window, Anthropic's own
 * `prompt is too long: N tokens > M maximum` (400, not retried), which makes Claude Code compact and retry.
 * `count` counts the request (only called for an overflow); `window` is the model's input window.
 */
export function contextOverflowClientError(err: ClientError, cause: unknown, count: () => number, window: number): ClientError | undefined {
  const u = cause as Partial<UpstreamFailure> | undefined;
  const code = typeof u?.upstreamCode === 'string' ? u.upstreamCode : undefined;
  const text = typeof u?.upstreamMessage === 'string' ? u.upstreamMessage : err.message;
  if (err.status >= 500 && err.status !== 502) return undefined;
  if (!isContextOverflow(code, text) && !isContextOverflow(undefined, err.message)) return undefined;
  const { type, message } = promptTooLong(count(), window);
  return { status: 400, type, message, headers: NO_RETRY };
}
