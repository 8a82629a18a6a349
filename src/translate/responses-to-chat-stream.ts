// Responses API stream events in, Chat Completions chunks out: a small state machine. Pure.
//
// States: idle -> streaming -> completed | failed. The first chunk (role: assistant) goes out with the first
// upstream event. Text deltas become `content`, refusal deltas `refusal`, reasoning-summary deltas
// `reasoning_content`; each function_call item gets the next tool_calls index, its name and id in its first
// delta and its arguments as they stream. Chat chunks carry an index per tool call, so interleaved parallel
// calls need no buffering. An item that arrives whole (output_item.done, or only in response.completed)
// without its deltas is emitted from the whole item, so relays that send no deltas still work.
// The terminal event gives finish_reason (stop | tool_calls | length | content_filter) and usage; a failure
// (`error`, response.failed, or end() before a terminal event) sets `failed` and emits nothing more.
import type { ChatCompletionChunk, ChatDelta, ChatFinishReason, ChatUsage } from '../wire/openai-chat.ts';
import type { LooseOutputItem, ResponseObject, ResponsesEvent, ResponsesUsage } from '../wire/responses-stream.ts';

export interface ChatStreamOptions {
  /** chatcmpl-… id of every chunk */
  id: string;
  /** the model name the client asked for */
  model: string;
  /** unix seconds */
  created: number;
  /** stream_options.include_usage: every chunk carries `usage: null`, a last chunk with no choices carries usage */
  includeUsage: boolean;
}

export interface ChatStreamFailure {
  /** the upstream's error code or type, when it sent one */
  code?: string;
  message: string;
}

type Phase = 'idle' | 'streaming' | 'completed' | 'failed';

interface ItemState {
  kind: 'message' | 'function_call' | 'reasoning' | 'other';
  /** characters of text (message), arguments (function_call) or summary (reasoning) already sent */
  sent: number;
  /** tool_calls index (function_call items) */
  toolIndex?: number;
  /** summary_index of the last reasoning-summary delta (reasoning items) */
  part?: number;
}

type LooseItem = LooseOutputItem;

export const CHAT_TRUNCATED_MESSAGE = 'the upstream closed the stream before response.completed: the reply is incomplete. Try again.';

function count(n: unknown): number {
  return typeof n === 'number' && n > 0 && Number.isFinite(n) ? Math.floor(n) : 0;
}

/** Responses usage -> Chat usage: prompt_tokens include the cached ones, completion_tokens the reasoning ones (as OpenAI counts). */
export function chatUsage(u: ResponsesUsage | null | undefined): ChatUsage {
  const prompt = count(u?.input_tokens);
  const completion = count(u?.output_tokens);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: Math.min(count(u?.input_tokens_details?.cached_tokens), prompt) },
    completion_tokens_details: { reasoning_tokens: count(u?.output_tokens_details?.reasoning_tokens) },
  };
}

/** How the reply ended -> finish_reason. */
export function chatFinishReason(terminal: 'completed' | 'incomplete', incompleteReason: string | null | undefined, toolCalls: boolean): ChatFinishReason {
  if (terminal === 'incomplete') return incompleteReason === 'content_filter' ? 'content_filter' : 'length';
  return toolCalls ? 'tool_calls' : 'stop';
}

function messageText(item: LooseItem): { text: string; refusal: string } {
  let text = '';
  let refusal = '';
  for (const c of item.content ?? []) {
    if (c.type === 'output_text' && typeof c.text === 'string') text += c.text;
    else if (c.type === 'refusal' && typeof c.refusal === 'string') refusal += c.refusal;
  }
  return { text, refusal };
}

function summaryText(item: LooseItem): string {
  return (item.summary ?? []).map((s) => (typeof s.text === 'string' ? s.text : '')).join('\n\n');
}

export class ChatStreamTranslator {
  readonly #opts: ChatStreamOptions;
  #phase: Phase = 'idle';
  readonly #items = new Map<string, ItemState>();
  #toolCalls = 0;
  #usage: ChatUsage | undefined;
  #finish: ChatFinishReason | undefined;
  #failure: ChatStreamFailure | undefined;
  /** a content, refusal or tool-call chunk went out (not just the role chunk) */
  #hasOutput = false;

  constructor(opts: ChatStreamOptions) {
    this.#opts = opts;
  }

  get state(): Phase { return this.#phase; }
  get failed(): ChatStreamFailure | undefined { return this.#failure; }
  get hasOutput(): boolean { return this.#hasOutput; }
  get usage(): ChatUsage | undefined { return this.#usage; }
  get finishReason(): ChatFinishReason | undefined { return this.#finish; }

  #chunk(delta: ChatDelta, finish: ChatFinishReason | null = null): ChatCompletionChunk {
    const c: ChatCompletionChunk = {
      id: this.#opts.id, object: 'chat.completion.chunk', created: this.#opts.created, model: this.#opts.model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    };
    if (this.#opts.includeUsage) c.usage = null;
    return c;
  }

  /** The opening (role) chunk now, when it has not gone out yet: lets a reply start before its first content. */
  begin(): ChatCompletionChunk[] {
    const out: ChatCompletionChunk[] = [];
    this.#start(out);
    return out;
  }

  #start(out: ChatCompletionChunk[]): void {
    if (this.#phase !== 'idle') return;
    this.#phase = 'streaming';
    out.push(this.#chunk({ role: 'assistant', content: '', refusal: null }));
  }

  #key(ev: ResponsesEvent, item?: LooseItem): string {
    if (item?.id) return item.id;
    if (typeof ev.item_id === 'string') return ev.item_id;
    return `#${ev.output_index ?? 0}`;
  }

  #state(key: string, type: string | undefined): ItemState {
    let s = this.#items.get(key);
    if (!s) {
      const kind = type === 'message' || type === 'function_call' || type === 'reasoning' ? type : 'other';
      s = { kind, sent: 0 };
      this.#items.set(key, s);
    }
    return s;
  }

  #text(delta: string, out: ChatCompletionChunk[], field: 'content' | 'refusal' | 'reasoning_content'): void {
    if (delta === '') return;
    if (field !== 'reasoning_content') this.#hasOutput = true;
    out.push(this.#chunk({ [field]: delta }));
  }

  /** A function_call item first seen: its index, id and name. */
  #announce(s: ItemState, item: LooseItem, out: ChatCompletionChunk[]): void {
    if (s.toolIndex !== undefined) return;
    s.toolIndex = this.#toolCalls++;
    this.#hasOutput = true;
    out.push(this.#chunk({ tool_calls: [{ index: s.toolIndex, id: item.call_id ?? item.id ?? `call_${s.toolIndex}`, type: 'function', function: { name: item.name ?? '', arguments: '' } }] }));
  }

  #arguments(s: ItemState, delta: string, out: ChatCompletionChunk[]): void {
    if (delta === '' || s.toolIndex === undefined) return;
    s.sent += delta.length;
    out.push(this.#chunk({ tool_calls: [{ index: s.toolIndex, function: { arguments: delta } }] }));
  }

  /** A whole item (output_item.done, or response.completed's output): send what its deltas did not. */
  #whole(item: LooseItem, key: string, out: ChatCompletionChunk[]): void {
    const s = this.#state(key, item.type);
    if (s.kind === 'function_call') {
      this.#announce(s, item, out);
      const args = typeof item.arguments === 'string' ? item.arguments : '';
      if (args.length > s.sent) this.#arguments(s, args.slice(s.sent), out);
    } else if (s.kind === 'message') {
      const { text, refusal } = messageText(item);
      const all = text + refusal;
      if (all.length > s.sent) {
        // what is missing is taken from the end: deltas arrive in order, text before refusal
        const missingText = text.slice(Math.min(s.sent, text.length));
        const missingRefusal = refusal.slice(Math.max(0, s.sent - text.length));
        s.sent = all.length;
        this.#text(missingText, out, 'content');
        this.#text(missingRefusal, out, 'refusal');
      }
    } else if (s.kind === 'reasoning') {
      const summary = summaryText(item);
      if (summary.length > s.sent) {
        const rest = summary.slice(s.sent);
        s.sent = summary.length;
        this.#text(rest, out, 'reasoning_content');
      }
    }
  }

  #terminal(response: ResponseObject | undefined, terminal: 'completed' | 'incomplete', out: ChatCompletionChunk[]): void {
    const output = (response?.output ?? []) as LooseItem[];
    output.forEach((item, i) => this.#whole(item, item.id ?? `#${i}`, out));
    this.#usage = chatUsage(response?.usage);
    this.#finish = chatFinishReason(terminal, response?.incomplete_details?.reason, this.#toolCalls > 0);
    this.#phase = 'completed';
    out.push(this.#chunk({}, this.#finish));
    if (this.#opts.includeUsage) {
      out.push({ id: this.#opts.id, object: 'chat.completion.chunk', created: this.#opts.created, model: this.#opts.model, choices: [], usage: this.#usage });
    }
  }

  #fail(failure: ChatStreamFailure): void {
    this.#phase = 'failed';
    this.#failure = failure;
  }

  /** One upstream event in; the chunks it produces appended to `out`. */
  push(ev: ResponsesEvent, out: ChatCompletionChunk[]): void {
    if (this.#phase === 'completed' || this.#phase === 'failed') return;
    switch (ev.type) {
      case 'error': {
        const e = ev.error ?? {};
        const code = e.code ?? e.type ?? ev.code ?? undefined;
        this.#fail({ ...(code ? { code } : {}), message: e.message ?? ev.message ?? 'the upstream reported an error' });
        return;
      }
      case 'response.failed': {
        const e = ev.response?.error ?? {};
        this.#fail({ ...(e.code ? { code: e.code } : {}), message: e.message ?? 'the upstream response failed' });
        return;
      }
      default:
        break;
    }
    this.#start(out);
    switch (ev.type) {
      case 'response.output_item.added': {
        const item = (ev.item ?? {}) as LooseItem;
        const s = this.#state(this.#key(ev, item), item.type);
        if (s.kind === 'function_call') this.#announce(s, item, out);
        break;
      }
      case 'response.output_text.delta':
      case 'response.refusal.delta': {
        const s = this.#state(this.#key(ev), 'message');
        const delta = typeof ev.delta === 'string' ? ev.delta : '';
        s.sent += delta.length;
        this.#text(delta, out, ev.type === 'response.refusal.delta' ? 'refusal' : 'content');
        break;
      }
      case 'response.reasoning_summary_text.delta': {
        const s = this.#state(this.#key(ev), 'reasoning');
        const delta = typeof ev.delta === 'string' ? ev.delta : '';
        // summary parts are separated by a blank line, as in the whole item (see summaryText)
        const part = typeof ev.summary_index === 'number' ? ev.summary_index : 0;
        const sep = s.sent > 0 && s.part !== undefined && part !== s.part ? '\n\n' : '';
        s.part = part;
        s.sent += sep.length + delta.length;
        this.#text(sep + delta, out, 'reasoning_content');
        break;
      }
      case 'response.function_call_arguments.delta': {
        const s = this.#state(this.#key(ev), 'function_call');
        if (s.toolIndex === undefined) break; // no output_item.added: the whole item will say it all
        this.#arguments(s, typeof ev.delta === 'string' ? ev.delta : '', out);
        break;
      }
      case 'response.output_item.done': {
        const item = (ev.item ?? {}) as LooseItem;
        this.#whole(item, this.#key(ev, item), out);
        break;
      }
      case 'response.completed':
        this.#terminal(ev.response, 'completed', out);
        break;
      case 'response.incomplete':
        this.#terminal(ev.response, 'incomplete', out);
        break;
      default:
        break; // created, in_progress, content_part.*, *.done texts, web search and other events carry nothing new
    }
  }

  /** End of the upstream body: a stream that never reached a terminal event failed. */
  end(): void {
    if (this.#phase === 'idle' || this.#phase === 'streaming') this.#fail({ message: CHAT_TRUNCATED_MESSAGE });
  }
}
