// Reasoning effort: which one to send upstream for a Messages request.
import type { Effort } from '../wire/responses-request.ts';
import { EFFORTS } from '../wire/responses-request.ts';
import type { ThinkingConfig } from '../wire/anthropic-request.ts';

export interface EffortInputs {
  forcedEffort?: Effort;
  defaultEffort: Effort;
  supportedEfforts?: Effort[];
}

/** Thinking budgets (tokens) below these map to low / medium; anything larger is high. */
export const BUDGET_LOW_BELOW = 4096;
export const BUDGET_MEDIUM_BELOW = 16384;

/** Used for "max" when the model's efforts are unknown: every reasoning model accepts high. */
const SAFE_HIGHEST: Effort = 'high';
/** Used for thinking disabled when the model's efforts are unknown: every reasoning model accepts low. */
const SAFE_LOWEST: Effort = 'low';

const rank = (e: Effort): number => EFFORTS.indexOf(e);

export function isEffort(value: unknown): value is Effort {
  return typeof value === 'string' && (EFFORTS as readonly string[]).includes(value);
}

export function effortFromBudget(budgetTokens: number): Effort {
  if (budgetTokens < BUDGET_LOW_BELOW) return 'low';
  if (budgetTokens < BUDGET_MEDIUM_BELOW) return 'medium';
  return 'high';
}

function sortedSupported(supported?: Effort[]): Effort[] | undefined {
  if (!supported || supported.length === 0) return undefined;
  return [...supported].sort((a, b) => rank(a) - rank(b));
}

/** The nearest supported effort; on a tie the higher one. Unchanged when nothing is known. */
export function clampEffort(effort: Effort, supported?: Effort[]): Effort {
  const list = sortedSupported(supported);
  if (!list || list.includes(effort)) return effort;
  let best = list[0];
  for (const candidate of list) {
    const d = Math.abs(rank(candidate) - rank(effort));
    const bestD = Math.abs(rank(best) - rank(effort));
    if (d < bestD || (d === bestD && rank(candidate) > rank(best))) best = candidate;
  }
  return best;
}

function highest(supported?: Effort[]): Effort {
  const list = sortedSupported(supported);
  return list ? list[list.length - 1] : SAFE_HIGHEST;
}

function lowest(supported?: Effort[]): Effort {
  const list = sortedSupported(supported);
  return list ? list[0] : SAFE_LOWEST;
}

/**
 * forcedEffort > output_config.effort (low/medium/high, "max" = highest supported, other upstream
 * names accepted as is) > thinking (enabled: by budget; adaptive: default; disabled: lowest supported)
 * > defaultEffort; then clamped to the supported efforts.
 */
export function resolveEffort(
  req: { thinking?: ThinkingConfig; output_config?: { effort?: unknown } },
  opts: EffortInputs,
): Effort {
  return clampEffort(pickEffort(req, opts), opts.supportedEfforts);
}

function pickEffort(req: { thinking?: ThinkingConfig; output_config?: { effort?: unknown } }, opts: EffortInputs): Effort {
  if (opts.forcedEffort) return opts.forcedEffort;
  const requested = req.output_config?.effort;
  if (requested === 'max') return highest(opts.supportedEfforts);
  if (isEffort(requested)) return requested;
  const thinking = req.thinking;
  if (thinking?.type === 'enabled') {
    return typeof thinking.budget_tokens === 'number' ? effortFromBudget(thinking.budget_tokens) : opts.defaultEffort;
  }
  if (thinking?.type === 'disabled') return lowest(opts.supportedEfforts);
  return opts.defaultEffort;
}
