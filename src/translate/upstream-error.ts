// Upstream (Responses API / Packycode) error codes and HTTP statuses -> Anthropic error types and messages.
import type { AnthropicErrorType } from '../wire/anthropic-stream.ts';

/** Error codes / types the upstream uses, lower-case. Codes win over the HTTP status. */
const BY_CODE: Record<string, AnthropicErrorType> = {
  rate_limit_exceeded: 'rate_limit_error',
  rate_limit_error: 'rate_limit_error',
  rate_limited: 'rate_limit_error',
  too_many_requests: 'rate_limit_error',
  slow_down: 'rate_limit_error',
  usage_limit_reached: 'rate_limit_error', // Codex-style plan window; resets later

  // Out of money: not retryable. Anthropic itself answers "credit balance is too low" as invalid_request_error.
  insufficient_quota: 'invalid_request_error',
  quota_exceeded: 'invalid_request_error',
  billing_hard_limit_reached: 'invalid_request_error',
  billing_not_active: 'invalid_request_error',

  context_length_exceeded: 'invalid_request_error',
  invalid_request_error: 'invalid_request_error',
  string_above_max_length: 'invalid_request_error',
  model_not_supported: 'invalid_request_error',
  unsupported_parameter: 'invalid_request_error',
  unsupported_value: 'invalid_request_error',
  content_policy_violation: 'invalid_request_error',
  content_filter: 'invalid_request_error',
  bio_policy: 'invalid_request_error',
  data_residency_mismatch: 'invalid_request_error',
  cyber_policy: 'invalid_request_error',

  request_too_large: 'request_too_large',
  payload_too_large: 'request_too_large',

  invalid_api_key: 'authentication_error',
  authentication_error: 'authentication_error',
  invalid_authentication: 'authentication_error',
  unauthorized: 'authentication_error',
  token_expired: 'authentication_error',

  permission_error: 'permission_error',
  permission_denied: 'permission_error',
  forbidden: 'permission_error',
  usage_not_included: 'permission_error',
  unsupported_country_region_territory: 'permission_error',

  not_found: 'not_found_error',
  not_found_error: 'not_found_error',
  model_not_found: 'not_found_error',

  timeout: 'timeout_error',
  timeout_error: 'timeout_error',
  request_timeout: 'timeout_error',
  vector_store_timeout: 'timeout_error',

  overloaded: 'overloaded_error',
  overloaded_error: 'overloaded_error',
  server_is_overloaded: 'overloaded_error',
  engine_overloaded: 'overloaded_error',
  service_unavailable: 'overloaded_error',

  server_error: 'api_error',
  internal_error: 'api_error',
  internal_server_error: 'api_error',
  api_error: 'api_error',
  bad_gateway: 'api_error',
};

function typeForStatus(status: number): AnthropicErrorType | null {
  switch (status) {
    case 400: case 422: return 'invalid_request_error';
    case 401: return 'authentication_error';
    case 402: return 'invalid_request_error';
    case 403: return 'permission_error';
    case 404: return 'not_found_error';
    case 408: case 504: return 'timeout_error';
    case 413: return 'request_too_large';
    case 429: return 'rate_limit_error';
    case 503: case 529: return 'overloaded_error';
  }
  if (status >= 500 && status < 600) return 'api_error';
  if (status >= 400 && status < 500) return 'invalid_request_error';
  return null;
}

/**
 * The Anthropic error type for an upstream error code (or error `type`) and/or HTTP status.
 * A known code wins; codes starting with `invalid_` / `unsupported_` / `image_` are request errors;
 * otherwise the status decides; with neither, `api_error`.
 */
export function anthropicErrorTypeForUpstream(codeOrType: string | undefined | null, httpStatus?: number): AnthropicErrorType {
  if (codeOrType) {
    const code = codeOrType.toLowerCase();
    const known = BY_CODE[code];
    if (known) return known;
    if (code.includes('quota')) return 'invalid_request_error';
    if (code.startsWith('invalid_') || code.startsWith('unsupported_') || code.startsWith('image_')) {
      return 'invalid_request_error';
    }
  }
  if (typeof httpStatus === 'number') return typeForStatus(httpStatus) ?? 'api_error';
  return 'api_error';
}

/** True when the code means the account is out of quota (the client must not retry). */
export function isQuotaCode(codeOrType: string | undefined | null): boolean {
  if (!codeOrType) return false;
  const code = codeOrType.toLowerCase();
  return code === 'insufficient_quota' || code.includes('quota') || code.startsWith('billing_');
}

export interface AnthropicError { type: AnthropicErrorType; message: string }

/**
 * An upstream error as the Anthropic error a client sees: type by anthropicErrorTypeForUpstream,
 * message naming Packycode, the code and the upstream's own message.
 */
export function describeUpstreamError(
  codeOrType: string | undefined | null,
  upstreamMessage: string | undefined | null,
  httpStatus?: number,
): AnthropicError {
  const type = anthropicErrorTypeForUpstream(codeOrType, httpStatus);
  const code = codeOrType ? ` (${codeOrType})` : '';
  const detail = upstreamMessage ? `: ${upstreamMessage}` : '';
  if (isQuotaCode(codeOrType)) {
    return {
      type,
      message: `Packycode says the account's quota is used up${code}${detail}. ` +
        'Top up the Packycode plan or use another key; retrying will not help.',
    };
  }
  if (type === 'rate_limit_error') return { type, message: `Packycode rate limit reached${code}${detail}` };
  if (type === 'overloaded_error') return { type, message: `Packycode is overloaded${code}${detail}` };
  if (type === 'authentication_error') return { type, message: `Packycode rejected the API key${code}${detail}` };
  return { type, message: `Packycode error${code}${detail || ': no message'}` };
}
