// Serves a /v1/messages request from an Anthropic-compatible fallback: the client's body goes out unchanged,
// the fallback's status, content-type and bytes come back as they arrive. Failover stays possible until the
// first byte reaches the client: connection and HTTP failures, and a stream whose first event is a retryable
// `error`, return { ok: false } with nothing written, so the caller can try the next fallback.
import type { FastifyReply } from 'fastify';
import { createParser, type EventSourceParser } from 'eventsource-parser';
import type { AnthropicFallback, ConfigSnapshot, TimeoutsConfig } from '../config/types.ts';
import type { Runtime } from '../runtime.ts';
import type { StopReason, Usage } from '../wire/anthropic-stream.ts';
import { anthropicMessagesUrl, openAnthropicMessages, type AnthropicReply, type HeaderBag } from '../upstream/anthropic-client.ts';
import { UpstreamError, safeUrl } from '../upstream/upstream-error.ts';
import { fallbacksFor, isRetryableStatus, type PackycodeFailure } from '../routing/failover.ts';
import type { ClientError } from './errors.ts';
import { STATUS_FOR_TYPE } from './errors.ts';

export type FallbackRelayResult =
  | {
    ok: true;
    /** the status the client got */
    status: number;
    fallback: string;
    ttfbMs?: number;
    usage?: Usage;
    stopReason?: StopReason | null;
    /** set when the reply broke off after its first byte, or the fallback answered a request error */
    errorKind?: string;
    clientAborted?: boolean;
  }
  | { ok: false; error: UpstreamError };

export interface RelayToFallbackOptions {
  /** the request's timeouts (default: the runtime's current snapshot) */
  timeouts?: TimeoutsConfig;
  /** why the request moved (the Packycode failure kind), for the log */
  reason?: string;
}

/** Fallback answers passed to the client as they are: the request's own fault, another provider would agree. */
export function isPassedThroughStatus(status: number): boolean {
  return status === 400 || status === 413 || status === 422;
}

/** Bytes held back before committing: a stream's first event, or a whole non-streaming body up to this. */
const MAX_HELD = 8 * 1024 * 1024;

/**
 * Relay the request to one fallback. Precondition: nothing was sent to the client yet (the reply is
 * hijacked here). Never throws for upstream trouble: `{ ok: false }` means nothing was written.
 */
export async function relayToFallback(
  runtime: Runtime,
  fallback: AnthropicFallback,
  rawBody: Buffer | string | object,
  clientHeaders: HeaderBag,
  reply: FastifyReply,
  requestId: string,
  signal?: AbortSignal,
  opts: RelayToFallbackOptions = {},
): Promise<FallbackRelayResult> {
  const res = reply.raw;
  if (res.headersSent) throw new Error('relayToFallback: the response was already started');
  reply.hijack();
  const started = performance.now();
  const url = safeUrl(anthropicMessagesUrl(fallback.baseUrl));
  const aborted = (): FallbackRelayResult => ({
    ok: false,
    error: new UpstreamError('aborted', `request to ${url} aborted by the client`, { url, waitedMs: Math.round(performance.now() - started) }),
  });
  if (signal?.aborted || res.destroyed) return aborted();

  // the client going away (or the caller's signal) aborts the fallback request
  const abort = new AbortController();
  const onAbort = (): void => abort.abort(signal?.reason);
  const onClose = (): void => { if (!res.writableFinished) abort.abort(); };
  signal?.addEventListener('abort', onAbort, { once: true });
  res.on('close', onClose);

  runtime.counters.failovers++;
  runtime.metrics.failovers.inc({ to: fallback.name });
  const log = { reqId: requestId, fallback: fallback.name, reason: opts.reason };
  const failed = (error: UpstreamError): FallbackRelayResult => {
    if (error.kind !== 'aborted') {
      const kind = `fallback-${error.kind}`;
      runtime.counters.upstreamErrors++;
      runtime.metrics.upstreamErrors.inc({ kind });
      runtime.audit.upstreamError(kind, error.status);
      runtime.logger.warn({ ...log, kind: error.kind, status: error.status, code: error.upstreamCode, upstreamRequestId: error.requestId }, 'fallback failed');
    }
    return { ok: false, error };
  };

  try {
    let upstream: AnthropicReply;
    try {
      upstream = await openAnthropicMessages({
        target: { baseUrl: fallback.baseUrl, apiKey: fallback.apiKey },
        body: rawBody,
        clientHeaders,
        signal: abort.signal,
        timeouts: opts.timeouts ?? runtime.snapshot.timeouts,
        passStatus: isPassedThroughStatus,
      });
    } catch (e) {
      return failed(asUpstreamError(e, url));
    }

    // hold back the first event (stream) or the whole body (JSON) until it is safe to commit
    const it = upstream.body[Symbol.asyncIterator]();
    const held: Buffer[] = [];
    let heldBytes = 0;
    let ended = false;
    try {
      for (;;) {
        const step = await it.next();
        if (step.done) { ended = true; break; }
        held.push(step.value);
        heldBytes += step.value.length;
        if (heldBytes >= MAX_HELD) break;
        if (upstream.sse && hasCompleteEvent(held)) break;
      }
    } catch (e) {
      return failed(asUpstreamError(e, url));
    }
    const head = Buffer.concat(held);
    const ok2xx = upstream.status >= 200 && upstream.status <= 299;
    if (ok2xx && upstream.sse) {
      const leading = leadingStreamError(head);
      if (leading && isRetryableStatus(leading.status)) {
        upstream.cancel();
        return failed(new UpstreamError('http', `upstream ${upstream.url} began its stream with an error (${leading.type})${leading.message ? `: ${leading.message}` : ''}`, {
          url: upstream.url, status: leading.status, upstreamCode: leading.type,
          ...(leading.message ? { upstreamMessage: leading.message } : {}),
          ...(upstream.requestId ? { requestId: upstream.requestId } : {}),
        }));
      }
      if (ended && head.length === 0) {
        return failed(new UpstreamError('protocol', `upstream ${upstream.url} answered ${upstream.status} with an empty event stream`, { url: upstream.url }));
      }
    }

    // commit: from here on the client has the fallback's answer
    const ttfbMs = performance.now() - started;
    res.writeHead(upstream.status, clientReplyHeaders(upstream, requestId, fallback.name));
    const tap = new UsageTap(upstream.sse);
    tap.push(head);
    const result: FallbackRelayResult & { ok: true } = {
      ok: true, status: upstream.status, fallback: fallback.name, ttfbMs,
      ...(ok2xx ? {} : { errorKind: 'fallback-request-error' }),
    };
    let atBoundary = endsAtEventBoundary(head);
    if (head.length > 0 && !res.write(head)) await drained(res);
    if (!ended) {
      try {
        for (;;) {
          const step = await it.next();
          if (step.done) break;
          tap.push(step.value);
          atBoundary = endsAtEventBoundary(step.value);
          if (!res.write(step.value)) await drained(res);
        }
      } catch (e) {
        const err = asUpstreamError(e, url);
        if (err.kind === 'aborted' || res.destroyed) {
          Object.assign(result, tap.outcome(), { clientAborted: true });
          return result;
        }
        failed(err);
        result.errorKind = `fallback-${err.kind}`;
        if (upstream.sse && atBoundary) {
          const event = { type: 'error', error: { type: 'api_error', message: `packybridge: fallback "${fallback.name}" broke off mid-stream: ${err.message}` } };
          res.end(`event: error\ndata: ${JSON.stringify(event)}\n\n`);
        } else {
          res.destroy(); // a cut-off body is the honest signal when the bytes so far end mid-event or mid-JSON
        }
        Object.assign(result, tap.outcome());
        return result;
      }
    }
    res.end();
    Object.assign(result, tap.outcome());
    runtime.logger.info({
      ...log, status: upstream.status, ttfbMs: Math.round(ttfbMs), upstreamRequestId: upstream.requestId,
    }, 'served by fallback');
    return result;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    res.off('close', onClose);
  }
}

export interface FailoverAttempt {
  name: string;
  error: UpstreamError;
}

export type FailoverResult =
  | { served: true; result: FallbackRelayResult & { ok: true }; attempts: FailoverAttempt[] }
  | { served: false; attempts: FailoverAttempt[]; clientAborted?: boolean };

/**
 * Try each fallback that may serve `model` after `failure`, in config order, until one answers.
 * `served: false` with no attempts = no fallback applies; in every `served: false` case nothing was written.
 */
export async function serveFromFallbacks(
  runtime: Runtime,
  snapshot: ConfigSnapshot,
  model: string,
  failure: PackycodeFailure,
  rawBody: Buffer | string | object,
  clientHeaders: HeaderBag,
  reply: FastifyReply,
  requestId: string,
  signal?: AbortSignal,
): Promise<FailoverResult> {
  const attempts: FailoverAttempt[] = [];
  for (const fb of fallbacksFor(snapshot, model, failure)) {
    if (signal?.aborted || reply.raw.destroyed) return { served: false, attempts, clientAborted: true };
    const r = await relayToFallback(runtime, fb, rawBody, clientHeaders, reply, requestId, signal, { timeouts: snapshot.timeouts, reason: failure.kind });
    if (r.ok) return { served: true, result: r, attempts };
    if (r.error.kind === 'aborted') return { served: false, attempts, clientAborted: true };
    attempts.push({ name: fb.name, error: r.error });
  }
  return { served: false, attempts };
}

/** One failed fallback, in words the operator can act on. */
export function describeFallbackFailure(a: FailoverAttempt): string {
  const e = a.error;
  const detail = e.upstreamMessage ? `: ${e.upstreamMessage}` : '';
  if (e.kind === 'http' && (e.status === 401 || e.status === 403)) {
    return `fallback "${a.name}" rejected its api-key (HTTP ${e.status}${detail}); check the api-key of fallback "${a.name}" in config.yaml`;
  }
  if (e.kind === 'http' && e.status === 404) {
    return `fallback "${a.name}" answered 404 at ${e.url}${detail}; write its base-url as for ANTHROPIC_BASE_URL, without /v1`;
  }
  return `fallback "${a.name}": ${e.message}`;
}

/** The error the client gets when every fallback failed too: `base` (Packycode's), naming each attempt. */
export function failoverClientError(base: ClientError, attempts: FailoverAttempt[]): ClientError {
  if (attempts.length === 0) return base;
  const tail = attempts.map(describeFallbackFailure).join('; ');
  return { ...base, message: `${base.message.replace(/\.?\s*$/, '.')} Failover also failed: ${tail}.` };
}

// --- helpers ---------------------------------------------------------------------------------------

function asUpstreamError(e: unknown, url: string): UpstreamError {
  if (e instanceof UpstreamError) return e;
  return new UpstreamError('protocol', `fallback ${url}: ${(e as Error)?.message ?? String(e)}`, { url, cause: e });
}

function clientReplyHeaders(up: AnthropicReply, requestId: string, name: string): Record<string, string> {
  const h: Record<string, string> = {
    'content-type': up.contentType || 'application/json',
    'request-id': requestId,
    'x-packybridge-fallback': name,
  };
  if (up.sse) {
    h['cache-control'] = 'no-cache';
    h['x-accel-buffering'] = 'no';
  }
  for (const k of ['retry-after', 'x-should-retry']) {
    const v = up.headers[k];
    if (typeof v === 'string') h[k] = v;
  }
  return h;
}

function hasCompleteEvent(chunks: Buffer[]): boolean {
  // cheap: look at the tail of the buffered text for a blank line (LF or CRLF)
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

function drained(res: FastifyReply['raw']): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => { res.off('drain', done); res.off('close', done); resolve(); };
    res.on('drain', done);
    res.on('close', done);
  });
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
