// Is it safe to apply a management write to a config.yaml that changed since the write read it? Yes when
// the other change touches none of the settings the write changes (the write is then merged onto the new
// file); otherwise the names of the settings both changed, so the write can be refused without undoing
// the other change.
import { parseDocument } from 'yaml';
import { isPlainObject } from '../config/merge.ts';

/** The packycode block as written in config.yaml (unexpanded: ${VAR} references stay); {} without one. */
export function fileBlock(text: string | null): Record<string, unknown> {
  if (text === null) return {};
  const doc = parseDocument(text);
  if (doc.errors.length > 0) return {};
  const block = (doc.toJS() as Record<string, unknown> | null)?.packycode;
  return isPlainObject(block) ? block : {};
}

/** Dotted paths of the leaves a merge patch sets or removes (objects are descended, lists are leaves). */
export function patchPaths(patch: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(patch).flatMap(([k, v]) =>
    isPlainObject(v) && Object.keys(v).length > 0 ? patchPaths(v, `${prefix}${k}.`) : [`${prefix}${k}`]);
}

/** Dotted paths where two values differ (objects are descended, anything else compared whole). */
export function differingPaths(a: unknown, b: unknown, prefix = ''): string[] {
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => differingPaths(a[k], b[k], `${prefix}${k}.`));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [prefix.slice(0, -1) || '(the whole block)'];
}

const overlaps = (a: string, b: string) => a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`);

/**
 * The packycode settings (relative to the block) that changed between `readText` and `nowText` and that
 * the write also changes: `touched` null means the whole block (PUT, or a block created from another source).
 */
export function conflictingPaths(readText: string | null, nowText: string | null, touched: string[] | null): string[] {
  const changed = differingPaths(fileBlock(readText), fileBlock(nowText));
  if (touched === null) return changed;
  return changed.filter((c) => touched.some((t) => overlaps(c, t)));
}
