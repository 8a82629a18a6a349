// Client limits: the window decision (table-driven) and the in-process limiter.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { decide, DAY_MS, MINUTE_MS } from '../../src/accounting/limit-windows.ts';
import { MemoryLimiter } from '../../src/accounting/limiter.ts';

const T0 = Date.UTC(2026, 10, 26, 12, 0, 10); // 10 s into a minute

describe('decide', () => {
  const cases: Array<{ name: string; limits: Parameters<typeof decide>[0]; counts: Parameters<typeof decide>[1]; want: ReturnType<typeof decide> }> = [
    { name: 'no limits', limits: {}, counts: { requests: 1e6, tokensMinute: 1e9, tokensDay: 1e9 }, want: { ok: true } },
    { name: 'under rpm', limits: { requestsPerMinute: 3 }, counts: { requests: 2, tokensMinute: 0, tokensDay: 0 }, want: { ok: true } },
    { name: 'at rpm', limits: { requestsPerMinute: 3 }, counts: { requests: 3, tokensMinute: 0, tokensDay: 0 }, want: { ok: false, limit: 'requests-per-minute', max: 3, retryAfterS: 50 } },
    { name: 'tpm reached', limits: { tokensPerMinute: 100 }, counts: { requests: 0, tokensMinute: 100, tokensDay: 100 }, want: { ok: false, limit: 'tokens-per-minute', max: 100, retryAfterS: 50 } },
    { name: 'tpm under', limits: { tokensPerMinute: 100 }, counts: { requests: 0, tokensMinute: 99, tokensDay: 99 }, want: { ok: true } },
    { name: 'day first', limits: { tokensPerDay: 10, requestsPerMinute: 1 }, counts: { requests: 5, tokensMinute: 0, tokensDay: 10 }, want: { ok: false, limit: 'tokens-per-day', max: 10, retryAfterS: Math.ceil((DAY_MS - (T0 % DAY_MS)) / 1000) } },
  ];
  for (const c of cases) test(c.name, () => assert.deepEqual(decide(c.limits, c.counts, T0), c.want));
});

describe('MemoryLimiter', () => {
  test('counts admitted requests per minute and resets on the next minute', async () => {
    const l = new MemoryLimiter();
    const limits = { requestsPerMinute: 2 };
    assert.equal((await l.admit('alice', limits, T0)).ok, true);
    assert.equal((await l.admit('alice', limits, T0 + 1)).ok, true);
    const third = await l.admit('alice', limits, T0 + 2);
    assert.equal(third.ok, false);
    assert.equal((await l.admit('bob', limits, T0 + 2)).ok, true, 'another client has its own counters');
    assert.equal((await l.admit('alice', limits, T0 + MINUTE_MS)).ok, true, 'a new minute');
    assert.deepEqual(await l.counts('alice', T0 + MINUTE_MS), { requests: 1, tokensMinute: 0, tokensDay: 0 });
  });

  test('tokens count against the minute and the day', async () => {
    const l = new MemoryLimiter();
    l.addTokens('alice', 70, T0);
    l.addTokens('alice', 40, T0);
    assert.equal((await l.admit('alice', { tokensPerMinute: 100 }, T0)).ok, false);
    assert.equal((await l.admit('alice', { tokensPerMinute: 100 }, T0 + MINUTE_MS)).ok, true);
    const day = await l.admit('alice', { tokensPerDay: 110 }, T0 + MINUTE_MS);
    assert.deepEqual(day.ok ? null : day.limit, 'tokens-per-day');
    assert.equal((await l.admit('alice', { tokensPerDay: 110 }, T0 + DAY_MS)).ok, true);
  });
});
