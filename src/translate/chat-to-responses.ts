// Chat Completions request -> Responses request. Pure. Shaped like the Codex CLI's requests (developer
// messages in `input`, no `instructions`, stream:true), so every Responses upstream that serves the Codex CLI
// serves it too.
//
// Field by field: system/developer messages -> developer messages; user text/images/files -> input_text /
// input_image / input_file; assistant text and tool_calls -> assistant message + function_call items;
// tool messages -> function_call_output; tools/tool_choice/parallel_tool_calls; response_format ->
// text.format; reasoning_effort (a model suffix wins; clamped to what the model accepts); verbosity ->
// text.verbosity; prompt_cache_key passes. max_tokens / max_completion_tokens -> max_output_tokens and
// temperature / top_p only with forward-sampling-params (Codex-style upstreams reject them otherwise).
// Not representable and ignored: stop (the Responses API has no stop sequences), n (validated to be 1),
// logprobs, seed, penalties, user, metadata.
import type { ChatCompletionRequest, ChatContentPart, ChatMessage, ChatResponseFormat, ChatToolChoice } from '../wire/openai-chat.ts';
import type { Effort, FunctionTool, InputContent, InputItem, ResponsesRequest, ResponsesToolChoice } from '../wire/responses-request.ts';
import { clampEffort, isEffort } from './effort.ts';
import { MIN_MAX_OUTPUT_TOKENS } from './request-to-responses.ts';

export interface ChatTranslationOptions {
  upstreamModel: string;
  /** fixed by a model-name suffix such as gpt-5-codex-high: wins over reasoning_effort */
  forcedEffort?: Effort;
  defaultEffort: Effort;
  supportedEfforts?: Effort[];
  store: boolean;
  forwardSamplingParams: boolean;
}

/** A request the translation cannot carry (answered as a 400 naming `param`). */
export class ChatTranslationError extends Error {
  readonly param: string;
  constructor(param: string, message: string) {
    super(`${param}: ${message}`);
    this.name = 'ChatTranslationError';
    this.param = param;
  }
}

const EMPTY_PARAMETERS = { type: 'object', properties: {} };

function textOf(content: string | ChatContentPart[] | null | undefined): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let out = '';
  for (const p of content) if (p.type === 'text') out += p.text;
  return out;
}

function userParts(content: string | ChatContentPart[], at: string): InputContent[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'input_text', text: content }];
  const parts: InputContent[] = [];
  content.forEach((p, i) => {
    switch (p.type) {
      case 'text':
        parts.push({ type: 'input_text', text: p.text });
        break;
      case 'image_url':
        parts.push({ type: 'input_image', image_url: p.image_url.url, detail: p.image_url.detail ?? 'auto' });
        break;
      case 'file': {
        const f: Extract<InputContent, { type: 'input_file' }> = { type: 'input_file' };
        if (p.file.file_id) f.file_id = p.file.file_id;
        if (p.file.file_data) f.file_data = p.file.file_data;
        if (p.file.filename) f.filename = p.file.filename;
        parts.push(f);
        break;
      }
      default:
        throw new ChatTranslationError(`${at}.${i}.type`, `content part type "${p.type}" is not supported by this gateway (Responses upstreams take text, images and files)`);
    }
  });
  return parts;
}

function systemItem(content: string | ChatContentPart[]): InputItem[] {
  const text = textOf(content);
  return text === '' ? [] : [{ type: 'message', role: 'developer', content: [{ type: 'input_text', text }] }];
}

function assistantItems(m: Extract<ChatMessage, { role: 'assistant' }>, out: InputItem[]): void {
  const texts: InputContent[] = [];
  if (typeof m.content === 'string') {
    if (m.content !== '') texts.push({ type: 'output_text', text: m.content });
  } else if (Array.isArray(m.content)) {
    for (const p of m.content) {
      if (p.type === 'text' && p.text !== '') texts.push({ type: 'output_text', text: p.text });
      else if (p.type === 'refusal' && p.refusal !== '') texts.push({ type: 'output_text', text: p.refusal });
    }
  }
  if (texts.length === 0 && typeof m.refusal === 'string' && m.refusal !== '') texts.push({ type: 'output_text', text: m.refusal });
  if (texts.length > 0) out.push({ type: 'message', role: 'assistant', content: texts });
  for (const call of m.tool_calls ?? []) {
    out.push({ type: 'function_call', call_id: call.id, name: call.function.name, arguments: call.function.arguments });
  }
  // the deprecated single function_call: it has no id, so its answer (a `function` message) is paired by name
  if (m.function_call) out.push({ type: 'function_call', call_id: legacyCallId(m.function_call.name), name: m.function_call.name, arguments: m.function_call.arguments });
}

function legacyCallId(name: string): string {
  return `call_fn_${name}`;
}

/** Chat messages -> Responses input items, in order. */
export function convertChatMessages(messages: ChatMessage[]): InputItem[] {
  const out: InputItem[] = [];
  messages.forEach((m, i) => {
    switch (m.role) {
      case 'system':
      case 'developer':
        out.push(...systemItem(m.content));
        break;
      case 'user': {
        const parts = userParts(m.content, `messages.${i}.content`);
        if (parts.length > 0) out.push({ type: 'message', role: 'user', content: parts });
        break;
      }
      case 'assistant':
        assistantItems(m, out);
        break;
      case 'tool':
        out.push({ type: 'function_call_output', call_id: m.tool_call_id, output: textOf(m.content) });
        break;
      case 'function':
        out.push({ type: 'function_call_output', call_id: legacyCallId(m.name), output: m.content ?? '' });
        break;
    }
  });
  return out;
}

export function convertChatTools(tools: ChatCompletionRequest['tools']): FunctionTool[] {
  return (tools ?? []).map((t) => {
    const tool: FunctionTool = {
      type: 'function',
      name: t.function.name,
      parameters: t.function.parameters ?? EMPTY_PARAMETERS,
      strict: t.function.strict === true,
    };
    if (typeof t.function.description === 'string') tool.description = t.function.description;
    return tool;
  });
}

export function convertChatToolChoice(choice: ChatToolChoice | null | undefined, tools: FunctionTool[]): ResponsesToolChoice {
  if (choice === undefined || choice === null) return 'auto';
  if (typeof choice === 'string') return choice;
  if (!tools.some((t) => t.name === choice.function.name)) {
    throw new ChatTranslationError('tool_choice.function.name', `"${choice.function.name}" is not one of the tools sent`);
  }
  return { type: 'function', name: choice.function.name };
}

export function convertResponseFormat(format: ChatResponseFormat | null | undefined): NonNullable<ResponsesRequest['text']>['format'] | undefined {
  if (!format || format.type === 'text') return undefined;
  if (format.type === 'json_object') return { type: 'json_object' };
  const js = format.json_schema;
  const out: { type: 'json_schema'; name: string; schema: Record<string, unknown>; strict: boolean; description?: string } = {
    type: 'json_schema', name: js.name, schema: js.schema ?? {}, strict: js.strict === true,
  };
  if (typeof js.description === 'string') out.description = js.description;
  return out;
}

export function chatEffort(requested: string | null | undefined, opts: Pick<ChatTranslationOptions, 'forcedEffort' | 'defaultEffort' | 'supportedEfforts'>): Effort {
  const picked = opts.forcedEffort ?? (isEffort(requested) ? requested : opts.defaultEffort);
  return clampEffort(picked, opts.supportedEfforts);
}

export function chatToResponses(req: ChatCompletionRequest, opts: ChatTranslationOptions): ResponsesRequest {
  const tools = convertChatTools(req.tools);
  const body: ResponsesRequest = {
    model: opts.upstreamModel,
    stream: true,
    input: convertChatMessages(req.messages),
    tools,
    tool_choice: convertChatToolChoice(req.tool_choice, tools),
    parallel_tool_calls: req.parallel_tool_calls !== false,
    reasoning: { effort: chatEffort(req.reasoning_effort, opts), summary: 'auto' },
    store: opts.store,
    include: [],
  };
  if (typeof req.prompt_cache_key === 'string' && req.prompt_cache_key !== '') body.prompt_cache_key = req.prompt_cache_key;
  const format = convertResponseFormat(req.response_format);
  if (format || req.verbosity) {
    body.text = {};
    if (format) body.text.format = format;
    if (req.verbosity) body.text.verbosity = req.verbosity;
  }
  if (opts.forwardSamplingParams) {
    if (typeof req.temperature === 'number') body.temperature = req.temperature;
    if (typeof req.top_p === 'number') body.top_p = req.top_p;
    const max = req.max_completion_tokens ?? req.max_tokens;
    if (typeof max === 'number') body.max_output_tokens = Math.max(MIN_MAX_OUTPUT_TOKENS, Math.floor(max));
  }
  return body;
}
