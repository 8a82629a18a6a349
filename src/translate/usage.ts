// Responses usage -> Anthropic usage. Responses counts cached prompt tokens inside input_tokens;
// Anthropic reports them apart (cache_read_input_tokens), so they are subtracted from input_tokens.
import type { Usage } from '../wire/anthropic-stream.ts';
import type { ResponsesUsage } from '../wire/responses-stream.ts';

function count(n: unknown): number {
  return typeof n === 'number' && n > 0 && Number.isFinite(n) ? Math.floor(n) : 0;
}

/** Zero usage, as sent in message_start and used when the upstream reports none. */
export function zeroUsage(): Usage {
  return { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0 };
}

export function anthropicUsage(u: ResponsesUsage | null | undefined): Usage {
  if (!u) return zeroUsage();
  const input = count(u.input_tokens);
  const cached = Math.min(count(u.input_tokens_details?.cached_tokens), input);
  return { input_tokens: input - cached, output_tokens: count(u.output_tokens), cache_read_input_tokens: cached };
}
