// The two client protocols the OpenAI routes speak, as adapters for openai-relay.ts: the Responses API passed
// through (events re-framed as they came, `event: <type>`), and Chat Completions (`data: <chunk>` frames
// ending in `data: [DONE]`). The translation itself lives in translate/; this file only frames it.
import type { ResponsesEvent, ResponsesUsage } from '../wire/responses-stream.ts';
import type { ChatCompletionChunk, ChatUsage } from '../wire/openai-chat.ts';
import { ResponsesPassthrough } from '../translate/responses-passthrough.ts';
import { ChatStreamTranslator, type ChatStreamOptions } from '../translate/responses-to-chat-stream.ts';
import { ChatCompletionAggregator } from '../translate/chat-completion-aggregate.ts';
import type { ClientProtocol, ReplyUsage } from './openai-relay.ts';
import type { OpenAIClientError } from './openai-errors.ts';

function responsesUsage(u: ResponsesUsage | undefined): ReplyUsage | undefined {
  if (!u) return undefined;
  const n = (v: unknown) => (typeof v === 'number' && v > 0 ? Math.floor(v) : 0);
  return { inputTokens: n(u.input_tokens), cachedInputTokens: n(u.input_tokens_details?.cached_tokens), outputTokens: n(u.output_tokens) };
}

function chatReplyUsage(u: ChatUsage | undefined): ReplyUsage | undefined {
  if (!u) return undefined;
  return { inputTokens: u.prompt_tokens, cachedInputTokens: u.prompt_tokens_details.cached_tokens, outputTokens: u.completion_tokens };
}

const FAILURE_EVENTS = new Set(['error', 'response.failed']);

/** /v1/responses: the upstream's events, re-framed unchanged (the model renamed to the client's). */
export function responsesProtocol(clientModel: string): ClientProtocol<ResponsesEvent> {
  const watch = new ResponsesPassthrough(clientModel);
  let failureForwarded = false;
  return {
    push(ev, out) {
      watch.push(ev, out);
      // after the first output the upstream's own failure event goes out with the rest
      if (FAILURE_EVENTS.has(ev.type) && watch.hasOutput) failureForwarded = true;
    },
    end: () => watch.end(),
    get hasOutput() { return watch.hasOutput; },
    get failed() { return watch.failed; },
    get usage() { return responsesUsage(watch.usage); },
    frames(out) {
      let text = '';
      for (const ev of out) text += `event: ${ev.type}\ndata: ${JSON.stringify(ev)}\n\n`;
      return text;
    },
    doneFrame: '',
    errorFrame(err: OpenAIClientError) {
      if (failureForwarded) return ''; // the upstream's own error event already reached the client
      const e = err.body.error;
      return `event: error\ndata: ${JSON.stringify({ type: 'error', code: e.code ?? e.type, message: e.message, param: e.param })}\n\n`;
    },
    collect() { /* the terminal event carries the whole response */ },
    whole: () => watch.response(),
  };
}

/** /v1/chat/completions: chat.completion.chunk frames, or one chat.completion. */
export function chatProtocol(opts: ChatStreamOptions): ClientProtocol<ChatCompletionChunk> {
  const t = new ChatStreamTranslator(opts);
  const folded = new ChatCompletionAggregator();
  return {
    push: (ev, out) => t.push(ev, out),
    end: () => t.end(),
    get hasOutput() { return t.hasOutput || t.state === 'completed'; },
    get failed() { return t.failed; },
    get usage() { return chatReplyUsage(t.usage); },
    frames(out) {
      let text = '';
      for (const c of out) text += `data: ${JSON.stringify(c)}\n\n`;
      return text;
    },
    doneFrame: 'data: [DONE]\n\n',
    // the openai SDKs raise an APIError for a data frame carrying `error`
    errorFrame: (err) => `data: ${JSON.stringify(err.body)}\n\n`,
    collect: (out) => folded.add(out),
    whole: () => folded.completion(t.usage),
  };
}
