// Swaps a loaded configuration into the running gateway when it is valid, or refuses it (the last good one
// stays in force); audits enable/disable and changed keys by name, logs problems with their fixes.
import type { LoadResult } from '../config/load.ts';
import type { Runtime } from '../runtime.ts';
import { changedKeys, SECRET_KEYS } from './snapshot-diff.ts';

export type ReloadTrigger = 'file' | 'management' | 'startup';

export interface ReloadOutcome {
  applied: boolean;
  result: LoadResult;
  changedKeys: string[];
}

export function applyResult(runtime: Runtime, result: LoadResult, trigger: ReloadTrigger, meta: Record<string, unknown>): ReloadOutcome {
  if (result.errors.length > 0 || !result.snapshot) {
    runtime.audit.record('config-refused', {
      trigger,
      ...meta,
      problems: result.errors.map((e) => ({ path: e.path, message: e.message, fix: e.fix })),
    });
    for (const e of result.errors) runtime.logger.error({ path: e.path, fix: e.fix }, `config refused (the last good configuration stays in force): ${e.path}: ${e.message}; ${e.fix}`);
    return { applied: false, result, changedKeys: [] };
  }
  const before = runtime.snapshot;
  const keys = changedKeys(before, result.snapshot);
  // swapped in even without a changed key: problems and load time are part of the snapshot too
  runtime.apply(result.snapshot);
  if (keys.length === 0) return { applied: true, result, changedKeys: [] };
  const wasOn = runtime.packycodeUsable(before);
  const isOn = runtime.packycodeUsable(result.snapshot);
  if (!wasOn && isOn) runtime.audit.record('enable', { trigger, ...meta, effectiveSource: result.snapshot.effectiveSource });
  if (wasOn && !isOn) runtime.audit.record('disable', { trigger, ...meta, effectiveSource: result.snapshot.effectiveSource });
  runtime.audit.record('config-change', { trigger, ...meta, keys, secretsChanged: keys.filter((k) => SECRET_KEYS.has(k)) });
  for (const w of result.warnings) runtime.logger.warn({ path: w.path, fix: w.fix }, `config warning: ${w.path}: ${w.message}; ${w.fix}`);
  return { applied: true, result, changedKeys: keys };
}
