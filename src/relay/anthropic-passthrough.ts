// An Anthropic-compatible candidate (fallbacks, claude-api-key) for an Anthropic client: the client's body goes
// out unchanged and the reply's bytes come back unchanged. Held until its first whole event (a stream) or its
// whole body (JSON) so that an overloaded first event or a failed connection still moves the request on.
import { createParser, type EventSourceParser } from 'eventsource-parser';
import type { StopReason, Usage } from '../wire/anthropic-stream.ts';
import { openAnthropicMessages, type AnthropicReply } from '../upstream/anthropic-client.ts';
import { UpstreamError } from '../upstream/upstream-error.ts';
import { STATUS_FOR_TYPE, type ClientError } from '../server/errors.ts';
import type { Candidate } from '../routing/candidates.ts';
import { isRetryableStatus } from './failures.ts';
import type { Exchange, ExchangeOutcome } from './protocol.ts';
import type { RelayContext } from './relay.ts';

/** Fallback answers passed to the client as they are: the request's own fault, another provider would agree. */
export function isPassedThroughStatus(status: number): boolean {
  return status === 400 || status === 413 || status === 422;
}

/** Bytes held back before committing: a stream's first event, or a whole non-streaming body up to this. */
const MAX_HELD = 8 * 1024 * 1024;

export async function openPassthrough(ctx: RelayContext, c: Candidate): Promise<Exchange> {
  const upstream = await openAnthropicMessages({
    target: { baseUrl: c.baseUrl, apiKey: c.apiKey ?? '', headers: c.headers, proxyUrl: c.proxyUrl },
    // an alias (models: [{ name, alias }]) names another model upstream: only `model` changes
    body: c.upstreamModel === ctx.modelAsked ? ctx.body as object : { ...(ctx.body as object), model: c.upstreamModel },
    clientHeaders: ctx.reply.request.headers,
    signal: ctx.abort.signal,
    timeouts: c.timeouts,
    passStatus: isPassedThroughStatus,
  });
  return new Passthrough(c, upstream);
}

class Passthrough implements Exchange {
  readonly keepAliveFrame = null;
  ready = false;
  readonly #c: Candidate;
  readonly #up: AnthropicReply;
  readonly #it: AsyncIterator<Buffer>;
  readonly #ok2xx: boolean;
  readonly #tap: UsageTap;
  /** the bytes before `ready` (to find the first event) */
  #head: Buffer[] = [];
  #headBytes = 0;
  #total = 0;
  #atBoundary = true;

  constructor(c: Candidate, up: AnthropicReply) {
    this.#c = c;
    this.#up = up;
    this.#it = up.body[Symbol.asyncIterator]();
    this.#ok2xx = up.status >= 200 && up.status <= 299;
    this.#tap = new UsageTap(up.sse);
  }

  async next(): Promise<Buffer | null> {
    const step = await this.#it.next();
    if (step.done) {
      if (!this.ready) this.#checkHead(true);
      return null;
    }
    const chunk = step.value;
    this.#total += chunk.length;
    this.#tap.push(chunk);
    this.#atBoundary = endsAtEventBoundary(chunk);
    if (!this.ready) {
      this.#head.push(chunk);
      this.#headBytes += chunk.length;
      if (this.#headBytes >= MAX_HELD || (this.#up.sse && hasCompleteEvent(this.#head))) this.#checkHead(false);
    }
    return chunk;
  }

  /** Ready to commit, unless the stream opened with a retryable error event or was empty: then it throws. */
  #checkHead(ended: boolean): void {
    const head = Buffer.concat(this.#head);
    this.#head = [];
    const up = this.#up;
    if (this.#ok2xx && up.sse) {
      const leading = leadingStreamError(head);
      if (leading && isRetryableStatus(leading.status)) {
        up.cancel();
        throw new UpstreamError('http', `upstream ${up.url} began its stream with an error (${leading.type})${leading.message ? `: ${leading.message}` : ''}`, {
          url: up.url, status: leading.status, upstreamCode: leading.type,
          ...(leading.message ? { upstreamMessage: leading.message } : {}),
          ...(up.requestId ? { requestId: up.requestId } : {}),
        });
      }
      if (ended && this.#total === 0) {
        throw new UpstreamError('protocol', `upstream ${up.url} answered ${up.status} with an empty event stream`, { url: up.url });
      }
    }
    this.ready = true;
  }

  head() {
    const up = this.#up;
    const h: Record<string, string> = { 'content-type': up.contentType || 'application/json' };
    if (this.#c.fallbackName) h['x-packybridge-fallback'] = this.#c.fallbackName;
    if (up.sse) {
      h['cache-control'] = 'no-cache';
      h['x-accel-buffering'] = 'no';
    }
    for (const k of ['retry-after', 'x-should-retry']) {
      const v = up.headers[k];
      if (typeof v === 'string') h[k] = v;
    }
    return { status: up.status, headers: h };
  }

  startEarly(): null { return null; }

  failFrame(e: UpstreamError, _err: ClientError): string | null {
    // mid-event or mid-JSON a cut-off body is the honest signal; at an event boundary, an error event
    if (!this.#up.sse || !this.#atBoundary) return null;
    const event = { type: 'error', error: { type: 'api_error', message: `packybridge: ${this.#c.label.name} broke off mid-stream: ${e.message}` } };
    return `event: error\ndata: ${JSON.stringify(event)}\n\n`;
  }

  outcome(): ExchangeOutcome {
    return { status: this.#up.status, ...this.#tap.outcome(), ...(this.#ok2xx ? {} : { errorKind: 'fallback-request-error' }) };
  }

  close(): void {
    this.#up.cancel();
  }
}

function hasCompleteEvent(chunks: Buffer[]): boolean {
  const text = Buffer.concat(chunks).toString('utf8');
  return /\r?\n\r?\n/.test(text);
}

function endsAtEventBoundary(chunk: Buffer): boolean {
  const tail = chunk.subarray(Math.max(0, chunk.length - 4)).toString('latin1');
  return /\n\r?\n$/.test(tail);
}

/** A stream that opens with `event: error` (Anthropic sends overloaded this way, after a 200). */
export function leadingStreamError(head: Buffer): { type: string; message?: string; status: number } | null {
  const text = head.toString('utf8');
  const end = text.search(/\r?\n\r?\n/);
  const block = end >= 0 ? text.slice(0, end) : text;
  let event: string | undefined;
  const data: string[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
  }
  const parsed = parseJson(data.join('\n')) as { type?: unknown; error?: { type?: unknown; message?: unknown } } | null;
  if (event !== 'error' && parsed?.type !== 'error') return null;
  const type = typeof parsed?.error?.type === 'string' ? parsed.error.type : 'api_error';
  const message = typeof parsed?.error?.message === 'string' ? parsed.error.message.slice(0, 500) : undefined;
  const status = STATUS_FOR_TYPE[type as keyof typeof STATUS_FOR_TYPE] ?? 500;
  return { type, status, ...(message ? { message } : {}) };
}

function parseJson(text: string): unknown {
  try { return JSON.parse(text); } catch { return null; }
}

/** Reads usage and stop_reason out of the bytes relayed (message_start / message_delta, or a whole Message). */
class UsageTap {
  #sse: boolean;
  #decoder = new TextDecoder();
  #json = '';
  #jsonTooBig = false;
  #usage: Usage | undefined;
  #stopReason: StopReason | null | undefined;
  #parser: EventSourceParser;

  constructor(sse: boolean) {
    this.#sse = sse;
    this.#parser = createParser({
      onEvent: (ev) => {
        if (ev.event !== 'message_start' && ev.event !== 'message_delta') return;
        try {
          const d = JSON.parse(ev.data) as { message?: { usage?: Usage }; usage?: Partial<Usage>; delta?: { stop_reason?: StopReason | null } };
          if (d.message?.usage) this.#usage = { ...d.message.usage };
          if (d.usage) this.#usage = { ...(this.#usage ?? { input_tokens: 0, output_tokens: 0 }), ...definedOnly(d.usage) };
          if (d.delta && 'stop_reason' in d.delta) this.#stopReason = d.delta.stop_reason ?? null;
        } catch { /* not ours to judge: the bytes are relayed as they are */ }
      },
    });
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.#sse) { this.#parser.feed(this.#decoder.decode(chunk, { stream: true })); return; }
    if (this.#jsonTooBig) return;
    this.#json += this.#decoder.decode(chunk, { stream: true });
    if (this.#json.length > MAX_HELD) { this.#jsonTooBig = true; this.#json = ''; }
  }

  outcome(): { usage?: Usage; stopReason?: StopReason | null } {
    if (!this.#sse && !this.#jsonTooBig && this.#json) {
      try {
        const m = JSON.parse(this.#json) as { type?: unknown; usage?: Usage; stop_reason?: StopReason | null };
        if (m.type === 'message' && m.usage) { this.#usage = m.usage; this.#stopReason = m.stop_reason ?? null; }
      } catch { /* an error body, or cut off */ }
      this.#json = '';
    }
    const out: { usage?: Usage; stopReason?: StopReason | null } = {};
    if (this.#usage) out.usage = this.#usage;
    if (this.#stopReason !== undefined) out.stopReason = this.#stopReason;
    return out;
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] !== undefined && o[k] !== null) out[k] = o[k];
  return out;
}
