// Non-streaming replies: the Anthropic Message built from the same events the streaming path writes.
//
//   const t = new StreamTranslator(opts); const agg = new MessageAggregator();
//   for each upstream event: agg.add(t.push(ev));   then: agg.add(t.end());
//   agg.error ? answer with agg.error : answer with agg.result()
//
// agg.outcome() gives { message, error } without throwing. translateResponseEvents() does all of this
// for an array of events.
import type { AnthropicErrorType, Message, OutputBlock, StreamEvent } from '../wire/anthropic-stream.ts';
import type { ResponsesEvent } from '../wire/responses-stream.ts';
import { StreamTranslator, type StreamTranslatorOptions } from './stream-to-anthropic.ts';
import { zeroUsage } from './usage.ts';

export interface AggregationError { type: AnthropicErrorType; message: string }

/** A tool_use (or server_tool_use) block whose input is still JSON text. */
interface ToolDraft { type: 'tool_json'; id: string; name: string; json: string; server?: 'web_search' | 'web_fetch' }
type Draft = OutputBlock | ToolDraft;

export class MessageAggregator {
  #message: Message | null = null;
  readonly #blocks: Draft[] = [];
  #stopped = false;
  #error: AggregationError | null = null;

  /** Feed the events a StreamTranslator returned, in order. */
  add(events: StreamEvent[]): void {
    for (let i = 0; i < events.length; i++) this.#add(events[i]);
  }

  /** The stream's error (an `error` event, or a tool input that is not JSON); null while none. */
  get error(): AggregationError | null { return this.#error; }

  /** True once message_stop was seen (and no error). */
  get complete(): boolean { return this.#stopped && this.#error === null; }

  /** The Message, or the error to answer with instead (failed or unfinished stream, tool input not JSON). Never throws. */
  outcome(): { message: Message | null; error: AggregationError | null } {
    if (!this.#error && (!this.#message || !this.#stopped)) {
      return { message: null, error: { type: 'api_error', message: 'the upstream reply ended before it was complete' } };
    }
    try {
      return { message: this.result(), error: null };
    } catch {
      return { message: null, error: this.#error ?? { type: 'api_error', message: 'the upstream reply could not be assembled' } };
    }
  }

  /** The finished Message. Throws if the stream failed or has not ended, or a tool input is not JSON; see outcome(). */
  result(): Message {
    if (this.#error) throw new Error(`the reply failed: ${this.#error.message}`);
    if (!this.#message || !this.#stopped) throw new Error('the reply is not complete (no message_stop yet)');
    const m = this.#message;
    const content: OutputBlock[] = [];
    for (const b of this.#blocks) {
      if (b.type !== 'tool_json') { content.push(b); continue; }
      const input = parseToolInput(b.json);
      if (input !== undefined && b.server) { content.push({ type: 'server_tool_use', id: b.id, name: b.server, input }); continue; }
      if (input !== undefined) { content.push({ type: 'tool_use', id: b.id, name: b.name, input }); continue; }
      // Cut off by the output limit: drop the unfinished call, keep the rest of the reply.
      if (m.stop_reason === 'max_tokens') continue;
      this.#error = {
        type: 'api_error',
        message: `Packycode returned arguments for tool "${b.name}" that are not valid JSON`,
      };
      throw new Error(`the reply failed: ${this.#error.message}`);
    }
    return { ...m, content };
  }

  #add(ev: StreamEvent): void {
    switch (ev.type) {
      case 'message_start':
        this.#message = { ...ev.message, content: [], usage: zeroUsage() };
        break;
      case 'content_block_start': {
        const cb = ev.content_block;
        if (cb.type === 'text') this.#blocks[ev.index] = { type: 'text', text: '' };
        else if (cb.type === 'thinking') this.#blocks[ev.index] = { type: 'thinking', thinking: '', signature: '' };
        else if (cb.type === 'tool_use') this.#blocks[ev.index] = { type: 'tool_json', id: cb.id, name: cb.name, json: '' };
        else if (cb.type === 'server_tool_use') this.#blocks[ev.index] = { type: 'tool_json', id: cb.id, name: cb.name, json: '', server: cb.name };
        else if (cb.type === 'redacted_thinking') this.#blocks[ev.index] = { type: 'redacted_thinking', data: cb.data };
        else this.#blocks[ev.index] = cb; // server tool results arrive whole
        break;
      }
      case 'content_block_delta': {
        const b = this.#blocks[ev.index];
        const d = ev.delta;
        if (!b) break;
        if (d.type === 'text_delta' && b.type === 'text') b.text += d.text;
        else if (d.type === 'thinking_delta' && b.type === 'thinking') b.thinking += d.thinking;
        else if (d.type === 'signature_delta' && b.type === 'thinking') b.signature = d.signature;
        else if (d.type === 'input_json_delta' && b.type === 'tool_json') b.json += d.partial_json;
        else if (d.type === 'citations_delta' && b.type === 'text') (b.citations ??= []).push(d.citation);
        break;
      }
      case 'message_delta':
        if (this.#message) {
          this.#message.stop_reason = ev.delta.stop_reason;
          this.#message.stop_sequence = ev.delta.stop_sequence;
          this.#message.usage = { ...ev.usage };
        }
        break;
      case 'message_stop':
        this.#stopped = true;
        break;
      case 'error':
        this.#error ??= { type: ev.error.type, message: ev.error.message };
        break;
      default:
        break; // content_block_stop, ping
    }
  }
}

/** Tool input from its JSON text: `{}` when empty, undefined when it does not parse to an object. */
export function parseToolInput(json: string): Record<string, unknown> | undefined {
  if (json.trim() === '') return {};
  try {
    const v: unknown = JSON.parse(json);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : undefined;
  } catch {
    return undefined;
  }
}

/** Translate a whole upstream stream to one Message (or the error the client should get). */
export function translateResponseEvents(
  events: ResponsesEvent[],
  opts: StreamTranslatorOptions,
): { message: Message | null; error: AggregationError | null } {
  const t = new StreamTranslator(opts);
  const agg = new MessageAggregator();
  for (let i = 0; i < events.length; i++) {
    agg.add(t.push(events[i]));
    if (t.failed) break;
  }
  agg.add(t.end());
  return agg.outcome();
}
