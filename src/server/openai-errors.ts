// Errors on the OpenAI-compatible routes, in OpenAI's shape: {error: {message, type, code, param}}.
// The gateway decides its failures once, as Anthropic-typed ClientErrors (errors.ts, upstream-failure.ts);
// this file only re-dresses them for OpenAI clients (the openai SDKs, the Codex CLI), with OpenAI's types,
// codes and statuses: a quota error is a 429 `insufficient_quota` (not retried: x-should-retry: false), an
// overload a 503, a bad key a 401 `invalid_api_key`.
import type { AnthropicErrorType } from '../wire/anthropic-stream.ts';
import { isQuotaCode } from '../translate/upstream-error.ts';
import { errorBody, type ClientError } from './errors.ts';

export interface OpenAIErrorBody {
  error: { message: string; type: string; code: string | null; param: string | null };
}

export interface OpenAIClientError {
  status: number;
  body: OpenAIErrorBody;
  headers?: Record<string, string>;
}

/** The routes that answer in OpenAI's shape (matched route patterns, or request paths for unmatched ones). */
const OPENAI_ROUTES = new Set(['/v1/responses', '/v1/chat/completions']);

export function isOpenAIRoute(routeOrPath: string | undefined): boolean {
  if (routeOrPath === undefined) return false;
  const path = routeOrPath.split('?')[0].replace(/\/+$/, '');
  return OPENAI_ROUTES.has(path) || path.startsWith('/v1/responses/') || path.startsWith('/v1/chat/');
}

export function openaiErrorBody(message: string, type: string, code: string | null = null, param: string | null = null): OpenAIErrorBody {
  return { error: { message, type, code, param } };
}

/** OpenAI's type and code (and the status, where OpenAI's differs) for each Anthropic error type. */
const FOR_TYPE: Record<AnthropicErrorType, { type: string; code: string | null; status?: number }> = {
  invalid_request_error: { type: 'invalid_request_error', code: null },
  authentication_error: { type: 'invalid_request_error', code: 'invalid_api_key' },
  permission_error: { type: 'invalid_request_error', code: 'permission_denied' },
  not_found_error: { type: 'invalid_request_error', code: 'not_found' },
  request_too_large: { type: 'invalid_request_error', code: 'request_too_large' },
  rate_limit_error: { type: 'rate_limit_error', code: 'rate_limit_exceeded' },
  api_error: { type: 'server_error', code: null },
  timeout_error: { type: 'server_error', code: 'timeout' },
  overloaded_error: { type: 'service_unavailable_error', code: 'server_is_overloaded', status: 503 },
};

/**
 * A gateway error for an OpenAI client. `upstreamCode` (the upstream's own error code, when the failure came
 * from it) keeps quota errors recognisable: OpenAI answers them 429 `insufficient_quota`.
 */
export function toOpenAIError(err: ClientError, upstreamCode?: string, param: string | null = null): OpenAIClientError {
  const headers = err.headers ? { ...err.headers } : undefined;
  if (isQuotaCode(upstreamCode)) {
    return {
      status: 429,
      body: openaiErrorBody(err.message, 'insufficient_quota', 'insufficient_quota', param),
      headers: { ...headers, 'x-should-retry': 'false' },
    };
  }
  const t = FOR_TYPE[err.type] ?? FOR_TYPE.api_error;
  const status = t.status ?? err.status;
  const code = err.type === 'not_found_error' && /model/i.test(err.message) ? 'model_not_found' : t.code;
  return { status, body: openaiErrorBody(err.message, t.type, code, param), ...(headers ? { headers } : {}) };
}

/** The error body for `route`: OpenAI's shape on the OpenAI routes, Anthropic's elsewhere (used by app.ts's hooks). */
export function errorBodyForRoute(route: string | undefined, type: AnthropicErrorType, message: string, requestId: string): unknown {
  if (!isOpenAIRoute(route)) return errorBody(type, message, requestId);
  return toOpenAIError({ status: 0, type, message }).body;
}
