// Anthropic Messages in and out: the ClientProtocol of /v1/messages. A Responses candidate (Packycode, a
// codex-api-key entry) gets the request translated and its events translated back; an Anthropic candidate
// (fallbacks, claude-api-key) gets the client's body as it is (anthropic-passthrough.ts).
import type { CountTokensRequest, MessagesRequest } from '../wire/anthropic-request.ts';
import type { Message, StreamEvent } from '../wire/anthropic-stream.ts';
import type { ResponsesEvent } from '../wire/responses-stream.ts';
import { toResponsesRequest } from '../translate/request-to-responses.ts';
import { serializeResponsesRequest } from '../translate/serialize-request.ts';
import { StreamTranslator } from '../translate/stream-to-anthropic.ts';
import { MessageAggregator } from '../translate/response-to-message.ts';
import { thinkingBlocks, thinkingSummaries } from '../translate/thinking-display.ts';
import { openResponsesStream } from '../upstream/responses-client.ts';
import { UpstreamError } from '../upstream/upstream-error.ts';
import { serializeEvent, serializeEvents } from '../server/sse.ts';
import { errorBody, STATUS_FOR_TYPE, type ClientError } from '../server/errors.ts';
import type { Candidate } from '../routing/candidates.ts';
import { clientErrorForUpstream, contextOverflowClientError } from './anthropic-errors.ts';
import { inputWindow } from '../routing/model-catalog.ts';
import { safeguardsFor, type SafeguardHook } from '../safeguards/safeguards-for.ts';
import { openPassthrough } from './anthropic-passthrough.ts';
import type { ClientProtocol, Exchange, ExchangeOutcome } from './protocol.ts';
import type { RelayContext } from './relay.ts';

export const PING_FRAME = 'event: ping\ndata: {"type": "ping"}\n\n';

/**
 * Called once per successful Messages reply, before its final part goes out: the stream's `message_delta`
 * event, or the whole non-streaming Message. It may change them (e.g. a safeguard verdict) and may be async;
 * the reply waits for it. Registered on `runtime.messageFinalizers`.
 */
export type MessageFinalizer = (ctx: RelayContext, final: { delta?: Extract<StreamEvent, { type: 'message_delta' }>; message?: Message }) => void | Promise<void>;

export function errorFrame(type: ClientError['type'], message: string): string {
  return serializeEvent({ type: 'error', error: { type, message } });
}

async function finalize(ctx: RelayContext, final: Parameters<MessageFinalizer>[1]): Promise<void> {
  for (const f of ctx.runtime.messageFinalizers) await f(ctx, final);
}

/** The translator's failure before any output, as the error that moves the request on (or answers it). */
function translatorFailure(t: StreamTranslator, c: Candidate): UpstreamError {
  const f = t.failed ?? { type: 'api_error' as const, message: 'the upstream reply could not be assembled' };
  return new UpstreamError('stream-error', f.message, {
    url: c.baseUrl, status: STATUS_FOR_TYPE[f.type] ?? 502, upstreamCode: f.type, upstreamMessage: f.message,
  });
}

/** A Responses stream as an Anthropic event stream. Ready at the first content block. */
class TranslatedStream implements Exchange {
  readonly keepAliveFrame = PING_FRAME;
  ready = false;
  readonly #ctx: RelayContext;
  readonly #c: Candidate;
  readonly #t: StreamTranslator;
  readonly #it: AsyncIterator<ResponsesEvent[]>;
  readonly #safeguards: SafeguardHook | undefined;
  #ended = false;
  /** the part of an upstream batch not translated yet (see next()), and where it starts */
  #rest: ResponsesEvent[] | null = null;
  #restAt = 0;

  constructor(ctx: RelayContext, c: Candidate, t: StreamTranslator, batches: AsyncIterable<ResponsesEvent[]>, safeguards?: SafeguardHook) {
    this.#ctx = ctx;
    this.#c = c;
    this.#t = t;
    this.#it = batches[Symbol.asyncIterator]();
    this.#safeguards = safeguards;
  }

  async next(): Promise<string | null> {
    if (this.#ended) return null;
    const t = this.#t;
    const out: StreamEvent[] = [];
    let batch = this.#rest;
    let i = this.#restAt;
    this.#rest = null;
    if (batch === null) {
      const step = await this.#it.next();
      if (step.done) {
        this.#ended = true;
        t.end().forEach((ev) => out.push(ev));
      } else {
        batch = step.value;
        i = 0;
      }
    }
    if (batch !== null) {
      // Until the reply is committed, stop at the first delta: the client gets its first text as soon as it is
      // translated, not after the rest of an upstream chunk (a relay or a fast upstream can send hundreds of
      // events in one) has been; the rest of the chunk is the next call's, with no wait for the upstream.
      const untilFirstDelta = !this.ready;
      for (; i < batch.length; i++) {
        t.push(batch[i], out);
        if (untilFirstDelta && out.length > 0 && out[out.length - 1].type === 'content_block_delta') {
          i++;
          break;
        }
      }
      if (i < batch.length) {
        this.#rest = batch;
        this.#restAt = i;
      }
    }
    if (t.failed && !t.hasOutput) throw translatorFailure(t, this.#c);
    // [safeguards] verdicts onto the final message_delta (it alone may wait for the judge); the events go out
    // (or join the held output) only once their verdicts are on them
    const judged = this.#safeguards?.pass(out);
    if (judged) await judged;
    if (t.hasOutput || this.#ended) this.ready = true;
    if (this.#ctx.runtime.messageFinalizers.length > 0) {
      const delta = out.find((ev) => ev.type === 'message_delta');
      if (delta) await finalize(this.#ctx, { delta: delta as Extract<StreamEvent, { type: 'message_delta' }> });
    }
    return out.length === 0 ? '' : serializeEvents(out);
  }

  /** the translator is past its terminal event (message_stop, or an error event): nothing follows */
  get finished(): boolean {
    const s = this.#t.state;
    return s === 'completed' || s === 'failed';
  }

  head() {
    return { status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' } };
  }

  startEarly(): string {
    return serializeEvents(this.#t.begin());
  }

  failFrame(_e: UpstreamError, err: ClientError): string {
    return errorFrame(err.type, err.message);
  }

  outcome(): ExchangeOutcome {
    const t = this.#t;
    return { status: 200, usage: t.usage, stopReason: t.stopReason, ...(t.failed ? { errorKind: 'stream-error' } : {}) };
  }

  close(): void {
    void this.#it.return?.().catch(() => {});
  }
}

/** A Responses stream aggregated into one Anthropic Message. Ready when the whole reply is in. */
class TranslatedMessage implements Exchange {
  readonly keepAliveFrame = null;
  ready = false;
  readonly #ctx: RelayContext;
  readonly #c: Candidate;
  readonly #t: StreamTranslator;
  readonly #batches: AsyncIterable<ResponsesEvent[]>;
  readonly #safeguards: SafeguardHook | undefined;
  #delivered = false;

  constructor(ctx: RelayContext, c: Candidate, t: StreamTranslator, batches: AsyncIterable<ResponsesEvent[]>, safeguards?: SafeguardHook) {
    this.#ctx = ctx;
    this.#c = c;
    this.#t = t;
    this.#batches = batches;
    this.#safeguards = safeguards;
  }

  async next(): Promise<string | null> {
    if (this.#delivered) return null;
    const t = this.#t;
    const aggregator = new MessageAggregator();
    for await (const batch of this.#batches) {
      const out: StreamEvent[] = [];
      for (let i = 0; i < batch.length; i++) t.push(batch[i], out);
      aggregator.add(out);
    }
    aggregator.add(t.end());
    if (t.failed) throw translatorFailure(t, this.#c);
    const { message, error } = aggregator.outcome();
    if (!message) {
      const err = error ?? { type: 'api_error' as const, message: 'the upstream reply could not be assembled' };
      throw new UpstreamError('stream-error', err.message, { url: this.#c.baseUrl, status: STATUS_FOR_TYPE[err.type] ?? 502, upstreamCode: err.type, upstreamMessage: err.message });
    }
    const answer = this.#safeguards ? await this.#safeguards.forMessage(message) : message; // [safeguards]
    if (this.#ctx.runtime.messageFinalizers.length > 0) await finalize(this.#ctx, { message: answer });
    this.#delivered = true;
    this.ready = true;
    return JSON.stringify(answer);
  }

  head() {
    return { status: 200, headers: { 'content-type': 'application/json' } };
  }

  startEarly(): null { return null; }

  failFrame(): null { return null; }

  outcome(): ExchangeOutcome {
    return { status: 200, usage: this.#t.usage, stopReason: this.#t.stopReason };
  }

  close(): void { /* the aggregation read the whole body, or its error released it */ }
}

/**
 * Translates and sends the request to a Responses candidate. Runs synchronously up to the upstream call: the
 * translated body is handed to the HTTP client and kept by no frame once the upstream accepted it.
 */
async function openTranslated(ctx: RelayContext, c: Candidate): Promise<Exchange> {
  const req = ctx.body as MessagesRequest;
  const route = c.route!;
  const p = ctx.snapshot.packycode;
  const { body, toolNames } = toResponsesRequest(req, {
    upstreamModel: c.upstreamModel,
    forcedEffort: route.forcedEffort,
    defaultEffort: p.defaults.modelReasoningEffort,
    supportedEfforts: route.supportedEfforts,
    store: !p.privacy.disableResponseStorage,
    forwardSamplingParams: p.forwardSamplingParams,
  });
  const t = new StreamTranslator({
    model: ctx.modelAsked,
    originalToolName: (n: string) => toolNames.toOriginal(n),
    emitThinking: thinkingBlocks(req.thinking),
    thinkingText: thinkingSummaries(req.thinking),
  });
  // auto mode (safeguards): verdicts on the final message_delta / message; undefined when not asked for
  const safeguards = safeguardsFor(ctx.runtime, ctx.snapshot, req, ctx.requestId);
  // this upstream refused the session's earlier reasoning: the conversation goes without those items
  if (c.dropReasoning) body.input = body.input.filter((item) => item.type !== 'reasoning');
  const cacheKey = body.prompt_cache_key;
  const upstream = await openResponsesStream({
    target: { baseUrl: c.baseUrl, apiKey: c.apiKey, headers: c.headers, proxyUrl: c.proxyUrl },
    // serialised here: the tools Claude Code resends every turn are spliced in as JSON made once (tool cache)
    body: serializeResponsesRequest(body),
    signal: ctx.abort.signal,
    timeouts: c.timeouts,
    headers: cacheKey ? { 'session-id': cacheKey, session_id: cacheKey } : undefined,
    // the translator only appends each delta's text: a run that arrives in one chunk is translated as one
    joinDeltas: true,
    // nor does it read the request the response object echoes (a Claude Code request's ~70 KB of tools, 3 times)
    cutEchoedRequest: true,
  });
  return ctx.stream ? new TranslatedStream(ctx, c, t, upstream.batches, safeguards) : new TranslatedMessage(ctx, c, t, upstream.batches, safeguards);
}

export const messagesProtocol: ClientProtocol = {
  open(ctx, c) {
    return c.protocol === 'anthropic' ? openPassthrough(ctx, c) : openTranslated(ctx, c);
  },
  clientError(ctx, c, e) {
    const err = clientErrorForUpstream(e, c.label, c.timeouts);
    if (c.protocol === 'anthropic') return err; // an Anthropic upstream words its own overflow
    // [context overflow] the client body is still here: no byte has gone out yet
    const count = () => (ctx.body ? ctx.runtime.tokenCounter.count(ctx.body as CountTokensRequest) : 0);
    return contextOverflowClientError(err, e, count, inputWindow(c.route?.info)) ?? err;
  },
  sendError(ctx, err) {
    const res = ctx.res;
    if (res.headersSent || res.destroyed) return;
    res.writeHead(err.status, { 'content-type': 'application/json', 'request-id': ctx.requestId, ...err.headers });
    res.end(JSON.stringify(errorBody(err.type, err.message, ctx.requestId)));
  },
};
