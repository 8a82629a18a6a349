// Claude Code's auto mode asks the API to judge each tool call of a reply: the request carries
// `safeguards: [{type: "dangerous_tool_use", classifier_context}]`, and Claude Code (2.1.332) reads
// `safeguard_results` from the final message_delta's delta (streaming) or the message (non-streaming).
// Shapes read from the client itself: a result's status is `available` (a verdict per tool_use id),
// `unavailable` ({reason}) or `unsupported`; a verdict is `evaluated` (flagged / not_flagged, with an optional
// explanation and cited_rule {type, path}), `skipped` or `unavailable` ({reason}).
// Pure: shapes and constructors only.

export const DANGEROUS_TOOL_USE = 'dangerous_tool_use';

export type Verdict =
  | { type: 'evaluated'; outcome: 'flagged' | 'not_flagged'; explanation?: string; cited_rule?: { type: string; path: string } }
  | { type: 'skipped' }
  | { type: 'unavailable'; reason: string };

export type SafeguardStatus =
  | { type: 'available'; tool_uses: Record<string, Verdict> }
  | { type: 'unavailable'; reason: string }
  | { type: 'unsupported' };

export interface SafeguardResult { type: typeof DANGEROUS_TOOL_USE; status: SafeguardStatus }

/** Reasons Claude Code names for a whole-reply `unavailable` (others read as "other"). */
export type UnavailableReason = 'disabled' | 'error' | 'rate_limited' | 'input_too_long';

/** Reasons Claude Code names for one call's `unavailable` verdict (others read as "other"). */
export type CallUnavailableReason = 'timeout' | 'error' | 'refused' | 'input_too_long' | 'input_unparsed' | 'truncated' | 'not_judged_as_run';

/** The `classifier_context` of the request's dangerous_tool_use safeguard, or undefined when none was asked for. */
export function requestedDangerousToolUse(body: unknown): { classifierContext: Record<string, unknown> } | undefined {
  const list = (body as { safeguards?: unknown } | null | undefined)?.safeguards;
  if (!Array.isArray(list)) return undefined;
  const entry = list.find((s) => s !== null && typeof s === 'object' && (s as { type?: unknown }).type === DANGEROUS_TOOL_USE) as
    { classifier_context?: unknown } | undefined;
  if (!entry) return undefined;
  const ctx = entry.classifier_context;
  return { classifierContext: ctx !== null && typeof ctx === 'object' && !Array.isArray(ctx) ? ctx as Record<string, unknown> : {} };
}

/**
 * The answer when no judge runs. Tried against the real Claude Code 2.1.332 (which runs no local classifier
 * for the main session): no `safeguard_results`, `unsupported` or a whole-reply `unavailable` make it show
 * "Auto mode can't check actions in this session" and refuse every action that needs the check; a call
 * `unavailable` for `error`, `timeout`, `rate_limited` makes it hold and retry; `skipped` and `truncated` ask
 * the model to re-issue the call. `not_judged_as_run` per call is the one answer it takes quietly: the call
 * goes to its own permission checks (rules, then asking the user; denied headless where nobody can be asked).
 * A reply without calls is `available` with no verdicts.
 */
export function noJudgeResults(toolUseIds: readonly string[]): SafeguardResult[] {
  return allUnavailable(toolUseIds, 'not_judged_as_run');
}

/** A verdict for each tool_use id of the reply (none: an empty map, which says the reply has no calls). */
export function verdictResults(verdicts: Record<string, Verdict>): SafeguardResult[] {
  return [{ type: DANGEROUS_TOOL_USE, status: { type: 'available', tool_uses: verdicts } }];
}

/** Every call of the reply `unavailable` with the same reason: the judge failed or timed out. Never not_flagged. */
export function allUnavailable(toolUseIds: readonly string[], reason: CallUnavailableReason): SafeguardResult[] {
  return verdictResults(Object.fromEntries(toolUseIds.map((id) => [id, { type: 'unavailable', reason } as Verdict])));
}
