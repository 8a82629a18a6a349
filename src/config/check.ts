// `packybridge check`: the effective configuration (keys masked) and every problem with its fix. Never writes.
import { stringify } from 'yaml';
import { loadConfig, type LoadOptions, type LoadResult } from './load.ts';
import { snapshotToYamlShape } from './present.ts';
import { formatProblem } from './problems.ts';

export async function checkConfig(opts: LoadOptions): Promise<{ ok: boolean; lines: string[]; result: LoadResult }> {
  const result = await loadConfig({ ...opts, persistSecretHash: false });
  const lines: string[] = [...result.notes];
  const { snapshot, errors, warnings } = result;
  if (snapshot) {
    lines.push('', 'effective configuration (keys masked):');
    lines.push(...stringify(snapshotToYamlShape(snapshot), { lineWidth: 0 }).trimEnd().split('\n').map((l) => `  ${l}`));
  }
  if (errors.length > 0) {
    lines.push('', `errors (${errors.length}):`);
    for (const e of errors) lines.push(`  ✗ ${formatProblem(e)}`);
  }
  if (warnings.length > 0) {
    lines.push('', `warnings (${warnings.length}):`);
    for (const w of warnings) lines.push(`  ! ${formatProblem(w)}`);
  }
  if (snapshot && errors.length === 0 && snapshot.packycodeProblems.length > 0) {
    lines.push('', 'Packycode cannot serve yet:');
    for (const p of snapshot.packycodeProblems) lines.push(`  - ${formatProblem(p)}`);
  }
  const ok = errors.length === 0;
  lines.push('', ok ? 'config OK' : `config has ${errors.length} error(s): fix them and run packybridge check again`);
  return { ok, lines, result };
}
