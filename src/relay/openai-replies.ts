// The two replies the OpenAI routes give, as the relay's exchanges need them: the Responses API passed through
// (events re-framed as they came: `event: <type>`) and Chat Completions (`data: <chunk>` frames ending in
// `data: [DONE]`, or one chat.completion). The translations live in translate/; this file frames them.
import type { ResponsesEvent, ResponsesUsage } from '../wire/responses-stream.ts';
import type { ChatCompletionChunk, ChatUsage } from '../wire/openai-chat.ts';
import { ResponsesPassthrough } from '../translate/responses-passthrough.ts';
import { ChatStreamTranslator, type ChatStreamOptions } from '../translate/responses-to-chat-stream.ts';
import { ChatCompletionAggregator } from '../translate/chat-completion-aggregate.ts';
import type { OpenAIErrorBody } from '../server/openai-errors.ts';

/** Token counts of one reply, OpenAI-style: input includes the cached tokens. */
export interface ReplyUsage {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
}

export interface ReplyFailure {
  code?: string;
  message: string;
}

/** One attempt's reply state: the translation, and how its output is framed. */
export interface OpenAIReply<Out = unknown> {
  /** translate one upstream event; output appended to `out` */
  push(ev: ResponsesEvent, out: Out[]): void;
  /** end of the upstream body */
  end(): void;
  /** something the client must see is in the output: the reply may be committed */
  readonly hasOutput: boolean;
  /** the reply failed (an upstream error event, a failed response, a cut stream) */
  readonly failed: ReplyFailure | undefined;
  readonly usage: ReplyUsage | undefined;
  frames(out: Out[]): string;
  /** what ends a successful stream ('' for nothing) */
  readonly doneFrame: string;
  /** what ends a stream that failed after its first byte ('' when the upstream's own error event already went out) */
  errorFrame(body: OpenAIErrorBody): string;
  /** a frame for a long silence after the commit, or null */
  readonly keepAliveFrame: string | null;
  /** output that may start the reply before its first content (the chat role chunk), or null */
  begin(): Out[] | null;
  /** non-streaming: fold output, then the whole JSON body (undefined when it did not complete) */
  collect(out: Out[]): void;
  whole(): unknown;
}

function count(v: unknown): number {
  return typeof v === 'number' && v > 0 ? Math.floor(v) : 0;
}

function responsesUsage(u: ResponsesUsage | undefined): ReplyUsage | undefined {
  if (!u) return undefined;
  return { inputTokens: count(u.input_tokens), cachedInputTokens: count(u.input_tokens_details?.cached_tokens), outputTokens: count(u.output_tokens) };
}

function chatReplyUsage(u: ChatUsage | undefined): ReplyUsage | undefined {
  if (!u) return undefined;
  return { inputTokens: u.prompt_tokens, cachedInputTokens: u.prompt_tokens_details.cached_tokens, outputTokens: u.completion_tokens };
}

const FAILURE_EVENTS = new Set(['error', 'response.failed']);

/** /v1/responses: the upstream's events, re-framed unchanged (the model renamed to the client's). */
export function responsesReply(clientModel: string): OpenAIReply<ResponsesEvent> {
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
    errorFrame(body) {
      if (failureForwarded) return '';
      const e = body.error;
      return `event: error\ndata: ${JSON.stringify({ type: 'error', code: e.code ?? e.type, message: e.message, param: e.param })}\n\n`;
    },
    keepAliveFrame: null, // a pass-through adds nothing of its own
    begin: () => null,
    collect() { /* the terminal event carries the whole response */ },
    whole: () => watch.response(),
  };
}

/** /v1/chat/completions: chat.completion.chunk frames, or one chat.completion. */
export function chatReply(opts: ChatStreamOptions): OpenAIReply<ChatCompletionChunk> {
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
    errorFrame: (body) => `data: ${JSON.stringify(body)}\n\n`,
    keepAliveFrame: ': keep-alive\n\n', // an SSE comment: every SSE parser skips it
    begin: () => t.begin(),
    collect: (out) => folded.add(out),
    whole: () => folded.completion(t.usage),
  };
}
