// The short-retry policy before the first byte: which upstream failures are retried, and after how long.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { retryDelayMs, sleep, type RetryableFailure } from '../../src/server/upstream-retry.ts';

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
