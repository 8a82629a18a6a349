// An upstream context overflow as Anthropic's own error, so Claude Code compacts and retries as it does with
// Anthropic: `invalid_request_error`, message `prompt is too long: N tokens > M maximum` (the text Claude Code
// recognises and reads N and M from). Pure.
//
// What upstreams say when the input is over the window (codes lower-cased, messages matched loosely):
//   OpenAI Responses / Chat: code `context_length_exceeded`, "Your input exceeds the context window of this
//     model. Please adjust your input and try again." (Responses, also as response.failed's error), "This
//     model's maximum context length is 128000 tokens. However, your messages resulted in ... tokens" (Chat).
//   Relays and compatible servers: `context_window_exceeded`, `input_too_long`, `prompt_too_long`,
//     `model_max_prompt_tokens_exceeded`, `tokens_limit_reached`, "maximum context length", "too many tokens",
//     "reduce the length of the messages", and Anthropic's own "prompt is too long".
import type { AnthropicError } from './upstream-error.ts';

const OVERFLOW_CODES = new Set([
  'context_length_exceeded', 'context_window_exceeded', 'input_too_long', 'prompt_too_long',
  'model_max_prompt_tokens_exceeded', 'tokens_limit_reached', 'max_tokens_exceeded_input',
]);

const OVERFLOW_TEXT = [
  /exceeds? the context window/i,
  /context[ _-]length[ _-]exceeded/i,
  /context[ _-]window[ _-]exceeded/i,
  /maximum context length/i,
  /prompt is too long/i,
  /input is too long/i,
  /too many (input )?tokens/i,
  /reduce the length of the (messages|input|prompt)/i,
  /exceeds? (the )?(model'?s? )?(maximum )?(context|input) (length|limit|window|tokens)/i,
];

/** True when an upstream error code or message says the input did not fit the model's window. */
export function isContextOverflow(code: string | null | undefined, message: string | null | undefined): boolean {
  if (code && OVERFLOW_CODES.has(code.toLowerCase())) return true;
  return !!message && OVERFLOW_TEXT.some((re) => re.test(message));
}

/**
 * The token counts an upstream's overflow message states, when it states them: Chat Completions' "maximum
 * context length is M tokens. However, your messages resulted in N tokens" (also "you requested N tokens"),
 * or Anthropic's own "N tokens > M maximum". Only an N above M is taken: a stated gap is what lets Claude Code
 * drop enough of the conversation for its summary request to fit.
 */
export function statedOverflow(message: string | null | undefined): { counted: number; window: number } | undefined {
  if (!message) return undefined;
  const num = (s: string): number => Number(s.replace(/[,_]/g, ''));
  const anthropic = /(\d[\d,_]*)\s*tokens?\s*>\s*(\d[\d,_]*)\s*maximum/i.exec(message);
  let counted: number | undefined;
  let window: number | undefined;
  if (anthropic) { counted = num(anthropic[1]); window = num(anthropic[2]); } else {
    const max = /maximum context length is\s*(\d[\d,_]*)\s*tokens?/i.exec(message);
    const got = /(?:resulted in|requested|you sent|prompt has|input has)\s*(?:about\s*)?(\d[\d,_]*)\s*(?:input\s*)?tokens?/i.exec(message);
    if (max && got) { window = num(max[1]); counted = num(got[1]); }
  }
  if (counted === undefined || window === undefined || !(window > 0) || !(counted > window)) return undefined;
  return { counted, window };
}

/**
 * Anthropic's error for a prompt over the window. `counted` is the local count of the request, `window` the
 * model's input window; N is kept above M (a local count can fall short of the upstream's), so the client
 * always reads an overflow from it.
 */
export function promptTooLong(counted: number, window: number): AnthropicError {
  const m = Math.max(1, Math.floor(window));
  const n = Math.max(Math.floor(counted), m + 1);
  return { type: 'invalid_request_error', message: `prompt is too long: ${n} tokens > ${m} maximum` };
}
