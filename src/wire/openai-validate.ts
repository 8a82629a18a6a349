// Request validation for the OpenAI-compatible routes (/v1/chat/completions, /v1/responses). As lenient as
// OpenAI on unknown fields; strict on what the translation reads. Messages name the path, like the Anthropic
// routes': `messages.1.content.0.type: unknown content part type "foo"`.
import { z } from 'zod';
import { validate, type Validation } from './anthropic-validate.ts';
import type { ChatCompletionRequest } from './openai-chat.ts';

const textPart = z.looseObject({ type: z.literal('text'), text: z.string() });
const imagePart = z.looseObject({
  type: z.literal('image_url'),
  image_url: z.looseObject({ url: z.string().min(1), detail: z.enum(['auto', 'low', 'high']).nullish() }),
});
const filePart = z.looseObject({
  type: z.literal('file'),
  file: z.looseObject({ file_data: z.string().nullish(), file_id: z.string().nullish(), filename: z.string().nullish() }),
});
const refusalPart = z.looseObject({ type: z.literal('refusal'), refusal: z.string() });
const audioPart = z.looseObject({ type: z.literal('input_audio'), input_audio: z.unknown() });

const userContent = z.union([z.string(), z.array(z.discriminatedUnion('type', [textPart, imagePart, filePart, audioPart]))]);
const textContent = z.union([z.string(), z.array(z.discriminatedUnion('type', [textPart]))]);
const assistantContent = z.union([z.string(), z.array(z.discriminatedUnion('type', [textPart, refusalPart]))]).nullish();

const toolCall = z.looseObject({
  id: z.string().min(1),
  type: z.literal('function'),
  function: z.looseObject({ name: z.string().min(1), arguments: z.string() }),
});

const message = z.discriminatedUnion('role', [
  z.looseObject({ role: z.literal('system'), content: textContent }),
  z.looseObject({ role: z.literal('developer'), content: textContent }),
  z.looseObject({ role: z.literal('user'), content: userContent }),
  z.looseObject({
    role: z.literal('assistant'),
    content: assistantContent,
    refusal: z.string().nullish(),
    tool_calls: z.array(toolCall).nullish(),
    function_call: z.looseObject({ name: z.string().min(1), arguments: z.string() }).nullish(),
  }),
  z.looseObject({ role: z.literal('tool'), tool_call_id: z.string().min(1), content: textContent }),
  z.looseObject({ role: z.literal('function'), name: z.string().min(1), content: z.string().nullable() }),
]);

const tool = z.looseObject({
  type: z.literal('function'),
  function: z.looseObject({
    name: z.string().min(1).max(64),
    description: z.string().nullish(),
    parameters: z.record(z.string(), z.unknown()).nullish(),
    strict: z.boolean().nullish(),
  }),
});

const toolChoice = z.union([
  z.enum(['none', 'auto', 'required']),
  z.looseObject({ type: z.literal('function'), function: z.looseObject({ name: z.string().min(1) }) }),
]);

const responseFormat = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('text') }),
  z.looseObject({ type: z.literal('json_object') }),
  z.looseObject({
    type: z.literal('json_schema'),
    json_schema: z.looseObject({
      name: z.string().min(1).max(64),
      description: z.string().nullish(),
      schema: z.record(z.string(), z.unknown()).nullish(),
      strict: z.boolean().nullish(),
    }),
  }),
]);

const count = z.number().int().positive();

const chatRequest = z.looseObject({
  model: z.string().min(1).max(256),
  messages: z.array(message).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  tools: z.array(tool).nullish(),
  tool_choice: toolChoice.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  response_format: responseFormat.nullish(),
  reasoning_effort: z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh']).nullish(),
  max_tokens: count.nullish(),
  max_completion_tokens: count.nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  n: z.number().int().min(1).max(1).nullish(),
  prompt_cache_key: z.string().nullish(),
  verbosity: z.enum(['low', 'medium', 'high']).nullish(),
});

/** What the pass-through reads of a Responses request; everything else goes upstream as sent. */
export interface ResponsesPassthroughRequest {
  model: string;
  input: string | unknown[];
  stream?: boolean | null;
  reasoning?: { effort?: string | null; [key: string]: unknown } | null;
  store?: boolean | null;
  prompt_cache_key?: string | null;
  [key: string]: unknown;
}

const responsesRequest = z.looseObject({
  model: z.string().min(1).max(256),
  input: z.union([z.string(), z.array(z.looseObject({}))]),
  instructions: z.string().nullish(),
  stream: z.boolean().nullish(),
  tools: z.array(z.looseObject({ type: z.string() })).nullish(),
  reasoning: z.looseObject({ effort: z.string().nullish() }).nullish(),
  store: z.boolean().nullish(),
  prompt_cache_key: z.string().nullish(),
  previous_response_id: z.string().nullish(),
  background: z.literal(false).nullish(),
});

export function validateChatRequest(body: unknown): Validation<ChatCompletionRequest> {
  return validate<ChatCompletionRequest>(chatRequest, body);
}

export function validateResponsesRequest(body: unknown): Validation<ResponsesPassthroughRequest> {
  return validate<ResponsesPassthroughRequest>(responsesRequest, body);
}

/** The `param` of an OpenAI error for a validation message: the path it starts with, when it names one. */
export function paramOf(message: string): string | null {
  const m = /^([A-Za-z_][\w.]*):/.exec(message);
  return m ? m[1] : null;
}
