// Every failure as an Anthropic error: {type:"error", error:{type, message}} with a fitting HTTP status.
import type { AnthropicErrorType } from '../wire/anthropic-stream.ts';

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
  return `the request body was sent as ${contentType ? `"${contentType}"` : 'no content-type'}: send a JSON object with content-type: application/json`;
}
