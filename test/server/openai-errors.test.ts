import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toOpenAIError, isOpenAIRoute, errorBodyForRoute } from '../../src/server/openai-errors.ts';
import type { ClientError } from '../../src/server/errors.ts';

describe('toOpenAIError', () => {
  const cases: Array<{ err: ClientError; code?: string; status: number; type: string; errCode: string | null }> = [
    { err: { status: 400, type: 'invalid_request_error', message: 'bad' }, status: 400, type: 'invalid_request_error', errCode: null },
    { err: { status: 401, type: 'authentication_error', message: 'key' }, status: 401, type: 'invalid_request_error', errCode: 'invalid_api_key' },
    { err: { status: 403, type: 'permission_error', message: 'no' }, status: 403, type: 'invalid_request_error', errCode: 'permission_denied' },
    { err: { status: 404, type: 'not_found_error', message: 'Packycode answered 404. Check the model name.' }, status: 404, type: 'invalid_request_error', errCode: 'model_not_found' },
    { err: { status: 404, type: 'not_found_error', message: 'no route for GET /v1/x' }, status: 404, type: 'invalid_request_error', errCode: 'not_found' },
    { err: { status: 413, type: 'request_too_large', message: 'big' }, status: 413, type: 'invalid_request_error', errCode: 'request_too_large' },
    { err: { status: 429, type: 'rate_limit_error', message: 'slow' }, status: 429, type: 'rate_limit_error', errCode: 'rate_limit_exceeded' },
    { err: { status: 400, type: 'invalid_request_error', message: 'quota' }, code: 'insufficient_quota', status: 429, type: 'insufficient_quota', errCode: 'insufficient_quota' },
    { err: { status: 502, type: 'api_error', message: 'down' }, status: 502, type: 'server_error', errCode: null },
    { err: { status: 504, type: 'timeout_error', message: 'slow' }, status: 504, type: 'server_error', errCode: 'timeout' },
    { err: { status: 529, type: 'overloaded_error', message: 'busy' }, status: 503, type: 'service_unavailable_error', errCode: 'server_is_overloaded' },
  ];
  for (const c of cases) {
    it(`${c.err.type}${c.code ? ` (${c.code})` : ''} -> ${c.status} ${c.type}`, () => {
      const e = toOpenAIError(c.err, c.code);
      assert.equal(e.status, c.status);
      assert.deepEqual(e.body, { error: { message: c.err.message, type: c.type, code: c.errCode, param: null } });
    });
  }
  it('a quota error is never retried; other headers are kept', () => {
    assert.equal(toOpenAIError({ status: 400, type: 'invalid_request_error', message: 'q' }, 'insufficient_quota').headers?.['x-should-retry'], 'false');
    assert.equal(toOpenAIError({ status: 429, type: 'rate_limit_error', message: 'r', headers: { 'retry-after': '3' } }).headers?.['retry-after'], '3');
  });
  it('param is carried', () => assert.equal(toOpenAIError({ status: 400, type: 'invalid_request_error', message: 'm' }, undefined, 'messages').body.error.param, 'messages'));
});

describe('error shape by route', () => {
  for (const [route, openai] of [['/v1/responses', true], ['/v1/chat/completions', true], ['/v1/chat/other?x=1', true], ['/v1/responses/', true], ['/v1/messages', false], ['/v1/models', false], [undefined, false]] as const) {
    it(`${route} -> ${openai ? 'OpenAI' : 'Anthropic'}`, () => {
      assert.equal(isOpenAIRoute(route), openai);
      const body = errorBodyForRoute(route, 'authentication_error', 'm', 'req_1') as Record<string, unknown>;
      assert.equal('type' in body, !openai);
    });
  }
});
