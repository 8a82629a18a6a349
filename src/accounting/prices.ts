// The price of a model: the operator's usage.prices first, then the built-in table; an effort suffix
// (gpt-5-codex-high) is priced as its model. Cost of one request in US dollars.
import type { ModelPrice } from '../config/types.ts';
import { matchModelMap, splitEffortSuffix } from '../routing/router.ts';
import { PRICE_TABLE } from './price-table.ts';

const TABLE_MAP = PRICE_TABLE.map((e) => ({ match: e.match, model: e.match }));
const TABLE_BY_MATCH = new Map(PRICE_TABLE.map((e) => [e.match, e]));

function lookup(overrides: Record<string, ModelPrice>, name: string): ModelPrice | undefined {
  if (overrides[name]) return overrides[name];
  const keys = Object.keys(overrides);
  if (keys.length > 0) {
    const hit = matchModelMap(keys.map((k) => ({ match: k, model: k })), name);
    if (hit) return overrides[hit];
  }
  const entry = matchModelMap(TABLE_MAP, name);
  return entry ? TABLE_BY_MATCH.get(entry) : undefined;
}

/** The price of `model`, or undefined when neither usage.prices nor the table knows it (cost 0, reported as unpriced). */
export function priceOf(model: string, overrides: Record<string, ModelPrice> = {}): ModelPrice | undefined {
  return lookup(overrides, model) ?? lookup(overrides, splitEffortSuffix(model).base);
}

export interface TokenCounts {
  inputTokens: number;        // uncached input
  cachedInputTokens: number;
  outputTokens: number;
}

/** US dollars; 0 without a price. */
export function costOf(t: TokenCounts, price: ModelPrice | undefined): number {
  if (!price) return 0;
  return (t.inputTokens * price.input + t.cachedInputTokens * price.cachedInput + t.outputTokens * price.output) / 1_000_000;
}
