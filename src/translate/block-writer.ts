// Writes Anthropic content blocks: indexes 0,1,2,... in order, at most one open at a time,
// every content_block_start closed by exactly one content_block_stop.
import type { ServerToolBlock, StreamEvent, WebSearchCitation } from '../wire/anthropic-stream.ts';

export type BlockKind = 'text' | 'thinking' | 'tool_use' | 'server_tool';

export class BlockWriter {
  #next = 0;
  #open = -1;
  #kind: BlockKind | null = null;

  /** Kind of the open block, or null when none is open. */
  get openKind(): BlockKind | null { return this.#kind; }
  /** Number of blocks started so far. */
  get count(): number { return this.#next; }

  startText(out: StreamEvent[]): number {
    return this.#start(out, 'text', { type: 'content_block_start', index: this.#next, content_block: { type: 'text', text: '' } });
  }

  startThinking(out: StreamEvent[]): number {
    return this.#start(out, 'thinking', {
      type: 'content_block_start', index: this.#next, content_block: { type: 'thinking', thinking: '', signature: '' },
    });
  }

  startToolUse(out: StreamEvent[], id: string, name: string): number {
    return this.#start(out, 'tool_use', {
      type: 'content_block_start', index: this.#next, content_block: { type: 'tool_use', id, name, input: {} },
    });
  }

  text(out: StreamEvent[], text: string): void {
    out.push({ type: 'content_block_delta', index: this.#open, delta: { type: 'text_delta', text } });
  }

  thinking(out: StreamEvent[], thinking: string): void {
    out.push({ type: 'content_block_delta', index: this.#open, delta: { type: 'thinking_delta', thinking } });
  }

  signature(out: StreamEvent[], signature: string): void {
    out.push({ type: 'content_block_delta', index: this.#open, delta: { type: 'signature_delta', signature } });
  }

  json(out: StreamEvent[], partial: string): void {
    out.push({ type: 'content_block_delta', index: this.#open, delta: { type: 'input_json_delta', partial_json: partial } });
  }

  citation(out: StreamEvent[], citation: WebSearchCitation): void {
    out.push({ type: 'content_block_delta', index: this.#open, delta: { type: 'citations_delta', citation } });
  }

  /** A whole server_tool_use block: start, its input as one input_json_delta, stop. */
  serverToolUse(out: StreamEvent[], id: string, name: 'web_search' | 'web_fetch', input: Record<string, unknown>): void {
    this.#start(out, 'server_tool', { type: 'content_block_start', index: this.#next, content_block: { type: 'server_tool_use', id, name, input: {} } });
    this.json(out, JSON.stringify(input));
    this.stop(out);
  }

  /** A whole server tool result block (it arrives complete in content_block_start), then its stop. */
  serverToolResult(out: StreamEvent[], block: Exclude<ServerToolBlock, { type: 'server_tool_use' }>): void {
    this.#start(out, 'server_tool', { type: 'content_block_start', index: this.#next, content_block: block });
    this.stop(out);
  }

  stop(out: StreamEvent[]): void {
    if (this.#open < 0) return;
    out.push({ type: 'content_block_stop', index: this.#open });
    this.#open = -1;
    this.#kind = null;
  }

  #start(out: StreamEvent[], kind: BlockKind, ev: StreamEvent): number {
    this.stop(out); // never two open blocks
    out.push(ev);
    this.#open = this.#next++;
    this.#kind = kind;
    return this.#open;
  }
}
