// Scenario builders for the mock Responses upstream: event sequences shaped like the real API's
// (sequence_number on every event, full response objects, item/part lifecycles), plus HTTP-level behaviours.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { OutputItem, ResponseObject, ResponsesEvent, ResponsesUsage } from '../../src/wire/responses-stream.ts';

/** How a streamed reply is written. */
export interface StreamOptions {
  /** ms to wait between two events (or raw chunks); default 0 */
  delayMs?: number;
  /** write each event separately and yield to the event loop in between (default true); false = one write */
  flush?: boolean;
  /** with flush: write this many events per write (one write per event-loop turn); default 1 */
  eventsPerWrite?: number;
  /** HTTP status of the stream (default 200) */
  status?: number;
  /** extra response headers */
  headers?: Record<string, string>;
}

/** How a streamed reply ends once its events are written. */
export type StreamEnd = 'end' | 'destroy' | 'hang';

export type Scenario =
  | (StreamOptions & { kind: 'events'; events: ResponsesEvent[]; end?: StreamEnd })
  | (StreamOptions & { kind: 'raw'; chunks: Array<string | Uint8Array>; contentType?: string; end?: StreamEnd })
  | { kind: 'http'; status: number; body: string; headers?: Record<string, string> }
  | { kind: 'hang'; afterHeaders?: boolean };

/** Options common to the event builders. */
export interface BuildOptions extends StreamOptions {
  /** response.model; when left out the mock fills in the request's model */
  model?: string;
  responseId?: string;
  usage?: Partial<ResponsesUsage>;
  /** text deltas: a count (split evenly) or the exact pieces; default one delta per word */
  chunks?: number | string[];
}

/** A url_citation annotation on a message's text (indexes into the text). */
export interface UrlCitation { url: string; title: string; start_index: number; end_index: number }

/** The action of a web_search_call item. */
export type WebSearchAction =
  | { type: 'search'; query: string; sources?: string[] }
  | { type: 'open_page'; url: string }
  | { type: 'find_in_page'; url: string; pattern: string };

export interface CallSpec {
  name: string;
  /** JSON text, or an object to serialise */
  arguments: string | Record<string, unknown>;
  callId?: string;
}

// ---------------------------------------------------------------------------------------------------------
// ids and small helpers

export function mockId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('hex')}`;
}

/** Split text into `n` pieces of similar length without splitting a surrogate pair. */
export function splitText(text: string, chunks?: number | string[]): string[] {
  if (Array.isArray(chunks)) return chunks;
  if (text === '') return [];
  if (chunks === undefined) return text.match(/\s*\S+\s*|\s+/g) ?? [text];
  const chars = Array.from(text);
  const n = Math.max(1, Math.min(chunks, chars.length));
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(chars.slice(Math.floor((i * chars.length) / n), Math.floor(((i + 1) * chars.length) / n)).join(''));
  return out;
}

const estimateTokens = (s: string): number => Math.max(1, Math.ceil(s.length / 4));

function makeUsage(output: number, reasoning: number, over?: Partial<ResponsesUsage>): ResponsesUsage {
  const input = over?.input_tokens ?? 42;
  const out = over?.output_tokens ?? output + reasoning;
  return {
    input_tokens: input,
    input_tokens_details: over?.input_tokens_details ?? { cached_tokens: 0 },
    output_tokens: out,
    output_tokens_details: over?.output_tokens_details ?? { reasoning_tokens: reasoning },
    total_tokens: over?.total_tokens ?? input + out,
  };
}

function streamOpts(o: StreamOptions | undefined): StreamOptions {
  const s: StreamOptions = {};
  if (o?.delayMs !== undefined) s.delayMs = o.delayMs;
  if (o?.flush !== undefined) s.flush = o.flush;
  if (o?.status !== undefined) s.status = o.status;
  if (o?.headers !== undefined) s.headers = o.headers;
  return s;
}

// ---------------------------------------------------------------------------------------------------------
// the sequence builder: appends events with running sequence numbers and keeps the output list

export interface ResponseSequence {
  readonly events: ResponsesEvent[];
  readonly output: OutputItem[];
  /** response.created + response.in_progress */
  start(): ResponseSequence;
  message(text: string, chunks?: number | string[], status?: 'completed' | 'incomplete', annotations?: UrlCitation[]): ResponseSequence;
  /** a web_search_call item as the API streams it: added, in_progress, searching, completed, done with its action */
  webSearch(action: WebSearchAction, status?: 'completed' | 'failed'): ResponseSequence;
  refusal(text: string, chunks?: number | string[]): ResponseSequence;
  reasoning(summaries: string[], encrypted: string | null, chunks?: number): ResponseSequence;
  functionCalls(calls: CallSpec[], opts?: { interleave?: boolean; chunks?: number }): ResponseSequence;
  /** an `error` event (nested `error` object as recorded from the API; 'flat' = the documented top-level code/message) */
  error(code: string, message: string, shape?: 'nested' | 'flat'): ResponsesEvent;
  completed(): ResponseSequence;
  incomplete(reason: string): ResponseSequence;
  failed(code: string, message: string): ResponseSequence;
  /** the response object as it stands, with the given status */
  response(status: string): ResponseObject;
  /** the usage the terminal event will carry */
  usage(): ResponsesUsage;
}

export function sequence(opts: BuildOptions = {}): ResponseSequence {
  const id = opts.responseId ?? mockId('resp');
  const createdAt = Math.floor(Date.now() / 1000);
  const events: ResponsesEvent[] = [];
  const output: OutputItem[] = [];
  let seq = 0;
  let outTokens = 0;
  let reasoningTokens = 0;
  const push = (ev: Omit<ResponsesEvent, 'sequence_number'>): ResponsesEvent => {
    const full = { type: ev.type, sequence_number: seq++, ...ev } as ResponsesEvent;
    events.push(full);
    return full;
  };
  const clone = <T>(v: T): T => structuredClone(v);

  const self: ResponseSequence = {
    events,
    output,
    response(status) {
      const r: Record<string, unknown> = {
        id, object: 'response', created_at: createdAt, status, background: false, error: null, incomplete_details: null,
        instructions: null, max_output_tokens: null, max_tool_calls: null,
      };
      if (opts.model !== undefined) r.model = opts.model;
      Object.assign(r, {
        output: status === 'in_progress' ? [] : clone(output), parallel_tool_calls: true, previous_response_id: null,
        prompt_cache_key: null, reasoning: { effort: 'medium', summary: 'auto' }, service_tier: 'auto', store: false,
        temperature: 1, text: { format: { type: 'text' }, verbosity: 'medium' }, tool_choice: 'auto', tools: [], top_p: 1,
        truncation: 'disabled', usage: status === 'in_progress' ? null : self.usage(), user: null, metadata: {},
      });
      return r as unknown as ResponseObject;
    },
    usage: () => makeUsage(outTokens, reasoningTokens, opts.usage),
    start() {
      push({ type: 'response.created', response: self.response('in_progress') });
      push({ type: 'response.in_progress', response: self.response('in_progress') });
      return self;
    },
    message(text, chunks, status = 'completed', annotations = []) {
      const itemId = mockId('msg');
      const output_index = output.length;
      push({ type: 'response.output_item.added', output_index, item: { id: itemId, type: 'message', status: 'in_progress', content: [], role: 'assistant' } });
      push({ type: 'response.content_part.added', item_id: itemId, output_index, content_index: 0, part: { type: 'output_text', annotations: [], logprobs: [], text: '' } });
      for (const delta of splitText(text, chunks)) {
        push({ type: 'response.output_text.delta', item_id: itemId, output_index, content_index: 0, delta, logprobs: [] });
      }
      const anns = annotations.map((a) => ({ type: 'url_citation', ...a }));
      anns.forEach((annotation, annotation_index) => {
        push({ type: 'response.output_text.annotation.added', item_id: itemId, output_index, content_index: 0, annotation_index, annotation });
      });
      push({ type: 'response.output_text.done', item_id: itemId, output_index, content_index: 0, text, logprobs: [] });
      const part = { type: 'output_text', annotations: anns, logprobs: [], text };
      push({ type: 'response.content_part.done', item_id: itemId, output_index, content_index: 0, part: clone(part) });
      const item = { id: itemId, type: 'message', status, content: [part], role: 'assistant' } as OutputItem;
      output.push(item);
      push({ type: 'response.output_item.done', output_index, item: clone(item) });
      outTokens += estimateTokens(text);
      return self;
    },
    webSearch(action, status = 'completed') {
      const itemId = mockId('ws');
      const output_index = output.length;
      push({ type: 'response.output_item.added', output_index, item: { id: itemId, type: 'web_search_call', status: 'in_progress' } as OutputItem });
      push({ type: 'response.web_search_call.in_progress', item_id: itemId, output_index });
      push({ type: 'response.web_search_call.searching', item_id: itemId, output_index });
      push({ type: 'response.web_search_call.completed', item_id: itemId, output_index });
      const act = action.type === 'search'
        ? { type: 'search', query: action.query, sources: (action.sources ?? []).map((url) => ({ type: 'url', url })) }
        : { ...action };
      const item = { id: itemId, type: 'web_search_call', status, action: act } as OutputItem;
      output.push(item);
      push({ type: 'response.output_item.done', output_index, item: clone(item) });
      return self;
    },
    refusal(text, chunks) {
      const itemId = mockId('msg');
      const output_index = output.length;
      push({ type: 'response.output_item.added', output_index, item: { id: itemId, type: 'message', status: 'in_progress', content: [], role: 'assistant' } });
      push({ type: 'response.content_part.added', item_id: itemId, output_index, content_index: 0, part: { type: 'refusal', refusal: '' } });
      for (const delta of splitText(text, chunks)) {
        push({ type: 'response.refusal.delta', item_id: itemId, output_index, content_index: 0, delta });
      }
      push({ type: 'response.refusal.done', item_id: itemId, output_index, content_index: 0, refusal: text });
      const part = { type: 'refusal', refusal: text };
      push({ type: 'response.content_part.done', item_id: itemId, output_index, content_index: 0, part: clone(part) });
      const item = { id: itemId, type: 'message', status: 'completed', content: [part], role: 'assistant' } as OutputItem;
      output.push(item);
      push({ type: 'response.output_item.done', output_index, item: clone(item) });
      outTokens += estimateTokens(text);
      return self;
    },
    reasoning(summaries, encrypted, chunks = 3) {
      const itemId = mockId('rs');
      const output_index = output.length;
      // As recorded: the added item carries a provisional encrypted_content; the done item has the final one.
      const added: Record<string, unknown> = { id: itemId, type: 'reasoning', summary: [] };
      if (encrypted !== null) added.encrypted_content = `${encrypted.slice(0, 16)}_PARTIAL`;
      push({ type: 'response.output_item.added', output_index, item: added as OutputItem });
      summaries.forEach((text, summary_index) => {
        push({ type: 'response.reasoning_summary_part.added', item_id: itemId, output_index, summary_index, part: { type: 'summary_text', text: '' } });
        for (const delta of splitText(text, chunks)) {
          push({ type: 'response.reasoning_summary_text.delta', item_id: itemId, output_index, summary_index, delta });
        }
        push({ type: 'response.reasoning_summary_text.done', item_id: itemId, output_index, summary_index, text });
        push({ type: 'response.reasoning_summary_part.done', item_id: itemId, output_index, summary_index, part: { type: 'summary_text', text } });
      });
      const item: Record<string, unknown> = { id: itemId, type: 'reasoning', summary: summaries.map((text) => ({ type: 'summary_text', text })) };
      if (encrypted !== null) item.encrypted_content = encrypted;
      output.push(item as OutputItem);
      push({ type: 'response.output_item.done', output_index, item: clone(item) as OutputItem });
      reasoningTokens += 64 + summaries.reduce((n, s) => n + estimateTokens(s), 0);
      return self;
    },
    functionCalls(calls, fopts = {}) {
      const specs = calls.map((c, i) => {
        const args = typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments);
        return { itemId: mockId('fc'), callId: c.callId ?? mockId('call'), name: c.name, args, output_index: output.length + i, deltas: splitText(args, fopts.chunks ?? 3) };
      });
      const added = (s: (typeof specs)[number]) => push({
        type: 'response.output_item.added', output_index: s.output_index,
        item: { id: s.itemId, type: 'function_call', status: 'in_progress', arguments: '', call_id: s.callId, name: s.name },
      });
      const deltas = (s: (typeof specs)[number], from: number, to: number) => {
        for (let i = from; i < Math.min(to, s.deltas.length); i++) {
          push({ type: 'response.function_call_arguments.delta', item_id: s.itemId, output_index: s.output_index, delta: s.deltas[i] });
        }
      };
      const done = (s: (typeof specs)[number]) => {
        push({ type: 'response.function_call_arguments.done', item_id: s.itemId, output_index: s.output_index, arguments: s.args });
        const item = { id: s.itemId, type: 'function_call', status: 'completed', arguments: s.args, call_id: s.callId, name: s.name } as OutputItem;
        output.push(item);
        push({ type: 'response.output_item.done', output_index: s.output_index, item: clone(item) });
        outTokens += estimateTokens(s.args);
      };
      if (fopts.interleave) {
        specs.forEach(added);
        const most = Math.max(0, ...specs.map((s) => s.deltas.length));
        for (let i = 0; i < most; i++) for (const s of specs) deltas(s, i, i + 1);
        specs.forEach(done);
      } else {
        for (const s of specs) { added(s); deltas(s, 0, s.deltas.length); done(s); }
      }
      return self;
    },
    error(code, message, shape = 'nested') {
      return shape === 'flat'
        ? push({ type: 'error', code, message, param: null })
        : push({ type: 'error', error: { type: code, code, message, param: null } });
    },
    completed() {
      push({ type: 'response.completed', response: self.response('completed') });
      return self;
    },
    incomplete(reason) {
      const r = self.response('incomplete');
      r.incomplete_details = { reason };
      push({ type: 'response.incomplete', response: r });
      return self;
    },
    failed(code, message) {
      const r = self.response('failed');
      r.error = { code, message };
      r.usage = null;
      push({ type: 'response.failed', response: r });
      return self;
    },
  };
  return self;
}

const events = (s: ResponseSequence, o?: StreamOptions): Scenario => ({ kind: 'events', events: s.events, ...streamOpts(o) });

// ---------------------------------------------------------------------------------------------------------
// streamed scenarios

/** A plain text answer. */
export function text(str: string, opts: BuildOptions = {}): Scenario {
  return events(sequence(opts).start().message(str, opts.chunks).completed(), opts);
}

/** A reasoning item (summary parts + encrypted content), then a text answer. */
export function reasoningThenText(
  spec: { summaries: string[]; encrypted: string; text: string },
  opts: BuildOptions = {},
): Scenario {
  return events(sequence(opts).start().reasoning(spec.summaries, spec.encrypted).message(spec.text, opts.chunks).completed(), opts);
}

/** Only a reasoning item, no message (summaries default to none). */
export function reasoningOnly(encrypted: string, opts: BuildOptions & { summaries?: string[] } = {}): Scenario {
  return events(sequence(opts).start().reasoning(opts.summaries ?? [], encrypted).completed(), opts);
}

/** One or more function calls; `interleave` streams their argument deltas round-robin after adding all items. */
export function functionCalls(calls: CallSpec[], opts: BuildOptions & { interleave?: boolean; argChunks?: number; reasoning?: { summaries: string[]; encrypted: string } } = {}): Scenario {
  const s = sequence(opts).start();
  if (opts.reasoning) s.reasoning(opts.reasoning.summaries, opts.reasoning.encrypted);
  const fo: { interleave?: boolean; chunks?: number } = {};
  if (opts.interleave !== undefined) fo.interleave = opts.interleave;
  if (opts.argChunks !== undefined) fo.chunks = opts.argChunks;
  return events(s.functionCalls(calls, fo).completed(), opts);
}

/**
 * Web searches as the API runs them (one web_search_call per action), then a text answer citing the given
 * sources (a url_citation per cited span).
 */
export function webSearchThenText(
  spec: { actions: WebSearchAction[]; text: string; citations?: UrlCitation[] },
  opts: BuildOptions = {},
): Scenario {
  const s = sequence(opts).start();
  for (const action of spec.actions) s.webSearch(action);
  return events(s.message(spec.text, opts.chunks, 'completed', spec.citations ?? []).completed(), opts);
}

/** Some text, then a function call. */
export function textThenFunctionCall(str: string, call: CallSpec, opts: BuildOptions = {}): Scenario {
  return events(sequence(opts).start().message(str, opts.chunks).functionCalls([call]).completed(), opts);
}

/** A refusal content part instead of output_text. */
export function refusal(str: string, opts: BuildOptions = {}): Scenario {
  return events(sequence(opts).start().refusal(str, opts.chunks).completed(), opts);
}

/** A cut-short answer ending in response.incomplete (reason e.g. max_output_tokens, content_filter). */
export function incomplete(reason: string, opts: BuildOptions & { text?: string } = {}): Scenario {
  const str = opts.text ?? 'This answer stops before it is finished because';
  return events(sequence(opts).start().message(str, opts.chunks, 'incomplete').incomplete(reason), opts);
}

/** An `error` event then `response.failed` (as the API does for e.g. insufficient_quota mid-stream). */
export function streamError(code: string, message: string, opts: BuildOptions & { shape?: 'nested' | 'flat' } = {}): Scenario {
  const s = sequence(opts).start();
  s.error(code, message, opts.shape);
  return events(s.failed(code, message), opts);
}

/** response.failed with no `error` event before it. */
export function failed(code: string, message: string, opts: BuildOptions = {}): Scenario {
  return events(sequence(opts).start().failed(code, message), opts);
}

/**
 * The first `afterNEvents` events of `base` (default: a text answer), then the reply ends with no terminal
 * event. `end: 'end'` (default) finishes the HTTP body cleanly; 'destroy' drops the socket mid-body.
 */
export function truncated(afterNEvents: number, opts: StreamOptions & { base?: Scenario; end?: 'end' | 'destroy' } = {}): Scenario {
  const base = opts.base ?? text('This reply is cut off before it ends properly.');
  if (base.kind !== 'events') throw new Error('truncated() needs an events scenario as base');
  return { ...base, ...streamOpts(opts), events: base.events.slice(0, afterNEvents), end: opts.end ?? 'end' };
}

/** The first `afterNEvents` events of `base`, then silence with the connection held open (idle timeouts). */
export function stall(afterNEvents: number, opts: StreamOptions & { base?: Scenario } = {}): Scenario {
  const base = opts.base ?? text('This reply stalls half way.');
  if (base.kind !== 'events') throw new Error('stall() needs an events scenario as base');
  return { ...base, ...streamOpts(opts), events: base.events.slice(0, afterNEvents), end: 'hang' };
}

/** Only response.completed, carrying the whole output (no deltas, no item events). */
export function completedOnly(str: string, opts: BuildOptions = {}): Scenario {
  const s = sequence(opts).message(str);
  return { kind: 'events', events: [{ type: 'response.completed', sequence_number: 0, response: s.response('completed') }], ...streamOpts(opts) };
}

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliett', 'kilo', 'lima'];

/** A long text answer with `nDeltas` output_text.delta events (benchmark load). */
export function longText(nDeltas: number, opts: BuildOptions = {}): Scenario {
  const pieces = Array.from({ length: nDeltas }, (_, i) => `${WORDS[i % WORDS.length]}${i % 17 === 16 ? '.\n' : ' '}`);
  return text(pieces.join(''), { ...opts, chunks: pieces });
}

/** Any streamed scenario with `delayMs` between events. */
export function slow(delayMs: number, base: Scenario = text('A slow reply, one word at a time.')): Scenario {
  if (base.kind !== 'events' && base.kind !== 'raw') throw new Error('slow() needs a streamed scenario');
  return { ...base, delayMs };
}

/** Replay a recorded JSONL stream (one event per line), e.g. /work/shared/fixtures/responses/*.jsonl. */
export function replayJsonl(path: string, opts: StreamOptions = {}): Scenario {
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '');
  return { kind: 'events', events: lines.map((l) => JSON.parse(l) as ResponsesEvent), ...streamOpts(opts) };
}

/**
 * Raw bytes of an SSE body, written as given. `chunkSize` splits the UTF-8 bytes (1 = byte by byte, which
 * splits multi-byte characters across writes).
 */
export function rawSse(textBody: string, opts: StreamOptions & { chunkSize?: number; contentType?: string; end?: StreamEnd } = {}): Scenario {
  const bytes = Buffer.from(textBody, 'utf8');
  const size = opts.chunkSize ?? bytes.length;
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += Math.max(1, size)) chunks.push(bytes.subarray(i, i + Math.max(1, size)));
  const s: Scenario = { kind: 'raw', chunks, ...streamOpts(opts) };
  if (opts.contentType !== undefined) s.contentType = opts.contentType;
  if (opts.end !== undefined) s.end = opts.end;
  return s;
}

/** Render events as an SSE body (`event: <type>\ndata: <json>\n\n`). */
export function toSse(evs: ResponsesEvent[]): string {
  let out = '';
  for (const ev of evs) out += `event: ${ev.type}\ndata: ${JSON.stringify(ev)}\n\n`;
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// non-streamed scenarios

/** A 2xx JSON body holding a whole response object (what a non-streaming upstream answers). */
export function jsonResponse(str: string, opts: BuildOptions = {}): Scenario {
  const r = sequence(opts).message(str).response('completed');
  return { kind: 'http', status: 200, body: JSON.stringify(r), headers: { 'content-type': 'application/json' } };
}

const STANDARD_ERRORS: Record<number, { message: string; type: string; code: string | null }> = {
  400: { message: 'Invalid request: the mock upstream rejected this body.', type: 'invalid_request_error', code: null },
  401: { message: 'Incorrect API key provided. You can find your API key in your account settings.', type: 'invalid_request_error', code: 'invalid_api_key' },
  403: { message: 'You are not allowed to use this model.', type: 'invalid_request_error', code: 'unsupported_country_region_territory' },
  404: { message: 'The model does not exist or you do not have access to it.', type: 'invalid_request_error', code: 'model_not_found' },
  429: { message: 'Rate limit reached for requests. Please try again in 1s.', type: 'requests', code: 'rate_limit_exceeded' },
  500: { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', code: null },
  502: { message: 'Bad gateway.', type: 'server_error', code: null },
  503: { message: 'The engine is currently overloaded, please try again later.', type: 'server_error', code: null },
};

/** An OpenAI-shaped error body for `status`. */
export function openaiErrorBody(status: number, override: { message?: string; type?: string; code?: string | null } = {}): string {
  const std = STANDARD_ERRORS[status] ?? { message: `HTTP ${status} from the mock upstream.`, type: 'server_error', code: null };
  return JSON.stringify({ error: { message: override.message ?? std.message, type: override.type ?? std.type, param: null, code: override.code === undefined ? std.code : override.code } });
}

/** A non-2xx reply. `body` default: OpenAI's `{error:{message,type,param,code}}` for the status. */
export function httpError(status: number, body?: string | Record<string, unknown>, headers: Record<string, string> = {}): Scenario {
  const text = body === undefined ? openaiErrorBody(status) : typeof body === 'string' ? body : JSON.stringify(body);
  const isJson = text.trimStart().startsWith('{');
  return { kind: 'http', status, body: text, headers: { 'content-type': isJson ? 'application/json' : 'text/plain; charset=utf-8', ...headers } };
}

/** Accept the request and never answer (afterHeaders: send 200 + SSE headers, then nothing). */
export function hang(opts: { afterHeaders?: boolean } = {}): Scenario {
  return opts.afterHeaders ? { kind: 'hang', afterHeaders: true } : { kind: 'hang' };
}
