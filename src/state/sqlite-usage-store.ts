// Usage rows in SQLite (node:sqlite): one row per UTC day, client, model asked, model used and provider, with
// counters added up; errors by kind in a row of their own. Metadata only. Small and bounded: a day has at most
// clients x models x providers rows, and rows older than the retention are deleted.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';

export interface UsageKey {
  day: string;          // YYYY-MM-DD, UTC
  client: string;
  modelAsked: string;
  modelUsed: string;    // '' when no model served the request
  provider: string;     // '' when no provider served it
}

export interface UsageCounters {
  requests: number;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  webSearches: number;
  errors: number;
  costUsd: number;
  /** errors by kind */
  errorKinds: Record<string, number>;
}

export type UsageDelta = UsageKey & UsageCounters;

export const GROUP_COLUMNS = { day: 'day', client: 'client', model: 'model_asked', 'model-used': 'model_used', provider: 'provider' } as const;
export type GroupBy = keyof typeof GROUP_COLUMNS;

export interface UsageQuery {
  from: string;   // YYYY-MM-DD inclusive
  to: string;     // YYYY-MM-DD inclusive
  client?: string;
  /** matches the model asked or the model used */
  model?: string;
  groupBy: GroupBy[];
}

export type UsageRow = Partial<Record<GroupBy, string>> & UsageCounters;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS usage_daily (
  day TEXT NOT NULL, client TEXT NOT NULL, model_asked TEXT NOT NULL, model_used TEXT NOT NULL, provider TEXT NOT NULL,
  requests INTEGER NOT NULL DEFAULT 0, input_tokens INTEGER NOT NULL DEFAULT 0, cached_input_tokens INTEGER NOT NULL DEFAULT 0,
  output_tokens INTEGER NOT NULL DEFAULT 0, web_searches INTEGER NOT NULL DEFAULT 0, errors INTEGER NOT NULL DEFAULT 0,
  cost_usd REAL NOT NULL DEFAULT 0,
  PRIMARY KEY (day, client, model_asked, model_used, provider)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS usage_errors (
  day TEXT NOT NULL, client TEXT NOT NULL, model_asked TEXT NOT NULL, model_used TEXT NOT NULL, provider TEXT NOT NULL,
  kind TEXT NOT NULL, count INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (day, client, model_asked, model_used, provider, kind)
) WITHOUT ROWID;
`;

export const USAGE_FILE = 'packybridge-usage.sqlite';

export class SqliteUsageStore {
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #addRow: StatementSync;
  readonly #addError: StatementSync;

  /** `path` a file (its folder is created) or ':memory:'. */
  constructor(path: string) {
    this.path = path;
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.#db = new DatabaseSync(path);
    this.#db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;');
    this.#db.exec(SCHEMA);
    this.#addRow = this.#db.prepare(`INSERT INTO usage_daily (day, client, model_asked, model_used, provider, requests, input_tokens,
      cached_input_tokens, output_tokens, web_searches, errors, cost_usd) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (day, client, model_asked, model_used, provider) DO UPDATE SET requests = requests + excluded.requests,
      input_tokens = input_tokens + excluded.input_tokens, cached_input_tokens = cached_input_tokens + excluded.cached_input_tokens,
      output_tokens = output_tokens + excluded.output_tokens, web_searches = web_searches + excluded.web_searches,
      errors = errors + excluded.errors, cost_usd = cost_usd + excluded.cost_usd`);
    this.#addError = this.#db.prepare(`INSERT INTO usage_errors (day, client, model_asked, model_used, provider, kind, count)
      VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (day, client, model_asked, model_used, provider, kind) DO UPDATE SET count = count + excluded.count`);
  }

  /** Adds the deltas in one transaction (all or nothing). */
  add(deltas: Iterable<UsageDelta>): void {
    this.#db.exec('BEGIN');
    try {
      for (const d of deltas) {
        this.#addRow.run(d.day, d.client, d.modelAsked, d.modelUsed, d.provider, d.requests, d.inputTokens, d.cachedInputTokens, d.outputTokens, d.webSearches, d.errors, d.costUsd);
        for (const [kind, n] of Object.entries(d.errorKinds)) this.#addError.run(d.day, d.client, d.modelAsked, d.modelUsed, d.provider, kind, n);
      }
      this.#db.exec('COMMIT');
    } catch (e) {
      this.#db.exec('ROLLBACK');
      throw e;
    }
  }

  query(q: UsageQuery): UsageRow[] {
    const cols = q.groupBy.map((g) => GROUP_COLUMNS[g]);
    const where = ['day >= ?', 'day <= ?'];
    const args: string[] = [q.from, q.to];
    if (q.client !== undefined) { where.push('client = ?'); args.push(q.client); }
    if (q.model !== undefined) { where.push('(model_asked = ? OR model_used = ?)'); args.push(q.model, q.model); }
    const select = cols.length ? `${cols.join(', ')}, ` : '';
    const group = cols.length ? ` GROUP BY ${cols.join(', ')} ORDER BY ${cols.join(', ')}` : '';
    const rows = this.#db.prepare(`SELECT ${select}SUM(requests) AS requests, SUM(input_tokens) AS input, SUM(cached_input_tokens) AS cached,
      SUM(output_tokens) AS output, SUM(web_searches) AS web, SUM(errors) AS errors, SUM(cost_usd) AS cost
      FROM usage_daily WHERE ${where.join(' AND ')}${group}`).all(...args) as Array<Record<string, string | number | null>>;
    const kinds = this.#db.prepare(`SELECT ${select}kind, SUM(count) AS n FROM usage_errors WHERE ${where.join(' AND ')}
      GROUP BY ${[...cols, 'kind'].join(', ')}`).all(...args) as Array<Record<string, string | number>>;
    const keyOf = (r: Record<string, unknown>) => JSON.stringify(cols.map((c) => r[c]));
    const out = new Map<string, UsageRow>();
    for (const r of rows) {
      if (r.requests === null) continue; // no rows at all (an aggregate without GROUP BY answers one null row)
      const row: UsageRow = {
        requests: Number(r.requests), inputTokens: Number(r.input), cachedInputTokens: Number(r.cached), outputTokens: Number(r.output),
        webSearches: Number(r.web), errors: Number(r.errors), costUsd: Number(r.cost), errorKinds: {},
      };
      q.groupBy.forEach((g, i) => { row[g] = String(r[cols[i]]); });
      out.set(keyOf(r), row);
    }
    for (const k of kinds) {
      const row = out.get(keyOf(k));
      if (row) row.errorKinds[String(k.kind)] = Number(k.n);
    }
    return [...out.values()];
  }

  /** Deletes the rows of days before `day`; the number of usage rows deleted. */
  prune(day: string): number {
    const r = this.#db.prepare('DELETE FROM usage_daily WHERE day < ?').run(day);
    this.#db.prepare('DELETE FROM usage_errors WHERE day < ?').run(day);
    return Number(r.changes);
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}
