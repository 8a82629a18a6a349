// Prices: the built-in table, effort suffixes, globs, operator overrides; cost of one request; CSV export.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { costOf, priceOf } from '../../src/accounting/prices.ts';
import { usageCsv } from '../../src/accounting/usage-csv.ts';

test('priceOf', () => {
  const cases: Array<[string, Record<string, { input: number; cachedInput: number; output: number }>, [number, number, number] | undefined]> = [
    ['gpt-5', {}, [1.25, 0.125, 10]],
    ['gpt-5-codex-high', {}, [1.25, 0.125, 10]],
    ['gpt-5.4-mini', {}, [0.75, 0.075, 4.5]],
    ['gpt-5.4', {}, [2.5, 0.25, 15]],
    ['claude-sonnet-4-5-20250929', {}, [3, 0.3, 15]],
    ['claude-opus-4-1-20250805', {}, [15, 1.5, 75]],
    ['claude-opus-4-5', {}, [5, 0.5, 25]],
    ['my-local-model', {}, undefined],
    ['gpt-5', { 'gpt-5': { input: 1, cachedInput: 0.5, output: 2 } }, [1, 0.5, 2]],
    ['gpt-5-codex-low', { 'gpt-5*': { input: 9, cachedInput: 9, output: 9 } }, [9, 9, 9]],
  ];
  for (const [model, overrides, want] of cases) {
    const p = priceOf(model, overrides);
    assert.deepEqual(p ? [p.input, p.cachedInput, p.output] : undefined, want, model);
  }
});

test('costOf: uncached input, cached input and output priced apart', () => {
  const cost = costOf({ inputTokens: 600, cachedInputTokens: 400, outputTokens: 100 }, priceOf('gpt-5-codex'));
  assert.ok(Math.abs(cost - 0.0018) < 1e-12, String(cost));
  assert.equal(costOf({ inputTokens: 600, cachedInputTokens: 0, outputTokens: 0 }, undefined), 0);
});

test('usageCsv: header, rows, quoting and formula guard', () => {
  const csv = usageCsv([
    { day: '2026-11-20', client: 'alice', model: '=cmd', requests: 2, inputTokens: 1, cachedInputTokens: 2, outputTokens: 3, webSearches: 0, errors: 1, costUsd: 0.0018, errorKinds: { 'http-429': 1 } },
    { day: '2026-11-20', client: 'bob', model: 'a,"b"', requests: 1, inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, webSearches: 0, errors: 0, costUsd: 0, errorKinds: {} },
  ], ['day', 'client', 'model']);
  assert.equal(csv, [
    'day,client,model,requests,input_tokens,cached_input_tokens,output_tokens,web_searches,errors,cost_usd,errors_by_kind',
    "2026-11-20,alice,'=cmd,2,1,2,3,0,1,0.001800,http-429=1",
    '2026-11-20,bob,"a,""b""",1,0,0,0,0,0,0.000000,',
    '',
  ].join('\r\n'));
});
