import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseErrorBody, safeUrl, toUpstreamError, UpstreamError } from '../../src/upstream/upstream-error.ts';
import type { ErrorContext } from '../../src/upstream/upstream-error.ts';

test('parseErrorBody reads OpenAI and other error shapes', () => {
  const rows: Array<[string, ReturnType<typeof parseErrorBody>]> = [
    ['{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}', { upstreamCode: 'rate_limit_exceeded', upstreamMessage: 'Rate limit reached' }],
    ['{"error":{"message":"Boom","type":"server_error","param":null,"code":null}}', { upstreamCode: 'server_error', upstreamMessage: 'Boom' }],
    ['{"error":"quota exhausted"}', { upstreamMessage: 'quota exhausted' }],
    ['{"detail":"Not Found"}', { upstreamMessage: 'Not Found' }],
    ['<html><body><h1>502 Bad Gateway</h1>\n<hr>nginx</body></html>', { upstreamMessage: '502 Bad Gateway nginx' }],
    ['', {}],
  ];
  for (const [body, want] of rows) assert.deepEqual(parseErrorBody(body), want, body);
});

test('parseErrorBody truncates long messages to about 500 characters', () => {
  const parsed = parseErrorBody(JSON.stringify({ error: { message: 'x'.repeat(5000), code: 'c' } }));
  assert.equal(parsed.upstreamMessage?.length, 500);
});

test('safeUrl drops credentials and query', () => {
  assert.equal(safeUrl(new URL('https://user:secret@example.com:8443/v1/responses?key=abc')), 'https://example.com:8443/v1/responses');
});

const ctx = (over: Partial<ErrorContext> = {}): ErrorContext => ({
  url: 'http://h/v1/responses', elapsedMs: 7, afterHeaders: false, sinceLastChunkMs: 5, aborted: false,
  connectMs: 100, firstByteMs: 200, idleMs: 300, ...over,
});
const err = (code: string): Error => Object.assign(new Error(code), { code });

test('toUpstreamError maps undici and socket errors to kinds', () => {
  const rows: Array<[unknown, Partial<ErrorContext>, UpstreamError['kind']]> = [
    [err('ECONNREFUSED'), {}, 'connect'],
    [err('ENOTFOUND'), {}, 'connect'],
    [err('UND_ERR_CONNECT_TIMEOUT'), {}, 'connect'],
    [err('CERT_HAS_EXPIRED'), {}, 'connect'],
    [err('UND_ERR_HEADERS_TIMEOUT'), {}, 'timeout'],
    [err('UND_ERR_BODY_TIMEOUT'), { afterHeaders: true }, 'idle-timeout'],
    [err('UND_ERR_SOCKET'), { afterHeaders: true }, 'disconnect'],
    [err('ECONNRESET'), { afterHeaders: true }, 'disconnect'],
    [err('UND_ERR_SOCKET'), {}, 'disconnect'],
    [err('UND_ERR_ABORTED'), { aborted: true }, 'aborted'],
    [new DOMException('This operation was aborted', 'AbortError'), { aborted: true }, 'aborted'],
  ];
  for (const [e, over, kind] of rows) {
    const u = toUpstreamError(e, ctx(over));
    assert.equal(u.kind, kind, String((e as Error).message));
    assert.equal(u.url, 'http://h/v1/responses');
    assert.match(u.message, /http:\/\/h\/v1\/responses/);
  }
});

test('connect errors name the URL and the time waited', () => {
  const u = toUpstreamError(err('ECONNREFUSED'), ctx({ elapsedMs: 12 }));
  assert.equal(u.waitedMs, 12);
  assert.match(u.message, /cannot connect to upstream http:\/\/h\/v1\/responses: ECONNREFUSED after 12 ms/);
});

test('an UpstreamError passes through unchanged', () => {
  const original = new UpstreamError('protocol', 'bad', { url: 'u' });
  assert.equal(toUpstreamError(original, ctx({ aborted: true })), original);
});
