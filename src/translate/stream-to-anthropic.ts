// Responses API stream events in, Anthropic Messages stream events out: an explicit state machine.
//
// States: idle -> streaming <-> (thinking | text | tool_use: a block is open) -> completed | failed.
// message_start goes out on the first upstream event. Output items become blocks in the order they
// first appear; only the item whose turn it is (the queue head) writes to the open block, the others
// buffer their text until their turn. A terminal event closes everything and ends with message_delta +
// message_stop, or with one `error` event (failures, and end() without a terminal event).
// Items are found by output_index (content by content_index), never by id alone: some relays rewrite item
// ids on every event. A web_search_call item becomes server_tool_use + its result block when it is done
// (web-search-reply.ts); url_citation annotations become citations_delta events on their text block.
import { randomUUID } from 'node:crypto';
import type { AnthropicErrorType, StopReason, StreamEvent, Usage } from '../wire/anthropic-stream.ts';
import type { LooseOutputItem, OutputItem, ResponseObject, ResponsesEvent } from '../wire/responses-stream.ts';
import { BlockWriter } from './block-writer.ts';
import { OutputSlot, PartTexts, RAW_REASONING_SEGMENT, slotKindFor, type SlotKind } from './output-slot.ts';
import { anthropicStopReason } from './stop-reason.ts';
import { describeUpstreamError, type AnthropicError } from './upstream-error.ts';
import { anthropicUsage, zeroUsage } from './usage.ts';
import { serverToolUseId, urlCitation, webSearchPair } from './web-search-reply.ts';

export interface StreamTranslatorOptions {
  /** Model name the client asked for; goes into message_start. */
  model: string;
  /** Default: a generated "msg_..." id. */
  messageId?: string;
  /** Reverses shortened tool names. */
  originalToolName?: (upstreamName: string) => string;
  /** Default true; false: reasoning items produce no blocks. */
  emitThinking?: boolean;
  /** Default true; false (thinking.display "omitted"): thinking blocks carry only their signature, no text. */
  thinkingText?: boolean;
}

export type TranslatorState = 'idle' | 'streaming' | 'thinking' | 'text' | 'tool_use' | 'server_tool' | 'completed' | 'failed';

type Phase = 'idle' | 'streaming' | 'completed' | 'failed';

type LooseItem = LooseOutputItem;

type ContentPart = { type?: string; text?: string; refusal?: string; annotations?: unknown };

const identity = (name: string): string => name;

export const TRUNCATED_STREAM_MESSAGE =
  'Packycode closed the stream before response.completed: the reply is incomplete. Try again.';

export class StreamTranslator {
  readonly #model: string;
  readonly #messageId: string | undefined;
  readonly #toolName: (upstreamName: string) => string;
  readonly #emitThinking: boolean;
  readonly #thinkingText: boolean;

  #phase: Phase = 'idle';
  readonly #blocks = new BlockWriter();
  /** Items in the order they first appeared; #head is the one whose turn it is. */
  readonly #queue: OutputSlot[] = [];
  #head = 0;
  readonly #byIndex = new Map<number, OutputSlot>();
  readonly #byId = new Map<string, OutputSlot>();
  /** Every item in the order first seen (ignored kinds included): output position when indexes are missing. */
  readonly #all: OutputSlot[] = [];
  /** Ids seen on more than one item (a relay reusing ids): never used to find an item. Made when needed. */
  #sharedIds: Set<string> | null = null;
  #last: OutputSlot | null = null;
  #nextSyntheticKey = -1;

  #toolUse = false;
  #webSearches = 0;
  #webFetches = 0;
  #serverIds: Set<string> | null = null;
  #refusal = false;
  #usage: Usage = zeroUsage();
  #stopReason: StopReason | null = null;
  #failed: AnthropicError | null = null;

  constructor(opts: StreamTranslatorOptions) {
    this.#model = opts.model;
    this.#messageId = opts.messageId;
    this.#toolName = opts.originalToolName ?? identity;
    this.#emitThinking = opts.emitThinking !== false;
    this.#thinkingText = this.#emitThinking && opts.thinkingText !== false;
  }

  get state(): TranslatorState {
    return this.#phase === 'streaming' ? (this.#blocks.openKind ?? 'streaming') : this.#phase;
  }
  /** True once any content_block_start has been emitted. */
  get hasOutput(): boolean { return this.#blocks.count > 0; }

  /** Emits message_start now unless it went out already (a stream started before the first upstream event). */
  begin(out: StreamEvent[] = []): StreamEvent[] {
    if (this.#phase === 'idle') this.#start(out);
    return out;
  }
  /** Set when the stream ended in an error (an `error` event was emitted). */
  get failed(): { type: AnthropicErrorType; message: string } | null { return this.#failed; }
  get usage(): Usage { return this.#usage; }
  get stopReason(): StopReason | null { return this.#stopReason; }

  /** Anthropic events to write now, in order, appended to `out` (a new array by default). Nothing after a terminal state. */
  push(ev: ResponsesEvent, out: StreamEvent[] = []): StreamEvent[] {
    if (this.#phase !== 'streaming') {
      if (this.#phase !== 'idle') return out;
      this.#start(out);
    }
    switch (ev.type) {
      // Deltas first: they are most of the traffic.
      case 'response.output_text.delta': {
        const s = this.#slot(ev, 'message');
        if (s !== null && ev.delta) this.#partDelta(out, s, s.parts, ev.content_index ?? 0, 0, ev.delta);
        break;
      }
      case 'response.function_call_arguments.delta': {
        const s = this.#slot(ev, 'function_call');
        if (s !== null && ev.delta) this.#partDelta(out, s, s.parts, 0, 0, ev.delta);
        break;
      }
      case 'response.reasoning_summary_text.delta': {
        if (!this.#thinkingText || !ev.delta) break;
        const s = this.#slot(ev, 'reasoning');
        const k = ev.summary_index ?? 0;
        if (s !== null) this.#partDelta(out, s, s.parts, k, k, ev.delta);
        break;
      }
      case 'response.reasoning_text.delta': {
        if (!this.#thinkingText || !ev.delta) break;
        const s = this.#slot(ev, 'reasoning');
        const k = ev.content_index ?? 0;
        if (s !== null) this.#partDelta(out, s, (s.raw ??= new PartTexts()), k, RAW_REASONING_SEGMENT + k, ev.delta);
        break;
      }
      case 'response.refusal.delta': {
        const s = this.#slot(ev, 'message');
        if (s !== null && ev.delta) {
          this.#refusal = true;
          this.#partDelta(out, s, s.parts, ev.content_index ?? 0, 0, ev.delta);
        }
        break;
      }

      // Full texts: emit whatever the deltas did not already deliver.
      case 'response.output_text.done': {
        const s = this.#slot(ev, 'message');
        if (s !== null) {
          this.#keepFullText(s, ev.content_index ?? 0, ev.text);
          this.#partFull(out, s, s.parts, ev.content_index ?? 0, 0, ev.text);
        }
        break;
      }
      case 'response.output_text.annotation.added': {
        const s = this.#slot(ev, 'message');
        if (s !== null) this.#annotation(s, ev.content_index ?? 0, ev.annotation);
        break;
      }
      case 'response.refusal.done': {
        const s = this.#slot(ev, 'message');
        if (s !== null && ev.refusal) {
          this.#refusal = true;
          this.#partFull(out, s, s.parts, ev.content_index ?? 0, 0, ev.refusal);
        }
        break;
      }
      case 'response.function_call_arguments.done': {
        const s = this.#slot(ev, 'function_call');
        if (s !== null) this.#partFull(out, s, s.parts, 0, 0, ev.arguments);
        break;
      }
      case 'response.reasoning_summary_text.done': {
        if (!this.#thinkingText) break;
        const s = this.#slot(ev, 'reasoning');
        const k = ev.summary_index ?? 0;
        if (s !== null) this.#partFull(out, s, s.parts, k, k, ev.text);
        break;
      }
      case 'response.reasoning_text.done': {
        if (!this.#thinkingText) break;
        const s = this.#slot(ev, 'reasoning');
        const k = ev.content_index ?? 0;
        if (s !== null) this.#partFull(out, s, (s.raw ??= new PartTexts()), k, RAW_REASONING_SEGMENT + k, ev.text);
        break;
      }
      case 'response.reasoning_summary_part.added':
      case 'response.reasoning_summary_part.done': {
        if (!this.#thinkingText || !ev.part?.text) break;
        const s = this.#slot(ev, 'reasoning');
        const k = ev.summary_index ?? 0;
        if (s !== null) this.#partFull(out, s, s.parts, k, k, ev.part.text);
        break;
      }
      case 'response.content_part.added':
      case 'response.content_part.done':
        this.#contentPart(out, ev);
        break;

      // Item lifecycle.
      case 'response.output_item.added': {
        const item = ev.item as LooseItem | undefined;
        if (!item) break;
        const s = this.#slotForItem(ev.output_index, item, false);
        if (s === null) break;
        this.#absorbMeta(s, item);
        if (this.#queue[this.#head] === s) this.#activate(out, s);
        break;
      }
      case 'response.output_item.done': {
        const item = ev.item as LooseItem | undefined;
        if (!item) break;
        const s = this.#slotForItem(ev.output_index, item, true);
        if (s === null) break;
        this.#absorbDone(out, s, item);
        this.#advance(out);
        break;
      }

      // Terminal events.
      case 'response.completed':
        this.#complete(out, ev.response, ev.response?.status === 'incomplete' ? 'incomplete' : 'completed');
        break;
      case 'response.incomplete':
        this.#complete(out, ev.response, 'incomplete');
        break;
      case 'response.failed': {
        const e = ev.response?.error;
        this.#fail(out, e
          ? describeUpstreamError(e.code ?? e.type, e.message)
          : { type: 'api_error', message: 'Packycode reported response.failed without an error message' });
        break;
      }
      case 'response.cancelled':
        this.#fail(out, { type: 'api_error', message: 'Packycode cancelled the response before it completed' });
        break;
      case 'error': {
        const e = ev.error;
        const status = typeof ev.status === 'number' ? ev.status : undefined;
        this.#fail(out, describeUpstreamError(e?.code ?? e?.type ?? ev.code, e?.message ?? ev.message, status));
        break;
      }
      default:
        break; // response.created, in_progress, web_search_call progress events, unknown types
    }
    return out;
  }

  /** Upstream closed. Closing events, or one `error` event when no terminal event was seen. */
  end(): StreamEvent[] {
    const out: StreamEvent[] = [];
    if (this.#phase === 'completed' || this.#phase === 'failed') return out;
    if (this.#phase === 'idle') this.#start(out);
    this.#fail(out, { type: 'api_error', message: TRUNCATED_STREAM_MESSAGE });
    return out;
  }

  // --- message lifecycle ---------------------------------------------------------------------------

  #start(out: StreamEvent[]): void {
    out.push({
      type: 'message_start',
      message: {
        id: this.#messageId ?? `msg_${randomUUID().replaceAll('-', '')}`,
        type: 'message', role: 'assistant', model: this.#model, content: [],
        stop_reason: null, stop_sequence: null, usage: { input_tokens: 0, output_tokens: 0 },
      },
    });
    this.#phase = 'streaming';
  }

  #complete(out: StreamEvent[], r: ResponseObject | undefined, terminal: 'completed' | 'incomplete'): void {
    const output = r?.output;
    if (Array.isArray(output)) this.#absorbOutput(out, output);
    for (let i = this.#head; i < this.#queue.length; i++) this.#queue[i].itemDone = true;
    this.#advance(out);
    this.#blocks.stop(out);
    this.#usage = anthropicUsage(r?.usage);
    if (this.#webSearches > 0 || this.#webFetches > 0) {
      this.#usage.server_tool_use = this.#webFetches > 0
        ? { web_search_requests: this.#webSearches, web_fetch_requests: this.#webFetches }
        : { web_search_requests: this.#webSearches };
    }
    this.#stopReason = anthropicStopReason({
      terminal, incompleteReason: r?.incomplete_details?.reason ?? null, toolUse: this.#toolUse, refusal: this.#refusal,
    });
    const u = this.#usage;
    out.push({
      type: 'message_delta',
      delta: { stop_reason: this.#stopReason, stop_sequence: null },
      usage: u.server_tool_use
        ? { input_tokens: u.input_tokens, output_tokens: u.output_tokens, cache_read_input_tokens: u.cache_read_input_tokens, server_tool_use: u.server_tool_use }
        : { input_tokens: u.input_tokens, output_tokens: u.output_tokens, cache_read_input_tokens: u.cache_read_input_tokens },
    });
    out.push({ type: 'message_stop' });
    this.#phase = 'completed';
  }

  #fail(out: StreamEvent[], err: AnthropicError): void {
    this.#failed = err;
    this.#phase = 'failed';
    out.push({ type: 'error', error: { type: err.type, message: err.message } });
  }

  // --- finding items ---------------------------------------------------------------------------------

  /** The slot an item-scoped event belongs to (created on first sight); null when it is of another kind or finished. */
  #slot(ev: ResponsesEvent, kind: SlotKind): OutputSlot | null {
    const oi = ev.output_index;
    let s = this.#last;
    if (s === null || s.key !== oi) {
      s = null;
      if (typeof oi === 'number') s = this.#byIndex.get(oi) ?? null;
      else if (typeof ev.item_id === 'string') s = this.#byId.get(ev.item_id) ?? null;
      // no output_index, and an id never seen (a relay rewriting ids): the item being written
      if (s === null && typeof oi !== 'number' && this.#last !== null && this.#last.kind === kind && !this.#last.finished) s = this.#last;
      if (s === null) {
        s = this.#create(kind, typeof oi === 'number' ? oi : this.#nextSyntheticKey--,
          typeof ev.item_id === 'string' ? ev.item_id : null);
      }
      this.#last = s;
    }
    return s.kind === kind && !s.finished ? s : null;
  }

  #slotForItem(outputIndex: number | undefined, item: LooseItem, done: boolean): OutputSlot | null {
    const kind = slotKindFor(item.type, this.#emitThinking);
    let s: OutputSlot | undefined;
    if (typeof outputIndex === 'number') s = this.#byIndex.get(outputIndex);
    else if (typeof item.id === 'string') s = this.#byId.get(item.id);
    // no output_index and an id never seen (a relay rewriting ids): the item being written, unless it is done
    const last = this.#last;
    if (s === undefined && typeof outputIndex !== 'number' && last !== null && last.kind === kind && !(done ? last.finished : last.itemDone)) s = last;
    if (s === undefined) {
      s = this.#create(kind, typeof outputIndex === 'number' ? outputIndex : this.#nextSyntheticKey--,
        typeof item.id === 'string' ? item.id : null);
    } else if (s.id === null && typeof item.id === 'string') {
      s.id = item.id;
      if (this.#byId.has(item.id)) (this.#sharedIds ??= new Set()).add(item.id);
      this.#byId.set(item.id, s);
    }
    this.#last = s;
    return s.kind === kind && kind !== 'ignored' && !s.finished ? s : null;
  }

  #create(kind: SlotKind, key: number, id: string | null): OutputSlot {
    const s = new OutputSlot(kind, key, id);
    this.#all.push(s);
    if (id !== null && this.#byId.has(id)) (this.#sharedIds ??= new Set()).add(id);
    this.#byIndex.set(key, s);
    if (id !== null) this.#byId.set(id, s);
    if (kind !== 'ignored') this.#queue.push(s);
    return s;
  }

  // --- item content ----------------------------------------------------------------------------------

  #contentPart(out: StreamEvent[], ev: ResponsesEvent): void {
    const part = ev.part;
    if (!part) return;
    const k = ev.content_index ?? 0;
    if (part.type === 'reasoning_text') {
      if (!this.#thinkingText || !part.text) return;
      const s = this.#slot(ev, 'reasoning');
      if (s !== null) this.#partFull(out, s, (s.raw ??= new PartTexts()), k, RAW_REASONING_SEGMENT + k, part.text);
      return;
    }
    const text = part.type === 'refusal' ? part.refusal : part.text;
    if (!text) return;
    const s = this.#slot(ev, 'message');
    if (s === null) return;
    if (part.type === 'refusal') this.#refusal = true;
    else if (ev.type === 'response.content_part.done') this.#keepFullText(s, k, text);
    this.#partFull(out, s, s.parts, k, 0, text);
  }

  #absorbMeta(s: OutputSlot, item: LooseItem): void {
    if (s.kind === 'function_call') {
      if (s.callId === null && typeof item.call_id === 'string' && item.call_id) s.callId = item.call_id;
      if (s.name === null && typeof item.name === 'string' && item.name) s.name = item.name;
    } else if (s.kind === 'reasoning') {
      if (typeof item.encrypted_content === 'string' && item.encrypted_content) s.signature = item.encrypted_content;
    }
  }

  /** output_item.done (or an item of response.output): the full item. */
  #absorbDone(out: StreamEvent[], s: OutputSlot, item: LooseItem): void {
    this.#absorbMeta(s, item); // a later encrypted_content replaces an earlier one
    if (s.kind === 'message') {
      const content = item.content as ContentPart[] | null | undefined;
      if (Array.isArray(content)) {
        for (let k = 0; k < content.length; k++) {
          const c = content[k];
          if (c.type === 'refusal') {
            if (c.refusal) this.#refusal = true;
            this.#partFull(out, s, s.parts, k, 0, c.refusal);
          } else {
            this.#keepFullText(s, k, c.text);
            if (Array.isArray(c.annotations)) for (const a of c.annotations) this.#annotation(s, k, a);
            this.#partFull(out, s, s.parts, k, 0, c.text);
          }
        }
      }
    } else if (s.kind === 'web_search') {
      if (typeof item.status === 'string') s.status = item.status;
      if (item.action && typeof item.action === 'object') s.action = item.action;
    } else if (s.kind === 'function_call') {
      this.#partFull(out, s, s.parts, 0, 0, item.arguments);
    } else if (s.kind === 'reasoning' && this.#thinkingText) {
      const summary = item.summary;
      if (Array.isArray(summary)) {
        for (let k = 0; k < summary.length; k++) this.#partFull(out, s, s.parts, k, k, summary[k].text);
      }
      // Raw reasoning text only when it was streamed or there is no summary to show.
      const content = item.content;
      if (Array.isArray(content) && (s.raw !== null || !s.hasText)) {
        const raw = (s.raw ??= new PartTexts());
        for (let k = 0; k < content.length; k++) this.#partFull(out, s, raw, k, RAW_REASONING_SEGMENT + k, content[k].text);
      }
    }
    s.itemDone = true;
  }

  /** response.output of a terminal event: fills in items the stream never (fully) delivered. */
  #absorbOutput(out: StreamEvent[], output: OutputItem[]): void {
    const matched = new Set<OutputSlot>();
    for (let i = 0; i < output.length; i++) {
      const item = output[i] as LooseItem;
      if (!item || typeof item !== 'object') continue;
      const kind = slotKindFor(item.type, this.#emitThinking);
      if (kind === 'ignored') continue;
      // The streamed item this is: by its id when that id named one item only; else (a relay rewrote the ids)
      // the i-th item seen, or the one streamed at output_index i. Each streamed item matches once.
      const id = typeof item.id === 'string' ? item.id : null;
      const usable = (c: OutputSlot | undefined): c is OutputSlot => c !== undefined && c.kind === kind && !matched.has(c);
      let s: OutputSlot | undefined;
      const byId = id !== null && !this.#sharedIds?.has(id) ? this.#byId.get(id) : undefined;
      if (usable(byId)) s = byId;
      else if (usable(this.#all[i])) s = this.#all[i];
      else if (usable(this.#byIndex.get(i))) s = this.#byIndex.get(i);
      if (s === undefined) s = this.#create(kind, this.#byIndex.has(i) ? this.#nextSyntheticKey-- : i, id);
      matched.add(s);
      if (s.kind !== kind || s.finished || s.itemDone) continue;
      this.#absorbDone(out, s, item);
    }
  }

  /** Record `delta` as part `k`'s text and write it. */
  #partDelta(out: StreamEvent[], s: OutputSlot, parts: PartTexts, k: number, segment: number, delta: string): void {
    parts.append(k, delta);
    this.#write(out, s, segment, delta);
  }

  /** Part `k`'s full text is `full`: write the part the deltas did not deliver (nothing if they diverge). */
  #partFull(out: StreamEvent[], s: OutputSlot, parts: PartTexts, k: number, segment: number, full: string | undefined): void {
    if (typeof full !== 'string' || full === '') return;
    const rest = parts.rest(k, full);
    if (rest !== null) this.#write(out, s, segment, rest);
  }

  /** Write text for an item: into its open block, opening it if it is the item's turn, else buffer it. */
  #write(out: StreamEvent[], s: OutputSlot, segment: number, text: string): void {
    if (s.kind === 'reasoning') {
      if (s.hasText && segment !== s.lastSegment) text = '\n\n' + text;
      s.lastSegment = segment;
    }
    s.hasText = true;
    if (s.block < 0) {
      if (this.#queue[this.#head] !== s || !this.#open(out, s)) {
        s.pending += text;
        return;
      }
    }
    this.#delta(out, s, text);
  }

  #delta(out: StreamEvent[], s: OutputSlot, text: string): void {
    if (s.kind === 'message') this.#blocks.text(out, text);
    else if (s.kind === 'function_call') this.#blocks.json(out, text);
    else this.#blocks.thinking(out, text);
  }

  // --- turns ---------------------------------------------------------------------------------------------

  /** Open the item's block. A function call needs its name first; returns false when it cannot open yet. */
  #open(out: StreamEvent[], s: OutputSlot): boolean {
    if (s.kind === 'message') {
      s.block = this.#blocks.startText(out);
    } else if (s.kind === 'reasoning') {
      s.block = this.#blocks.startThinking(out);
    } else {
      if (s.name === null) return false;
      s.block = this.#blocks.startToolUse(out, s.callId ?? s.id ?? `call_${randomUUID().replaceAll('-', '')}`, this.#toolName(s.name));
      this.#toolUse = true;
    }
    return true;
  }

  /** The item's turn has come (or its metadata arrived): open what can be opened, flush the buffer. */
  #activate(out: StreamEvent[], s: OutputSlot): void {
    if (s.block < 0) {
      const wantsBlock = s.pending !== '' || (s.kind === 'function_call' && s.name !== null);
      if (!wantsBlock || !this.#open(out, s)) return;
    }
    if (s.pending !== '') {
      this.#delta(out, s, s.pending);
      s.pending = '';
    }
  }

  /** Close the head item's block (thinking: signature first) and mark it finished. */
  #finish(out: StreamEvent[], s: OutputSlot): void {
    if (s.kind === 'web_search') {
      this.#webSearchBlocks(out, s);
      s.finished = true;
      return;
    }
    this.#activate(out, s);
    if (s.annotations !== null && s.block >= 0) this.#citations(out, s);
    s.fullTexts = null;
    if (s.kind === 'reasoning' && s.signature !== '') {
      if (s.block < 0) this.#open(out, s); // no summary: an empty thinking block still carries the signature
      this.#blocks.signature(out, s.signature);
    }
    if (s.block >= 0) this.#blocks.stop(out);
    s.finished = true;
    s.pending = ''; // a function call whose name never arrived is dropped
  }

  /** server_tool_use + its result block for a finished web_search_call. */
  #webSearchBlocks(out: StreamEvent[], s: OutputSlot): void {
    let id = serverToolUseId(s.id, this.#blocks.count);
    const used = (this.#serverIds ??= new Set());
    if (used.has(id)) id = `${id}_${this.#blocks.count}`; // a relay gave two items one id
    used.add(id);
    const pair = webSearchPair({ status: s.status, action: s.action }, id);
    this.#blocks.serverToolUse(out, id, pair.name, pair.input);
    this.#blocks.serverToolResult(out, pair.result as Exclude<typeof pair.result, { type: 'server_tool_use' }>);
    if (pair.isSearch) this.#webSearches++;
    else this.#webFetches++;
  }

  /** The message's url_citation annotations as citations_delta events on its (open) text block. */
  #citations(out: StreamEvent[], s: OutputSlot): void {
    for (const { k, annotation } of s.annotations!) {
      const citation = urlCitation(annotation, s.fullTexts?.[k]);
      if (citation !== null) this.#blocks.citation(out, citation);
    }
    s.annotations = null;
  }

  #annotation(s: OutputSlot, k: number, annotation: unknown): void {
    if (!annotation || typeof annotation !== 'object') return;
    const a = annotation as Record<string, unknown>;
    if (a.type !== 'url_citation') return;
    const list = (s.annotations ??= []);
    // the same annotation arrives as an event and again in the done item
    if (list.some((x) => x.k === k && x.annotation.url === a.url && x.annotation.start_index === a.start_index && x.annotation.end_index === a.end_index)) return;
    list.push({ k, annotation: a });
  }

  /** A part's full text from a done event (kept until the item finishes, for cited_text). */
  #keepFullText(s: OutputSlot, k: number, text: string | undefined): void {
    if (typeof text === 'string' && text !== '') (s.fullTexts ??= [])[k] = text;
  }

  /** Finish every done item at the head of the queue; give the turn to the next one. */
  #advance(out: StreamEvent[]): void {
    const q = this.#queue;
    while (this.#head < q.length && q[this.#head].itemDone) {
      this.#finish(out, q[this.#head]);
      this.#head++;
      if (this.#head < q.length) this.#activate(out, q[this.#head]);
    }
  }
}
