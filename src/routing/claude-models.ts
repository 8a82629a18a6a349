// The Claude model names Claude Code offers in /model, as entries of the Anthropic-shaped model list: each
// says which GPT model serves it (as routing decides for that name) and carries that model's real input window
// and output limit, in the fields Claude Code's model configuration reads (context_window, runtime.*).
import type { ConfigSnapshot } from '../config/types.ts';
import type { Effort } from '../wire/responses-request.ts';
import type { ModelRegistry } from './model-registry.ts';
import { inputWindow } from './model-catalog.ts';
import { isRefusal, resolveRoute } from './router.ts';

/** Claude Code 2.1.332's /model entries (its built-in list), and the older names it still accepts. */
export const CLAUDE_CODE_MODELS: ReadonlyArray<{ id: string; name: string }> = [
  { id: 'claude-opus-5-5', name: 'Opus 5.5' },
  { id: 'claude-sonnet-5-5', name: 'Sonnet 5.5' },
  { id: 'claude-haiku-5-5', name: 'Haiku 5.5' },
  { id: 'claude-fable-5-2', name: 'Fable 5.2' },
  { id: 'claude-opus-4-8', name: 'Opus 4.8' },
  { id: 'claude-sonnet-5', name: 'Sonnet 5' },
  { id: 'claude-haiku-4-5-20251001', name: 'Haiku 4.5' },
];

/** Claude's effort names for the upstream efforts a model accepts (none/minimal have no Claude name). */
const CLAUDE_EFFORTS: Partial<Record<Effort, string>> = { low: 'low', medium: 'medium', high: 'high', xhigh: 'xhigh' };

export interface ClaudeModelEntry {
  type: 'model';
  id: string;
  display_name: string;
  created_at: string;
  context_window: number;
  max_input_tokens: number;
  max_tokens: number;
  runtime: { max_input_tokens: number; max_output_tokens: number; effort_levels?: string[]; default_effort?: string };
}

/** One entry per Claude name that routes to Packycode; none while Packycode is not usable. */
export function claudeModelEntries(snapshot: ConfigSnapshot, registry: ModelRegistry): ClaudeModelEntry[] {
  const out: ClaudeModelEntry[] = [];
  for (const m of CLAUDE_CODE_MODELS) {
    const route = resolveRoute(snapshot, registry, m.id);
    if (isRefusal(route)) continue;
    const window = inputWindow(route.info);
    const maxOut = route.info?.maxOutputTokens ?? 128_000;
    const efforts = (route.forcedEffort ? [route.forcedEffort] : route.supportedEfforts ?? [])
      .map((e) => CLAUDE_EFFORTS[e]).filter((e): e is string => e !== undefined);
    const served = route.info?.displayName ?? route.upstreamModel;
    const effort = route.forcedEffort ? `, ${route.forcedEffort} effort` : '';
    out.push({
      type: 'model',
      id: m.id,
      display_name: `${m.name} → ${served}${effort} (packybridge)`,
      created_at: new Date((route.info?.created ?? 0) * 1000).toISOString(),
      context_window: window,
      max_input_tokens: window,
      max_tokens: maxOut,
      runtime: {
        max_input_tokens: window,
        max_output_tokens: maxOut,
        ...(efforts.length ? { effort_levels: efforts } : {}),
        ...(route.forcedEffort && CLAUDE_EFFORTS[route.forcedEffort] ? { default_effort: CLAUDE_EFFORTS[route.forcedEffort] } : {}),
      },
    });
  }
  return out;
}
