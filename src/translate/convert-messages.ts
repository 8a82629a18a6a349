// system + messages -> Responses `input` items, in order.
import type { ContentBlock, MessageParam, TextBlock } from '../wire/anthropic-request.ts';
import type { FunctionCallOutputContent, InputContent, InputItem } from '../wire/responses-request.ts';
import type { ToolNameMap } from './tool-names.ts';
import { toolResultOutput, userContentParts } from './convert-content.ts';
import { citationsText, serverBlockText } from './web-search-history.ts';
import { keptItems, keptSystemItems } from './message-items-cache.ts';

/** Claude Code's per-request billing block; it changes every request, so it would break the cacheable prefix. */
export const BILLING_HEADER_PREFIX = 'x-anthropic-billing-header:';

export function isBillingBlock(text: string): boolean {
  return text.trimStart().startsWith(BILLING_HEADER_PREFIX);
}

/** System text blocks -> input_text parts, without the billing block and empty blocks. */
export function systemParts(system: string | TextBlock[] | undefined | null): InputContent[] {
  if (system === undefined || system === null) return [];
  if (typeof system === 'string') {
    return system === '' || isBillingBlock(system) ? [] : [{ type: 'input_text', text: system }];
  }
  const parts: InputContent[] = [];
  for (const block of system) {
    if (block.type !== 'text' || typeof block.text !== 'string') continue;
    if (block.text === '' || isBillingBlock(block.text)) continue;
    parts.push({ type: 'input_text', text: block.text });
  }
  return parts;
}

function developerMessage(parts: InputContent[]): InputItem[] {
  return parts.length === 0 ? [] : [{ type: 'message', role: 'developer', content: parts }];
}

function stringify(input: unknown): string {
  if (typeof input === 'string') return input;
  return JSON.stringify(input ?? {}) ?? '{}';
}

function userItems(content: ContentBlock[], out: InputItem[]): void {
  // Tool outputs first (they answer the previous assistant turn), then the rest as one user message.
  const parts: FunctionCallOutputContent[] = [];
  for (const block of content) {
    if (block.type === 'tool_result') {
      out.push({ type: 'function_call_output', call_id: block.tool_use_id, output: toolResultOutput(block) });
    } else {
      for (const part of userContentParts(block)) parts.push(part);
    }
  }
  if (parts.length > 0) out.push({ type: 'message', role: 'user', content: parts });
}

function assistantItems(content: ContentBlock[], names: ToolNameMap, out: InputItem[]): void {
  let texts: InputContent[] = [];
  const flush = (): void => {
    if (texts.length > 0) out.push({ type: 'message', role: 'assistant', content: texts });
    texts = [];
  };
  for (const block of content) {
    switch (block.type) {
      case 'text': {
        const text = block.text + citationsText(block.citations);
        if (text !== '') texts.push({ type: 'output_text', text });
        break;
      }
      case 'server_tool_use':
      case 'web_search_tool_result':
      case 'web_fetch_tool_result': {
        // what an earlier web search found goes back as text (see web-search-history.ts)
        const text = serverBlockText(block);
        if (text !== '') texts.push({ type: 'output_text', text });
        break;
      }
      case 'thinking':
        // Only a signed block can go back: the signature carries the upstream's encrypted reasoning.
        if (typeof block.signature === 'string' && block.signature !== '') {
          flush();
          out.push({
            type: 'reasoning',
            summary: block.thinking ? [{ type: 'summary_text', text: block.thinking }] : [],
            encrypted_content: block.signature,
          });
        }
        break;
      case 'tool_use':
        flush();
        out.push({ type: 'function_call', call_id: block.id, name: names.toUpstream(block.name), arguments: stringify(block.input) });
        break;
      default:
        // redacted_thinking, other server-tool blocks, and anything the upstream cannot take in an assistant turn
        break;
    }
  }
  flush();
}

function systemTextOf(content: string | ContentBlock[]): InputContent[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'input_text', text: content }];
  const parts: InputContent[] = [];
  for (const block of content) {
    if (block.type === 'text' && block.text !== '') parts.push({ type: 'input_text', text: block.text });
  }
  return parts;
}

/** One message's input items, appended to `out`. */
export function convertMessage(message: MessageParam, names: ToolNameMap, out: InputItem[]): void {
  const content = message.content;
  if (message.role === 'system') {
    out.push(...developerMessage(systemTextOf(content)));
  } else if (message.role === 'assistant') {
    if (typeof content === 'string') {
      if (content !== '') out.push({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: content }] });
    } else {
      assistantItems(content, names, out);
    }
  } else if (typeof content === 'string') {
    if (content !== '') out.push({ type: 'message', role: 'user', content: [{ type: 'input_text', text: content }] });
  } else {
    userItems(content, out);
  }
}

/**
 * messages -> input items (no system prompt; see systemParts). A message shared with earlier requests (frozen:
 * repeated-messages.ts) is converted once and its items reused (message-items-cache.ts).
 */
export function convertMessages(messages: MessageParam[], names: ToolNameMap): InputItem[] {
  const out: InputItem[] = [];
  for (const message of messages) {
    if (Object.isFrozen(message)) {
      const items = keptItems(message, names, convertMessage);
      for (let i = 0; i < items.length; i++) out.push(items[i]);
    } else {
      convertMessage(message, names, out);
    }
  }
  return out;
}

/** The system prompt as the leading developer message; a shared (frozen) system prompt's item is made once. */
function systemItems(system: string | TextBlock[] | undefined): readonly InputItem[] {
  if (typeof system === 'object' && system !== null && Object.isFrozen(system)) return keptSystemItems(system, () => developerMessage(systemParts(system)));
  return developerMessage(systemParts(system));
}

/** The whole `input`: the system prompt as the leading developer message, then the messages. */
export function convertInput(system: string | TextBlock[] | undefined, messages: MessageParam[], names: ToolNameMap): InputItem[] {
  const out = convertMessages(messages, names);
  const head = systemItems(system);
  return head.length === 0 ? out : [...head, ...out];
}
