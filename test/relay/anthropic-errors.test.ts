// clientErrorForUpstream: each upstream failure before the first byte as the client's status, type and message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientErrorForUpstream, type UpstreamFailure } from '../../src/relay/anthropic-errors.ts';

const URL_ = 'https://relay.example/v1/responses';
const TIMEOUTS = { connectMs: 1500, firstByteMs: 90_000, idleMs: 300_000 };
const http = (status: number, more: Partial<UpstreamFailure> = {}): UpstreamFailure => ({ kind: 'http', status, url: URL_, message: `HTTP ${status}`, ...more });
const withCode = (code: string) => Object.assign(new Error(code), { code });

// [name, failure, status, type, message pattern, headers expected]
const CASES: Array<[string, UpstreamFailure, number, string, RegExp, Record<string, string>?]> = [
  ['connection refused', { kind: 'connect', url: URL_, waitedMs: 3, message: 'x', cause: withCode('ECONNREFUSED') }, 502, 'api_error', /relay\.example.*connection refused.*ECONNREFUSED.*after 3 ms.*packycode\.base-url/],
  ['DNS failure', { kind: 'connect', url: URL_, waitedMs: 8, message: 'x', cause: { cause: withCode('ENOTFOUND') } }, 502, 'api_error', /host name not found \(ENOTFOUND\)/],
  ['connect timeout', { kind: 'connect', url: URL_, waitedMs: 1502, message: 'x', cause: withCode('UND_ERR_CONNECT_TIMEOUT') }, 502, 'api_error', /connect-ms \(1500 ms\).*after 1502 ms.*raise timeouts\.connect-ms/],
  ['TLS failure', { kind: 'connect', url: URL_, waitedMs: 20, message: 'x', cause: withCode('ERR_TLS_CERT_ALTNAME_INVALID') }, 502, 'api_error', /TLS handshake failed/],
  ['connect, cause unknown', { kind: 'connect', url: URL_, message: 'cannot connect: weird' }, 502, 'api_error', /cannot connect: weird/],
  ['first-byte timeout', { kind: 'timeout', url: URL_, waitedMs: 90_012, message: 'x' }, 504, 'timeout_error', /relay\.example.*first-byte-ms \(90000 ms\); waited 90012 ms/],
  ['idle timeout (message names the URL)', { kind: 'idle-timeout', url: URL_, message: `upstream ${URL_} went silent` }, 502, 'api_error', /^Packycode: upstream https:\/\/relay\.example\/v1\/responses went silent$/],
  ['protocol (message without URL)', { kind: 'protocol', url: URL_, message: 'bad frame' }, 502, 'api_error', /^Packycode at https:\/\/relay\.example\/v1\/responses: bad frame$/],
  ['401', http(401, { upstreamMessage: 'Incorrect API key' }), 401, 'authentication_error', /Incorrect API key.*packycode\.credentials\.openai-api-key \(effective source: config\.yaml\)/, { 'x-should-retry': 'false' }],
  ['403', http(403), 401, 'authentication_error', /openai-api-key/],
  ['quota (429 insufficient_quota)', http(429, { upstreamCode: 'insufficient_quota' }), 400, 'invalid_request_error', /quota/, { 'x-should-retry': 'false' }],
  ['429 with retry-after', http(429, { retryAfter: '12' }), 429, 'rate_limit_error', /retry after 12 s/, { 'retry-after': '12' }],
  ['404', http(404), 404, 'not_found_error', /base-url/],
  ['413', http(413), 413, 'request_too_large', /too large/],
  ['422', http(422, { upstreamMessage: 'bad param' }), 400, 'invalid_request_error', /bad param/],
  ['500', http(500), 500, 'api_error', /HTTP 500/],
  ['502', http(502), 502, 'api_error', /HTTP 502/],
  ['503 with retry-after', http(503, { retryAfter: '5' }), 529, 'overloaded_error', /overloaded/, { 'retry-after': '5' }],
  ['529', http(529), 529, 'overloaded_error', /overloaded/],
  ['301 (redirect not followed)', http(301), 502, 'api_error', /HTTP 301/],
];

for (const [name, failure, status, type, message, headers] of CASES) {
  test(`${name} -> ${status} ${type}`, () => {
    const e = clientErrorForUpstream(failure, 'config.yaml', TIMEOUTS);
    assert.equal(e.status, status);
    assert.equal(e.type, type);
    assert.match(e.message, message);
    for (const [k, v] of Object.entries(headers ?? {})) assert.equal(e.headers?.[k], v);
  });
}

test('without the timeouts the messages still name the settings', () => {
  assert.match(clientErrorForUpstream({ kind: 'timeout', url: URL_, message: 'x' }, 'env').message, /timeouts\.first-byte-ms/);
  assert.match(clientErrorForUpstream({ kind: 'connect', url: URL_, message: 'x', cause: withCode('UND_ERR_CONNECT_TIMEOUT') }, 'env').message, /timeouts\.connect-ms/);
});
