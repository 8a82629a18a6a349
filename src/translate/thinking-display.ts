// thinking.display: what the client wants to see of the model's reasoning. "summarized" (the default) and
// "updates" show text; "omitted" returns thinking blocks with an empty text and only the signature (which
// still carries the encrypted reasoning for the next turn), so no summaries are asked of the upstream either.
import type { ThinkingConfig } from '../wire/anthropic-request.ts';

/** Whether reasoning summaries are requested upstream (reasoning.summary) and shown as thinking text. */
export function thinkingSummaries(thinking: ThinkingConfig | undefined | null): boolean {
  if (!thinking || typeof thinking !== 'object') return true;
  if (thinking.type === 'disabled') return false;
  return thinking.display !== 'omitted';
}

/** Whether reasoning items become thinking blocks at all (thinking disabled: none). */
export function thinkingBlocks(thinking: ThinkingConfig | undefined | null): boolean {
  return thinking?.type !== 'disabled';
}
