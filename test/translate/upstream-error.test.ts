import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { anthropicErrorTypeForUpstream, describeUpstreamError, isQuotaCode } from '../../src/translate/upstream-error.ts';

describe('anthropicErrorTypeForUpstream', () => {
  const cases: Array<[string | null | undefined, number | undefined, string]> = [
    ['rate_limit_exceeded', undefined, 'rate_limit_error'],
    ['RATE_LIMIT_EXCEEDED', undefined, 'rate_limit_error'],
    ['usage_limit_reached', undefined, 'rate_limit_error'],
    ['insufficient_quota', undefined, 'invalid_request_error'],
    ['insufficient_quota', 429, 'invalid_request_error'],
    ['context_length_exceeded', undefined, 'invalid_request_error'],
    ['invalid_prompt', undefined, 'invalid_request_error'],
    ['invalid_image_url', undefined, 'invalid_request_error'],
    ['image_too_large', undefined, 'invalid_request_error'],
    ['unsupported_parameter', undefined, 'invalid_request_error'],
    ['invalid_request_error', undefined, 'invalid_request_error'],
    ['invalid_api_key', undefined, 'authentication_error'],
    ['server_error', undefined, 'api_error'],
    ['server_error', 429, 'api_error'],
    ['overloaded', undefined, 'overloaded_error'],
    ['server_is_overloaded', undefined, 'overloaded_error'],
    ['model_not_found', undefined, 'not_found_error'],
    ['usage_not_included', undefined, 'permission_error'],
    ['request_too_large', undefined, 'request_too_large'],
    ['vector_store_timeout', undefined, 'timeout_error'],
    [undefined, 400, 'invalid_request_error'],
    [undefined, 401, 'authentication_error'],
    [undefined, 403, 'permission_error'],
    [undefined, 404, 'not_found_error'],
    [undefined, 408, 'timeout_error'],
    [undefined, 413, 'request_too_large'],
    [undefined, 422, 'invalid_request_error'],
    [undefined, 429, 'rate_limit_error'],
    [undefined, 500, 'api_error'],
    [undefined, 502, 'api_error'],
    [undefined, 503, 'overloaded_error'],
    [undefined, 504, 'timeout_error'],
    [undefined, 529, 'overloaded_error'],
    [null, 418, 'invalid_request_error'],
    ['some_new_code', 503, 'overloaded_error'],
    ['some_new_code', undefined, 'api_error'],
    [undefined, undefined, 'api_error'],
    ['', undefined, 'api_error'],
  ];
  for (const [code, status, want] of cases) {
    it(`${code ?? '-'} / ${status ?? '-'} -> ${want}`, () => assert.equal(anthropicErrorTypeForUpstream(code, status), want));
  }
});

describe('describeUpstreamError', () => {
  it('quota: a non-retry type and a message about the Packycode quota', () => {
    const e = describeUpstreamError('insufficient_quota', 'You exceeded your current quota.');
    assert.equal(e.type, 'invalid_request_error');
    assert.match(e.message, /Packycode/);
    assert.match(e.message, /quota/);
    assert.match(e.message, /retrying will not help/);
    assert.match(e.message, /You exceeded your current quota\./);
  });
  const cases: Array<[string | undefined, string | undefined, number | undefined, string, RegExp]> = [
    ['rate_limit_exceeded', 'try in 2s', undefined, 'rate_limit_error', /rate limit.*rate_limit_exceeded.*try in 2s/],
    ['server_is_overloaded', undefined, undefined, 'overloaded_error', /overloaded/],
    ['invalid_api_key', 'bad key', undefined, 'authentication_error', /rejected the API key.*bad key/],
    ['context_length_exceeded', 'too long', undefined, 'invalid_request_error', /context_length_exceeded.*too long/],
    [undefined, undefined, undefined, 'api_error', /Packycode error: no message/],
  ];
  for (const [code, msg, status, type, re] of cases) {
    it(`${code ?? '-'} -> ${type}`, () => {
      const e = describeUpstreamError(code, msg, status);
      assert.equal(e.type, type);
      assert.match(e.message, re);
    });
  }
  it('isQuotaCode', () => {
    assert.equal(isQuotaCode('insufficient_quota'), true);
    assert.equal(isQuotaCode('billing_hard_limit_reached'), true);
    assert.equal(isQuotaCode('rate_limit_exceeded'), false);
    assert.equal(isQuotaCode(null), false);
  });
});
