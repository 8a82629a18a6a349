// Usage rows shared by every replica: each replica adds its batches to one Redis hash per day (HINCRBY, so
// replicas never overwrite each other), and any replica answers a usage query for all of them. A query loads
// the days asked for into an in-memory SQLite store and runs the same grouping as the SQLite backend.
// Chosen over "flush to each replica's SQLite" because then no replica could answer for the whole gateway.
import type { UsageBackend } from '../accounting/usage-recorder.ts';
import { SqliteUsageStore, type UsageDelta, type UsageQuery, type UsageRow } from './sqlite-usage-store.ts';
import { KEY_PREFIX, type SharedRedis } from './redis-connection.ts';

const DAYS = `${KEY_PREFIX}usage:days`;
const dayKey = (day: string) => `${KEY_PREFIX}usage:${day}`;
const COUNTERS = ['requests', 'inputTokens', 'cachedInputTokens', 'outputTokens', 'webSearches', 'errors'] as const;

export class RedisUsageStore implements UsageBackend {
  readonly #redis: SharedRedis;

  constructor(redis: SharedRedis) {
    this.#redis = redis;
  }

  /** Throws while Redis is away: the recorder keeps the rows and tries again. */
  async add(deltas: Iterable<UsageDelta>): Promise<void> {
    if (!this.#redis.up) throw new Error('Redis is unreachable');
    const m = this.#redis.client.multi();
    for (const d of deltas) {
      const key = dayKey(d.day);
      const row = JSON.stringify([d.client, d.modelAsked, d.modelUsed, d.provider]);
      m.sadd(DAYS, d.day);
      for (const c of COUNTERS) if (d[c]) m.hincrby(key, `${row}|${c}`, d[c]);
      if (d.costUsd) m.hincrbyfloat(key, `${row}|costUsd`, d.costUsd);
      for (const [kind, n] of Object.entries(d.errorKinds)) m.hincrby(key, `${row}|error:${kind}`, n);
    }
    const results = await m.exec();
    const failed = results?.find(([err]) => err);
    if (failed) throw failed[0];
  }

  async query(q: UsageQuery): Promise<UsageRow[]> {
    const days = (await this.#redis.client.smembers(DAYS)).filter((d) => d >= q.from && d <= q.to).sort();
    const local = new SqliteUsageStore(':memory:');
    try {
      for (const day of days) {
        const fields = await this.#redis.client.hgetall(dayKey(day));
        const rows = new Map<string, UsageDelta>();
        for (const [field, value] of Object.entries(fields)) {
          const bar = field.lastIndexOf('|');
          const rowId = field.slice(0, bar);
          const name = field.slice(bar + 1);
          let d = rows.get(rowId);
          if (!d) {
            const [client, modelAsked, modelUsed, provider] = JSON.parse(rowId) as string[];
            d = { day, client, modelAsked, modelUsed, provider, requests: 0, inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, webSearches: 0, errors: 0, costUsd: 0, errorKinds: {} };
            rows.set(rowId, d);
          }
          if (name.startsWith('error:')) d.errorKinds[name.slice(6)] = Number(value);
          else (d as unknown as Record<string, number>)[name] = Number(value);
        }
        local.add(rows.values());
      }
      return local.query(q);
    } finally {
      local.close();
    }
  }

  async prune(day: string): Promise<number> {
    if (!this.#redis.up) return 0;
    const old = (await this.#redis.client.smembers(DAYS)).filter((d) => d < day);
    if (old.length === 0) return 0;
    await this.#redis.client.multi().del(...old.map(dayKey)).srem(DAYS, ...old).exec();
    return old.length;
  }

  close(): void {}
}
