// The SQLite usage store on a real file: rows added up per day/client/models/provider, grouped and filtered
// queries, errors by kind, retention, and rows kept when the file is opened again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteUsageStore, type UsageDelta } from '../../src/state/sqlite-usage-store.ts';

const delta = (over: Partial<UsageDelta>): UsageDelta => ({
  day: '2026-11-20', client: 'alice', modelAsked: 'claude-sonnet-4-5', modelUsed: 'gpt-5-codex', provider: 'packycode',
  requests: 1, inputTokens: 100, cachedInputTokens: 50, outputTokens: 10, webSearches: 0, errors: 0, costUsd: 0.001, errorKinds: {}, ...over,
});

test('adds up, groups, filters, prunes, and keeps rows across reopening', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pb-usage-'));
  const file = join(dir, 'sub', 'usage.sqlite');
  try {
    const store = new SqliteUsageStore(file);
    store.add([delta({}), delta({ client: 'bob', requests: 2, inputTokens: 300 })]);
    store.add([delta({ requests: 3, errors: 1, errorKinds: { 'rate-limited': 1 } }), delta({ day: '2026-11-21', modelAsked: 'gpt-5', modelUsed: 'gpt-5' })]);
    store.add([delta({ day: '2026-11-21', modelAsked: 'gpt-5', modelUsed: '', provider: '', errors: 1, inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, costUsd: 0, errorKinds: { 'model-not-allowed': 1 } })]);
    store.close();

    const again = new SqliteUsageStore(file);
    const byClient = again.query({ from: '2026-11-01', to: '2026-11-30', groupBy: ['client'] });
    assert.deepEqual(byClient.map((r) => [r.client, r.requests, r.inputTokens, r.errors, r.errorKinds]), [
      ['alice', 6, 300, 2, { 'rate-limited': 1, 'model-not-allowed': 1 }],
      ['bob', 2, 300, 0, {}],
    ]);
    const aliceByDay = again.query({ from: '2026-11-01', to: '2026-11-30', client: 'alice', groupBy: ['day', 'model', 'model-used'] });
    assert.deepEqual(aliceByDay.map((r) => [r.day, r.model, r['model-used'], r.requests]), [
      ['2026-11-20', 'claude-sonnet-4-5', 'gpt-5-codex', 4],
      ['2026-11-21', 'gpt-5', '', 1],
      ['2026-11-21', 'gpt-5', 'gpt-5', 1],
    ]);
    const gpt5 = again.query({ from: '2026-11-21', to: '2026-11-21', model: 'gpt-5', groupBy: [] });
    assert.equal(gpt5[0].requests, 2);
    assert.ok(Math.abs(again.query({ from: '2026-11-20', to: '2026-11-20', groupBy: [] })[0].costUsd - 0.003) < 1e-12);
    assert.deepEqual(again.query({ from: '2026-12-01', to: '2026-12-31', groupBy: [] }), [], 'no rows: nothing, not a row of nulls');

    assert.equal(again.prune('2026-11-21'), 2, 'the two rows of the 20th');
    assert.deepEqual(again.query({ from: '2026-11-01', to: '2026-11-30', groupBy: ['day'] }).map((r) => r.day), ['2026-11-21']);
    again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
