// UsageRecorder: rows are batched and written every flushMs, also when the option is passed as undefined.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { UsageRecorder, type UsageBackend } from '../../src/accounting/usage-recorder.ts';
import { SqliteUsageStore } from '../../src/state/sqlite-usage-store.ts';
import type { RequestRecord } from '../../src/accounting/request-record.ts';

/** A real in-memory store that counts its write transactions. */
function countingStore(): { backend: UsageBackend; writes: () => number; store: SqliteUsageStore } {
  const store = new SqliteUsageStore(':memory:');
  let writes = 0;
  return {
    store,
    writes: () => writes,
    backend: {
      add: (d) => { writes++; store.add(d); },
      query: (q) => store.query(q),
      prune: (day) => store.prune(day),
      close: () => store.close(),
    },
  };
}

const rec = (i: number): RequestRecord => ({
  at: Date.now(), requestId: `req_${i}`, route: 'messages', client: 'alice', modelAsked: 'claude-sonnet-4-5', modelUsed: 'gpt-5-codex',
  provider: 'packycode', stream: true, status: 200, durationMs: 5, inputTokens: 100, cachedInputTokens: 0, outputTokens: 10, webSearches: 0,
});

for (const [name, opts] of [['flushMs left out', {}], ['flushMs passed as undefined (as start-accounting does)', { flushMs: undefined }]] as const) {
  test(`${name}: requests are batched into one write per second, not one per request`, async () => {
    const c = countingStore();
    const r = new UsageRecorder(c.backend, { prices: () => ({}), ...opts });
    try {
      for (let i = 0; i < 20; i++) {
        r.record(rec(i));
        await sleep(5);
      }
      // 100+ ms passed: a 1 ms timer (the old defect) would have written about 20 transactions by now
      assert.ok(c.writes() <= 1, `${c.writes()} write transactions for 20 requests in ~100 ms`);
      await r.flush();
      const [row] = c.store.query({ from: '2000-01-01', to: '2999-12-31', groupBy: ['client'] });
      assert.equal(row.requests, 20);
      assert.equal(row.inputTokens, 2000);
    } finally {
      await r.close();
    }
  });
}
