// defaults.model-reasoning-effort checked against defaults.model: a catalog model that does not accept the effort
// is a problem with the efforts it does accept (the gateway would otherwise clamp every request silently).
import type { ConfigProblem } from './types.ts';
import { MODEL_CATALOG } from '../routing/model-catalog.ts';
import { splitEffortSuffix } from '../routing/router.ts';
import { problem } from './problems.ts';

/** The efforts a model accepts; undefined for a model the catalog does not know (nothing to check). */
export function catalogEfforts(model: string): readonly string[] | undefined {
  return MODEL_CATALOG.find((m) => m.id === model.trim().toLowerCase())?.efforts;
}

/** Models of the catalog that accept `effort`, for the fix text. */
function modelsAccepting(effort: string): string[] {
  return MODEL_CATALOG.filter((m) => m.efforts.includes(effort as never)).map((m) => m.id);
}

/**
 * The problem with `effort` for `model`, or undefined. A model name with an effort suffix (gpt-5-codex-high)
 * fixes the effort itself, so the default does not apply to it.
 */
export function effortProblem(model: string, effort: string, path: string): ConfigProblem | undefined {
  const { base, effort: suffix } = splitEffortSuffix(model.trim());
  if (suffix !== undefined && catalogEfforts(base) !== undefined) return undefined;
  const accepted = catalogEfforts(model);
  if (accepted === undefined || accepted.includes(effort)) return undefined;
  const others = modelsAccepting(effort);
  return problem(
    path,
    `"${effort}" is not accepted by ${model.trim()} (it accepts ${accepted.join(', ')})`,
    `write one of: ${accepted.join(', ')}` + (others.length > 0 ? `; or choose a model that accepts ${effort}, e.g. ${others.slice(0, 3).join(', ')}` : ''),
  );
}
