// Deferred tools (ToolSearch): a tool with `defer_loading: true` stays out of the model's tool list until a
// `tool_reference` block in the conversation names it; from then on its full definition is sent. Anthropic
// expands a tool_reference into the tool's definition; the upstream has no such block, so the definition goes
// into `tools` and the reference becomes a line of text saying the tool was loaded.
import type { ContentBlock, MessageParam, ToolDefinition } from '../wire/anthropic-request.ts';

export function isDeferred(tool: ToolDefinition): boolean {
  return tool.defer_loading === true;
}

/** The tool a tool_reference block names ('' when it names none). */
export function referencedToolName(block: { type: string; [key: string]: unknown }): string {
  return block.type === 'tool_reference' && typeof block.tool_name === 'string' ? block.tool_name : '';
}

function collect(blocks: ContentBlock[] | unknown, into: Set<string>): void {
  if (!Array.isArray(blocks)) return;
  for (const block of blocks as Array<{ type: string; [key: string]: unknown }>) {
    if (!block || typeof block !== 'object') continue;
    if (block.type === 'tool_reference') {
      const name = referencedToolName(block);
      if (name !== '') into.add(name);
    } else if (block.type === 'tool_result') {
      collect(block.content, into);
    }
  }
}

/** Every tool name a tool_reference block of the conversation names (top level or inside a tool_result). */
export function referencedToolNames(messages: MessageParam[]): Set<string> {
  const names = new Set<string>();
  for (const message of messages) if (typeof message.content !== 'string') collect(message.content, names);
  return names;
}

/** The tools the model may see now: every tool not deferred, and the deferred ones a tool_reference loaded. */
export function loadedTools(tools: ToolDefinition[] | undefined | null, messages: MessageParam[]): ToolDefinition[] {
  const all = tools ?? [];
  if (!all.some(isDeferred)) return all;
  const loaded = referencedToolNames(messages);
  return all.filter((tool) => !isDeferred(tool) || loaded.has(tool.name));
}

/** What the model reads for a tool_reference block inside a tool_result. */
export function toolReferenceText(name: string): string {
  return `Tool loaded: ${name} (its full definition is now in your tool list; call it directly)`;
}
