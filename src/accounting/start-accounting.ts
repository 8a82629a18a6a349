// Starts usage accounting for a running gateway: the SQLite store in data-dir (next to config.yaml by default),
// the recorder that feeds it off the hot path, and the retention sweep. Without a config file and data-dir,
// usage is kept in memory for this run only (a start-up note says so).
import { join } from 'node:path';
import type { Runtime } from '../runtime.ts';
import { SqliteUsageStore, USAGE_FILE } from '../state/sqlite-usage-store.ts';
import { UsageRecorder, dayOf, type UsageBackend } from './usage-recorder.ts';

const DAY_MS = 86_400_000;

export interface Accounting {
  recorder: UsageRecorder;
  /** where the rows are kept, for the start-up notes */
  where: string;
  close(): Promise<void>;
}

export function startAccounting(runtime: Runtime, opts: { backend?: UsageBackend; flushMs?: number } = {}): Accounting {
  const s = runtime.snapshot;
  const file = s.dataDir ? join(s.dataDir, USAGE_FILE) : ':memory:';
  const backend = opts.backend ?? new SqliteUsageStore(file);
  const recorder = new UsageRecorder(backend, {
    flushMs: opts.flushMs,
    prices: () => runtime.snapshot.usage.prices,
    metrics: runtime.metrics,
    onError: (e) => runtime.logger.error({ err: { message: e.message } }, 'usage rows could not be written; kept for the next try'),
  });
  runtime.usage = recorder;
  runtime.observers.push(recorder);

  const prune = async () => {
    try {
      const cutoff = dayOf(Date.now() - runtime.snapshot.usage.retentionDays * DAY_MS);
      const n = await backend.prune(cutoff);
      if (n > 0) runtime.logger.info({ rows: n, before: cutoff }, 'usage rows past the retention deleted');
    } catch (e) {
      runtime.logger.warn({ err: { message: (e as Error).message } }, 'usage retention sweep failed');
    }
  };
  void prune();
  const sweep = setInterval(() => { void prune(); }, DAY_MS / 4);
  sweep.unref();

  return {
    recorder,
    where: file === ':memory:' ? 'memory (no config file and no data-dir: usage is kept for this run only)' : file,
    async close() {
      clearInterval(sweep);
      const i = runtime.observers.indexOf(recorder);
      if (i >= 0) runtime.observers.splice(i, 1);
      await recorder.close();
    },
  };
}
