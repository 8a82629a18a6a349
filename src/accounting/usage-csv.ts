// Usage rows as CSV (RFC 4180): one header line, one line per row. Text cells that a spreadsheet would run
// as a formula (=, +, -, @ first) get a leading apostrophe.
import type { GroupBy, UsageRow } from '../state/sqlite-usage-store.ts';

const NUMBERS = ['requests', 'input_tokens', 'cached_input_tokens', 'output_tokens', 'web_searches', 'errors', 'cost_usd', 'errors_by_kind'] as const;

function cell(v: string): string {
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function usageCsv(rows: readonly UsageRow[], groupBy: readonly GroupBy[]): string {
  const lines = [[...groupBy.map((g) => g.replace(/-/g, '_')), ...NUMBERS].join(',')];
  for (const r of rows) {
    const kinds = Object.entries(r.errorKinds).map(([k, n]) => `${k}=${n}`).join(';');
    lines.push([
      ...groupBy.map((g) => cell(r[g] ?? '')),
      r.requests, r.inputTokens, r.cachedInputTokens, r.outputTokens, r.webSearches, r.errors, r.costUsd.toFixed(6), cell(kinds),
    ].join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
