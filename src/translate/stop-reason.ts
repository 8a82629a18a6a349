// How a Responses stream ended -> Anthropic stop_reason.
import type { StopReason } from '../wire/anthropic-stream.ts';

export interface StreamOutcome {
  /** The terminal event: response.completed or response.incomplete. */
  terminal: 'completed' | 'incomplete';
  /** response.incomplete_details.reason (max_output_tokens, content_filter, ...). */
  incompleteReason?: string | null;
  /** A tool_use block was emitted. */
  toolUse: boolean;
  /** Refusal text was emitted. */
  refusal: boolean;
}

export function anthropicStopReason(o: StreamOutcome): StopReason {
  if (o.terminal === 'incomplete') {
    // content_filter: the model was stopped by moderation; anything else cut the output short.
    return o.incompleteReason === 'content_filter' ? 'refusal' : 'max_tokens';
  }
  if (o.toolUse) return 'tool_use';
  if (o.refusal) return 'refusal';
  return 'end_turn';
}
