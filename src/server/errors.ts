// Every failure as an Anthropic error: {type:"error", error:{type, message}} with a fitting HTTP status.
import type { AnthropicErrorType } from '../wire/anthropic-stream.ts';
import { toOpenAIError } from './openai-errors.ts';

export interface ClientError {
  status: number;
  type: AnthropicErrorType;
  message: string;
  headers?: Record<string, string>;
}

export function errorBody(type: AnthropicErrorType, message: string, requestId?: string) {
  return requestId
    ? { type: 'error' as const, error: { type, message }, request_id: requestId }
    : { type: 'error' as const, error: { type, message } };
}

/** HTTP status Anthropic uses for each error type. */
export const STATUS_FOR_TYPE: Record<AnthropicErrorType, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/** The message for a body that arrived as text (no JSON content type), or undefined when the body is parsed JSON. */
export function textBodyProblem(body: unknown, contentType: string | undefined): string | undefined {
  if (typeof body !== 'string') return undefined;
  // a JSON string ("s") sent as JSON: the validator says the body must be an object
  if (contentType !== undefined && /^application\/([\w.+-]+\+)?json\b/i.test(contentType.trim())) return undefined;
  return `the request body was sent as ${contentType ? `"${contentType}"` : 'no content-type'}: send a JSON object with content-type: application/json`;
}

/** Which error shape a route answers in: Anthropic's, OpenAI's (`/v1/responses`, `/v1/chat/...`), or management's (`/v0/...`, `/panel`). */
export type ErrorShape = 'anthropic' | 'openai' | 'management';

export function errorShapeFor(url: string): ErrorShape {
  const path = url.split('?')[0].toLowerCase();
  if (path.startsWith('/v0/') || path === '/v0' || path.startsWith('/panel')) return 'management';
  if (path.startsWith('/v1/responses') || path.startsWith('/v1/chat/')) return 'openai';
  return 'anthropic';
}

/**
 * An error body in the shape of the route asked for, for the checks that run before any route (Host, CORS,
 * body size and timeouts): `code` is the management/OpenAI code, `type` the Anthropic error type.
 */
export function routeErrorBody(url: string, type: AnthropicErrorType, code: string, message: string, requestId?: string): object {
  switch (errorShapeFor(url)) {
    case 'management': return { error: code, message };
    case 'openai': return toOpenAIError({ status: 0, type, message }).body;
    default: return errorBody(type, message, requestId);
  }
}
