// The ClientProtocol of the OpenAI-compatible routes (/v1/responses, /v1/chat/completions): each attempt sends
// a Responses request to a Responses candidate (Packycode, codex-api-key entries) and gives the reply back as
// an OpenAI client expects it, streamed or whole. Errors are OpenAI-shaped; the relay loop (relay.ts) decides
// retries, failover and cooldowns exactly as for /v1/messages.
import type { ResponsesEvent } from '../wire/responses-stream.ts';
import type { Usage } from '../wire/anthropic-stream.ts';
import { openResponsesStream } from '../upstream/responses-client.ts';
import { UpstreamError } from '../upstream/upstream-error.ts';
import { describeUpstreamError } from '../translate/upstream-error.ts';
import { serializeResponsesRequest } from '../translate/serialize-request.ts';
import { STATUS_FOR_TYPE, type ClientError } from '../server/errors.ts';
import { toOpenAIError } from '../server/openai-errors.ts';
import type { Candidate } from '../routing/candidates.ts';
import { clientErrorForUpstream } from './anthropic-errors.ts';
import type { ClientProtocol, Exchange, ExchangeOutcome } from './protocol.ts';
import type { RelayContext } from './relay.ts';
import type { OpenAIReply, ReplyFailure, ReplyUsage } from './openai-replies.ts';

/** A ClientError that keeps the upstream's own error code (a quota code makes OpenAI's 429 insufficient_quota). */
type OpenAIClientErrorSource = ClientError & { upstreamCode?: string };

/** What one route supplies: the upstream body for a candidate, and a fresh reply state per attempt. */
export interface OpenAIRouteSpec {
  /** the Responses request for candidate `c`, from the client's request in ctx.body */
  body(ctx: RelayContext, c: Candidate): object;
  reply(ctx: RelayContext): OpenAIReply;
  /**
   * The reply hands the upstream's response object on (the /v1/responses pass-through): it keeps the request the
   * object echoes (`instructions`, `tools`), which other replies are read without (sse-events.ts).
   */
  keepsEchoedRequest?: boolean;
}

/** A reply failure (error event, failed response, cut stream) as the error that moves the request on. */
function replyFailure(f: ReplyFailure, c: Candidate): UpstreamError {
  const d = describeUpstreamError(f.code, f.message);
  // as relay/messages-protocol.ts does: upstreamCode carries the client error type, except a quota code, which
  // classification and the OpenAI error shape need as it is
  return new UpstreamError('stream-error', d.message, {
    url: c.baseUrl, status: STATUS_FOR_TYPE[d.type] ?? 502, upstreamCode: f.code && /quota|billing/i.test(f.code) ? f.code : d.type, upstreamMessage: d.message,
  });
}

/** OpenAI usage (input includes the cached tokens) in the relay's terms (input_tokens are the uncached ones). */
export function relayUsage(u: ReplyUsage | undefined): Usage | undefined {
  if (!u) return undefined;
  const cached = Math.min(u.cachedInputTokens, u.inputTokens);
  return { input_tokens: u.inputTokens - cached, cache_read_input_tokens: cached, output_tokens: u.outputTokens };
}

/** A streamed reply: held until the first output, then passed on frame by frame. */
class StreamExchange implements Exchange {
  readonly keepAliveFrame: string | null;
  ready = false;
  readonly #reply: OpenAIReply;
  readonly #c: Candidate;
  readonly #it: AsyncIterator<ResponsesEvent[]>;
  #ended = false;
  #tail = false;

  constructor(reply: OpenAIReply, c: Candidate, batches: AsyncIterable<ResponsesEvent[]>) {
    this.#reply = reply;
    this.#c = c;
    this.#it = batches[Symbol.asyncIterator]();
    this.keepAliveFrame = reply.keepAliveFrame;
  }

  async next(): Promise<string | null> {
    const r = this.#reply;
    if (this.#tail) return null;
    if (this.#ended) {
      // the last frame: [DONE], or the error that ended it after the first byte
      this.#tail = true;
      if (!r.failed) return r.doneFrame;
      return r.errorFrame(toOpenAIError(clientErrorFor(replyFailure(r.failed, this.#c), this.#c), r.failed.code).body);
    }
    const step = await this.#it.next();
    const out: unknown[] = [];
    if (step.done) {
      this.#ended = true;
      r.end();
    } else {
      const batch = step.value;
      for (let i = 0; i < batch.length; i++) r.push(batch[i], out);
      if (r.failed) this.#ended = true; // nothing more comes after a failure
    }
    if (r.failed && !r.hasOutput) throw replyFailure(r.failed, this.#c);
    if (r.hasOutput || this.#ended) this.ready = true;
    return out.length === 0 ? '' : r.frames(out);
  }

  head() {
    return { status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' } };
  }

  startEarly(): string | null {
    const opening = this.#reply.begin();
    return opening === null ? null : this.#reply.frames(opening);
  }

  failFrame(e: UpstreamError, err: ClientError): string {
    return this.#reply.errorFrame(toOpenAIError(err, e.upstreamCode).body);
  }

  outcome(): ExchangeOutcome {
    const r = this.#reply;
    return { status: 200, usage: relayUsage(r.usage), ...(r.failed ? { errorKind: 'stream-error' } : {}) };
  }

  close(): void {
    void this.#it.return?.().catch(() => {});
  }
}

/** A whole reply: the stream read to its end, then one JSON body. */
class WholeExchange implements Exchange {
  readonly keepAliveFrame = null;
  ready = false;
  readonly #reply: OpenAIReply;
  readonly #c: Candidate;
  readonly #batches: AsyncIterable<ResponsesEvent[]>;
  #delivered = false;

  constructor(reply: OpenAIReply, c: Candidate, batches: AsyncIterable<ResponsesEvent[]>) {
    this.#reply = reply;
    this.#c = c;
    this.#batches = batches;
  }

  async next(): Promise<string | null> {
    if (this.#delivered) return null;
    const r = this.#reply;
    for await (const batch of this.#batches) {
      const out: unknown[] = [];
      for (let i = 0; i < batch.length; i++) r.push(batch[i], out);
      r.collect(out);
    }
    r.end();
    const whole = r.failed ? undefined : r.whole();
    if (whole === undefined) throw replyFailure(r.failed ?? { message: 'the upstream reply could not be assembled' }, this.#c);
    this.#delivered = true;
    this.ready = true;
    return JSON.stringify(whole);
  }

  head() {
    return { status: 200, headers: { 'content-type': 'application/json' } };
  }

  startEarly(): null { return null; }

  failFrame(): null { return null; }

  outcome(): ExchangeOutcome {
    return { status: 200, usage: relayUsage(this.#reply.usage) };
  }

  close(): void { /* the whole body was read, or its error released it */ }
}

function clientErrorFor(e: UpstreamError, c: Candidate): OpenAIClientErrorSource {
  const err: OpenAIClientErrorSource = clientErrorForUpstream(e, c.label, c.timeouts);
  if (e.upstreamCode) err.upstreamCode = e.upstreamCode;
  return err;
}

export function openaiProtocol(spec: OpenAIRouteSpec): ClientProtocol {
  return {
    async open(ctx, c) {
      if (c.protocol !== 'responses') {
        // the OpenAI routes list only Responses candidates (routes/openai.ts); this is a guard, not a path
        throw new UpstreamError('internal', `${c.label.name} speaks Anthropic Messages and cannot serve ${ctx.route}`, { url: c.baseUrl });
      }
      const body = spec.body(ctx, c);
      const upstream = await openResponsesStream({
        target: { baseUrl: c.baseUrl, apiKey: c.apiKey, headers: c.headers, proxyUrl: c.proxyUrl },
        body,
        encode: serializeResponsesRequest, // no string of the whole conversation (serialize-request.ts)
        signal: ctx.abort.signal,
        timeouts: c.timeouts,
        cutEchoedRequest: spec.keepsEchoedRequest !== true,
      });
      const reply = spec.reply(ctx);
      return ctx.stream ? new StreamExchange(reply, c, upstream.batches) : new WholeExchange(reply, c, upstream.batches);
    },
    clientError(_ctx, c, e) {
      return clientErrorFor(e, c);
    },
    sendError(ctx, err) {
      const res = ctx.res;
      if (res.headersSent || res.destroyed) return;
      const e = toOpenAIError(err, (err as OpenAIClientErrorSource).upstreamCode);
      res.writeHead(e.status, { 'content-type': 'application/json', 'request-id': ctx.requestId, 'x-request-id': ctx.requestId, ...e.headers });
      res.end(JSON.stringify(e.body));
    },
  };
}
