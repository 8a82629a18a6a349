// Failure classification (what the relay does with each upstream failure) and the short-retry policy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classify, isRetryableStatus, movesOn, retryDelayMs, sleep, type Disposition, type FailureFacts as RetryableFailure } from '../../src/relay/failures.ts';

test('classify: one disposition per failure; which ones move the request to the next candidate', () => {
  const table: Array<[RetryableFailure, Disposition, boolean]> = [
    [{ kind: 'connect' }, 'retryable', true],
    [{ kind: 'disconnect' }, 'retryable', true],
    [{ kind: 'timeout' }, 'failover', true],
    [{ kind: 'idle-timeout' }, 'failover', true],
    [{ kind: 'protocol' }, 'failover', true],
    [{ kind: 'http', status: 500 }, 'retryable', true],
    [{ kind: 'http', status: 502 }, 'retryable', true],
    [{ kind: 'http', status: 503 }, 'retryable', true],
    [{ kind: 'http', status: 504 }, 'retryable', true],
    [{ kind: 'http', status: 529 }, 'retryable', true],
    [{ kind: 'http', status: 429 }, 'retryable', true],
    [{ kind: 'http', status: 429, upstreamCode: 'rate_limit_exceeded' }, 'retryable', true],
    [{ kind: 'http', status: 429, upstreamCode: 'insufficient_quota' }, 'quota', true],
    [{ kind: 'http', status: 402, upstreamCode: 'insufficient_quota' }, 'quota', true],
    [{ kind: 'http', status: 403, upstreamCode: 'billing_hard_limit_reached' }, 'quota', true],
    [{ kind: 'http', status: 401 }, 'config', true],   // this key is wrong: another key or provider may serve
    [{ kind: 'http', status: 403 }, 'config', true],
    [{ kind: 'http', status: 404 }, 'config', true],
    [{ kind: 'http', status: 400 }, 'client', false],
    [{ kind: 'http', status: 400, upstreamCode: 'invalid_request_error' }, 'client', false],
    [{ kind: 'http', status: 408 }, 'client', false],
    [{ kind: 'http', status: 413 }, 'client', false],
    [{ kind: 'http', status: 422 }, 'client', false],
    [{ kind: 'http' }, 'client', false],
    [{ kind: 'stream-error', status: 529 }, 'retryable', true],
    [{ kind: 'stream-error', status: 500 }, 'retryable', true],
    [{ kind: 'stream-error', status: 429 }, 'retryable', true],
    [{ kind: 'stream-error', status: 400 }, 'client', false],
    [{ kind: 'stream-error', status: 401 }, 'client', false],
    [{ kind: 'aborted' }, 'aborted', false],
    [{ kind: 'internal', status: 500 }, 'internal', false],
  ];
  for (const [failure, disposition, moves] of table) {
    assert.equal(classify(failure), disposition, JSON.stringify(failure));
    assert.equal(movesOn(classify(failure)), moves, JSON.stringify(failure));
  }
});

test('retryable statuses: 429 and 5xx', () => {
  const table: Array<[number | undefined, boolean]> = [
    [undefined, false], [200, false], [400, false], [404, false], [428, false], [429, true], [430, false],
    [499, false], [500, true], [503, true], [529, true], [599, true], [600, false],
  ];
  for (const [status, expected] of table) assert.equal(isRetryableStatus(status), expected, String(status));
});

const policy = { delaysMs: [300, 1200], maxRetryAfterMs: 4000 };

const cases: Array<[string, RetryableFailure, number, number | null]> = [
  ['refused connection, first retry', { kind: 'connect' }, 1, 300],
  ['refused connection, second retry', { kind: 'connect' }, 2, 1200],
  ['refused connection, no third retry', { kind: 'connect' }, 3, null],
  ['socket closed before an answer', { kind: 'disconnect' }, 1, 300],
  ['first-byte timeout: already waited long', { kind: 'timeout' }, 1, null],
  ['client aborted', { kind: 'aborted' }, 1, null],
  ['500', { kind: 'http', status: 500 }, 1, 300],
  ['502', { kind: 'http', status: 502 }, 2, 1200],
  ['503 with retry-after 2 s', { kind: 'http', status: 503, retryAfter: '2' }, 1, 2000],
  ['529', { kind: 'http', status: 529 }, 1, 300],
  ['429 with retry-after 1 s waits the retry-after', { kind: 'http', status: 429, retryAfter: '1' }, 1, 1000],
  ['429 with a short retry-after still waits at least the backoff', { kind: 'http', status: 429, retryAfter: '0' }, 2, 1200],
  ['429 with retry-after 30 s: not waited for, the client is told', { kind: 'http', status: 429, retryAfter: '30' }, 1, null],
  ['429 without retry-after', { kind: 'http', status: 429 }, 1, 300],
  ['429 insufficient_quota: retrying cannot help', { kind: 'http', status: 429, upstreamCode: 'insufficient_quota' }, 1, null],
  ['400', { kind: 'http', status: 400 }, 1, null],
  ['401', { kind: 'http', status: 401 }, 1, null],
  ['404', { kind: 'http', status: 404 }, 1, null],
  ['protocol error', { kind: 'protocol' }, 1, null],
];

for (const [name, failure, attempt, expected] of cases) {
  test(`retryDelayMs: ${name}`, () => {
    assert.equal(retryDelayMs(failure, attempt, policy), expected);
  });
}

test('retryDelayMs: an HTTP-date retry-after', () => {
  const soon = new Date(Date.now() + 2500).toUTCString();
  const d = retryDelayMs({ kind: 'http', status: 503, retryAfter: soon }, 1, policy);
  assert.ok(d !== null && d >= 300 && d <= 2500, `got ${d}`);
});

test('retryDelayMs: no retries configured', () => {
  assert.equal(retryDelayMs({ kind: 'connect' }, 1, { delaysMs: [], maxRetryAfterMs: 0 }), null);
});

test('sleep resolves false at once when the signal fires', async () => {
  const ac = new AbortController();
  const p = sleep(60_000, ac.signal);
  ac.abort();
  assert.equal(await p, false);
  assert.equal(await sleep(1, new AbortController().signal), true);
});
