// tools and tool_choice -> Responses function tools, tool_choice and parallel_tool_calls.
import type { MessageParam, ToolChoice, ToolDefinition } from '../wire/anthropic-request.ts';
import type { FunctionTool, ResponsesTool, ResponsesToolChoice } from '../wire/responses-request.ts';
import type { ToolNameMap } from './tool-names.ts';

/** Server tools (web_search_20250305, bash_20250124, ...) run on Anthropic's side: web search becomes the
 *  upstream's own (web-search.ts), the others are dropped. A tool without `type`, or with type "custom", is a
 *  function. */
export function isCustomTool(tool: ToolDefinition): boolean {
  return tool.type === undefined || tool.type === null || tool.type === 'custom';
}

/** input_schema -> parameters: top-level `$schema` and `cache_control` removed; no schema -> empty object. */
export function toolParameters(schema: Record<string, unknown> | undefined | null): Record<string, unknown> {
  if (schema === undefined || schema === null || typeof schema !== 'object') return { type: 'object', properties: {} };
  const { $schema: _schema, cache_control: _cc, ...rest } = schema;
  if (rest.type === undefined) return { type: 'object', properties: {}, ...rest };
  return rest;
}

export function convertTools(tools: ToolDefinition[] | undefined, names: ToolNameMap): FunctionTool[] {
  const out: FunctionTool[] = [];
  for (const tool of tools ?? []) {
    if (!isCustomTool(tool)) continue;
    const name = names.toUpstream(tool.name);
    const parameters = toolParameters(tool.input_schema);
    // Codex key order: type, name, description, strict, parameters
    out.push(typeof tool.description === 'string'
      ? { type: 'function', name, description: tool.description, strict: false, parameters }
      : { type: 'function', name, strict: false, parameters });
  }
  return out;
}

/** Every tool name one request mentions: definitions, tool_use blocks in the history, tool_choice. */
export function collectToolNames(tools: ToolDefinition[] | undefined, messages: MessageParam[], choice?: ToolChoice): string[] {
  const names: string[] = [];
  for (const tool of tools ?? []) if (isCustomTool(tool) && typeof tool.name === 'string') names.push(tool.name);
  for (const message of messages) {
    if (typeof message.content === 'string') continue;
    for (const block of message.content) if (block.type === 'tool_use') names.push(block.name);
  }
  if (choice?.type === 'tool') names.push(choice.name);
  return names;
}

/**
 * auto -> "auto", any -> "required", none -> "none", tool -> {type:"function", name}.
 * Guards against choices the upstream would reject: no tools left -> "auto" (or "none");
 * a named tool that is not among the tools -> "required".
 */
export function convertToolChoice(choice: ToolChoice | undefined, tools: ResponsesTool[], names: ToolNameMap): ResponsesToolChoice {
  if (choice?.type === 'none') return 'none';
  if (tools.length === 0) return 'auto';
  switch (choice?.type) {
    case 'any':
      return 'required';
    case 'tool': {
      const name = names.toUpstream(choice.name);
      return tools.some((t) => t.type === 'function' && t.name === name) ? { type: 'function', name } : 'required';
    }
    default:
      return 'auto';
  }
}

export function parallelToolCalls(choice: ToolChoice | undefined): boolean {
  return !(choice && 'disable_parallel_tool_use' in choice && choice.disable_parallel_tool_use === true);
}
