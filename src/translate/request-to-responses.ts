// Anthropic Messages request -> OpenAI Responses request, shaped like the Codex CLI's requests:
// developer message first in `input`, no `instructions`, strict:false tools, reasoning {effort, summary},
// encrypted reasoning included, stream:true. Claude-only fields (metadata, context_management,
// stop_sequences, top_k, cache_control, server tools other than web search) never go upstream; deferred tools
// go only once a tool_reference loaded them; thinking.display "omitted" asks for no summaries.
import type { MessagesRequest } from '../wire/anthropic-request.ts';
import type { Effort, ResponsesRequest, ResponsesTool } from '../wire/responses-request.ts';
import { convertInput } from './convert-messages.ts';
import { collectToolNames, convertToolChoice, parallelToolCalls } from './convert-tools.ts';
import { resolveEffort } from './effort.ts';
import { promptCacheKey } from './prompt-cache-key.ts';
import { toolConversionCache } from './tool-conversion-cache.ts';
import { buildToolNameMap } from './tool-names.ts';
import { loadedTools } from './deferred-tools.ts';
import { convertWebSearchTool, findWebSearchTool, WEB_SEARCH_SOURCES_INCLUDE, webSearchToolChoice } from './web-search.ts';
import { thinkingSummaries } from './thinking-display.ts';
import type { ToolNameMap } from './tool-names.ts';

export interface RequestTranslationOptions {
  upstreamModel: string;          // model name to send upstream (already resolved, suffix removed)
  forcedEffort?: Effort;          // effort fixed by a model suffix like gpt-5-codex-high: wins over the request
  defaultEffort: Effort;          // config defaults.model-reasoning-effort
  supportedEfforts?: Effort[];    // efforts the model accepts; clamp to the nearest supported one
  store: boolean;                 // false while privacy.disable-response-storage is on
  forwardSamplingParams: boolean; // only then send temperature/top_p and max_tokens as max_output_tokens
}

/** The Responses API rejects max_output_tokens below 16. */
export const MIN_MAX_OUTPUT_TOKENS = 16;
export const JSON_SCHEMA_FORMAT_NAME = 'output';

function textFormat(format: unknown): ResponsesRequest['text'] | undefined {
  if (typeof format !== 'object' || format === null) return undefined;
  const f = format as { type?: unknown; schema?: unknown };
  if (f.type !== 'json_schema' || typeof f.schema !== 'object' || f.schema === null) return undefined;
  const { $schema: _drop, ...schema } = f.schema as Record<string, unknown>;
  return { format: { type: 'json_schema', name: JSON_SCHEMA_FORMAT_NAME, schema, strict: false } };
}

export function toResponsesRequest(req: MessagesRequest, opts: RequestTranslationOptions): { body: ResponsesRequest; toolNames: ToolNameMap } {
  const messages = req.messages ?? [];
  const visible = loadedTools(req.tools, messages);
  const toolNames = buildToolNameMap(collectToolNames(visible, messages, req.tool_choice));
  // the same tools every turn: converted once; the cached array is shared (its JSON is spliced), so never mutated
  let tools: ResponsesTool[] = toolConversionCache.convert(visible, toolNames);
  const include = ['reasoning.encrypted_content'];
  const webSearch = findWebSearchTool(visible);
  let maxToolCalls: number | undefined;
  if (webSearch) {
    const converted = convertWebSearchTool(webSearch);
    tools = [...tools, converted.tool];
    maxToolCalls = converted.maxToolCalls;
    include.push(WEB_SEARCH_SOURCES_INCLUDE);
  }
  const effort = resolveEffort(req, opts);

  const body: ResponsesRequest = {
    model: opts.upstreamModel,
    stream: true,
    input: convertInput(req.system, messages, toolNames),
    tools,
    tool_choice: webSearchToolChoice(req.tool_choice, webSearch?.name, tools) ?? convertToolChoice(req.tool_choice, tools, toolNames),
    parallel_tool_calls: parallelToolCalls(req.tool_choice),
    reasoning: thinkingSummaries(req.thinking) ? { effort, summary: 'auto' } : { effort },
    store: opts.store,
    include,
  };
  if (maxToolCalls !== undefined) body.max_tool_calls = maxToolCalls;
  const cacheKey = promptCacheKey(req.metadata);
  if (cacheKey !== undefined) body.prompt_cache_key = cacheKey;
  const text = textFormat(req.output_config?.format);
  if (text) body.text = text;
  if (opts.forwardSamplingParams) {
    if (typeof req.temperature === 'number') body.temperature = req.temperature;
    if (typeof req.top_p === 'number') body.top_p = req.top_p;
    if (typeof req.max_tokens === 'number') body.max_output_tokens = Math.max(MIN_MAX_OUTPUT_TOKENS, Math.floor(req.max_tokens));
  }
  return { body, toolNames };
}
