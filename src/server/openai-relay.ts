// ─────────────────────────────────────────────────────────────────────────────────────────────────────────────
// INTERIM WIRING (issue 13): the OpenAI-compatible routes reach the upstream through this one module, which
// calls upstream/responses-client.ts directly. When relay/ (issue 10: candidates, failover across providers
// and keys, cooldowns) lands, this file is replaced by a client-protocol adapter for that relay loop: the two
// adapters below (`ClientProtocol`) are already that seam, and nothing outside this file calls the upstream.
// ─────────────────────────────────────────────────────────────────────────────────────────────────────────────
//
// One path for /v1/responses and /v1/chat/completions: open the upstream stream (short retries of blips
// before the first byte, as /v1/messages does), hold the reply until the first output so that a failure
// announced first still becomes a real HTTP error in OpenAI's shape, then stream it (SSE) or assemble it
// (JSON). After the first byte a failure ends the stream with an error frame, never silently.
// Anthropic-compatible fallbacks do not serve these routes (see README, "OpenAI-compatible entries").
import type { FastifyReply } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { ConfigSnapshot } from '../config/types.ts';
import type { Runtime } from '../runtime.ts';
import type { Route } from '../routing/router.ts';
import type { ResponsesEvent } from '../wire/responses-stream.ts';
import { openResponsesStream, UpstreamError, type UpstreamStream } from '../upstream/responses-client.ts';
import { describeUpstreamError } from '../translate/upstream-error.ts';
import { STATUS_FOR_TYPE, type ClientError } from './errors.ts';
import { clientErrorForUpstream } from './upstream-failure.ts';
import { retryDelayMs, sleep } from './upstream-retry.ts';
import { relayTuning } from './messages-relay.ts';
import { toOpenAIError, type OpenAIClientError } from './openai-errors.ts';

/** Token counts of one reply, OpenAI-style: input includes the cached tokens. */
export interface ReplyUsage {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
}

/** What a client protocol (Responses pass-through, Chat Completions) does with the upstream events. */
export interface ClientProtocol<Out> {
  /** translate one upstream event; output appended to `out` */
  push(ev: ResponsesEvent, out: Out[]): void;
  /** end of the upstream body */
  end(): void;
  /** something the client must see went into the output: from here on the reply is committed */
  readonly hasOutput: boolean;
  /** the reply failed (upstream error event, failed response, cut stream) */
  readonly failed: { code?: string; message: string } | undefined;
  readonly usage: ReplyUsage | undefined;
  /** SSE text of a batch of output */
  frames(out: Out[]): string;
  /** SSE text that ends a successful stream ('' when nothing) */
  readonly doneFrame: string;
  /** SSE text that ends a stream failing after its first byte ('' when the upstream's own error event already went out) */
  errorFrame(err: OpenAIClientError): string;
  /** for a non-streaming client: fold output as it comes, then the whole JSON body (undefined: not complete) */
  collect(out: Out[]): void;
  whole(): unknown;
}

export interface OpenAIRelayOutcome {
  status: number;
  errorKind?: string;
  ttfbMs?: number;
  usage?: ReplyUsage;
  clientAborted?: boolean;
}

function sendError(reply: FastifyReply, err: OpenAIClientError, requestId: string): void {
  const res = reply.raw;
  if (res.headersSent || res.destroyed) return;
  res.writeHead(err.status, { 'content-type': 'application/json', 'request-id': requestId, 'x-request-id': requestId, ...err.headers });
  res.end(JSON.stringify(err.body));
}

/** A stream failure (error event, failed response, cut stream) as a client error. */
function failureError(f: { code?: string; message: string }): { err: ClientError; code?: string } {
  const d = describeUpstreamError(f.code, f.message);
  return { err: { status: STATUS_FOR_TYPE[d.type] ?? 502, type: d.type, message: d.message }, code: f.code };
}

function upstreamError(e: unknown, snapshot: ConfigSnapshot): { err: ClientError; code?: string; kind: string } {
  if (e instanceof UpstreamError) return { err: clientErrorForUpstream(e, snapshot.effectiveSource, snapshot.timeouts), code: e.upstreamCode, kind: e.kind };
  return { err: { status: 500, type: 'api_error', message: `packybridge internal error: ${(e as Error)?.message ?? String(e)}` }, kind: 'internal' };
}

/** Writes text to the response, resolving once the socket can take more (or is gone). */
function writeText(res: ServerResponse, text: string): Promise<void> | undefined {
  if (text === '' || res.destroyed || res.writableEnded) return undefined;
  if (res.write(text)) return undefined;
  return new Promise((resolve) => {
    const done = () => { res.off('drain', done); res.off('close', done); resolve(); };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * Relays one request: `body` is the Responses request to send (dropped once the upstream accepted it).
 * Resolves with the outcome for accounting once the reply ended.
 */
export async function relayOpenAI<Out>(
  runtime: Runtime, snapshot: ConfigSnapshot, route: Route, body: Record<string, unknown> | object,
  protocol: ClientProtocol<Out>, stream: boolean, reply: FastifyReply, requestId: string,
): Promise<OpenAIRelayOutcome> {
  const started = performance.now();
  const abort = new AbortController();
  const onClose = () => { if (!reply.raw.writableFinished) abort.abort(); };
  reply.raw.on('close', onClose);
  if (reply.raw.destroyed) abort.abort();
  reply.hijack();

  const countError = (kind: string, status?: number) => {
    runtime.counters.upstreamErrors++;
    runtime.metrics.upstreamErrors.inc({ kind });
    runtime.audit.upstreamError(kind, status);
  };
  const failBeforeFirstByte = (err: ClientError, kind: string, code: string | undefined, ttfbMs?: number): OpenAIRelayOutcome => {
    countError(kind, err.status);
    const e = toOpenAIError(err, code);
    sendError(reply, e, requestId);
    return { status: e.status, errorKind: kind, ttfbMs };
  };

  let upstream: UpstreamStream | undefined;
  let pendingBody: object | null = body;
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        upstream = await openResponsesStream({ target: { baseUrl: route.baseUrl, apiKey: route.apiKey }, body: pendingBody, signal: abort.signal, timeouts: snapshot.timeouts });
        break;
      } catch (e) {
        if (abort.signal.aborted) return { status: 499, clientAborted: true };
        const delay = e instanceof UpstreamError ? retryDelayMs(e, attempt, relayTuning.retry) : null;
        if (delay !== null) {
          runtime.metrics.upstreamErrors.inc({ kind: `${(e as UpstreamError).kind}-retried` });
          runtime.logger.info({ reqId: requestId, kind: (e as UpstreamError).kind, status: (e as UpstreamError).status, attempt, delayMs: delay }, 'upstream retry');
          if (await sleep(delay, abort.signal)) continue;
          return { status: 499, clientAborted: true };
        }
        const { err, code, kind } = upstreamError(e, snapshot);
        err.headers = { ...err.headers, 'x-should-retry': 'false' };
        if (attempt > 1) err.message += ` (packybridge tried ${attempt} times)`;
        return failBeforeFirstByte(err, kind, code);
      }
    }
    pendingBody = null; // accepted upstream: not needed again
    const model = route.upstreamModel;
    runtime.metrics.inFlight.inc();
    try {
      return stream
        ? await streamReply(runtime, upstream, protocol, reply, requestId, snapshot, abort, started, model, failBeforeFirstByte, countError)
        : await wholeReply(runtime, upstream, protocol, reply, requestId, snapshot, abort, started, model, failBeforeFirstByte);
    } finally {
      runtime.metrics.inFlight.dec();
      runtime.metrics.upstreamLatency.observe({ model }, (performance.now() - started) / 1000);
    }
  } finally {
    reply.raw.off('close', onClose);
  }
}

type FailEarly = (err: ClientError, kind: string, code: string | undefined, ttfbMs?: number) => OpenAIRelayOutcome;

async function streamReply<Out>(
  runtime: Runtime, upstream: UpstreamStream, protocol: ClientProtocol<Out>, reply: FastifyReply, requestId: string,
  snapshot: ConfigSnapshot, abort: AbortController, started: number, model: string, failEarly: FailEarly,
  countError: (kind: string, status?: number) => void,
): Promise<OpenAIRelayOutcome> {
  const res = reply.raw;
  let committed = false;
  let held: Out[] = [];
  let ttfbMs: number | undefined;
  const commit = (): Promise<void> | undefined => {
    committed = true;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive',
      'x-accel-buffering': 'no', 'request-id': requestId, 'x-request-id': requestId,
    });
    (reply.request as { body: unknown }).body = undefined; // nothing can resend it now
    const text = protocol.frames(held);
    held = [];
    return writeText(res, text);
  };
  try {
    for await (const batch of upstream.batches) {
      if (ttfbMs === undefined) {
        ttfbMs = performance.now() - started;
        runtime.metrics.upstreamTtfb.observe({ model }, ttfbMs / 1000);
      }
      const out: Out[] = committed ? [] : held;
      for (let i = 0; i < batch.length; i++) protocol.push(batch[i], out);
      if (!committed) {
        if (protocol.failed && !protocol.hasOutput) {
          const { err, code } = failureError(protocol.failed);
          return failEarly(err, 'stream-error', code, ttfbMs);
        }
        if (protocol.hasOutput) { const w = commit(); if (w) await w; }
        continue;
      }
      if (res.destroyed) return { status: 499, ttfbMs, clientAborted: true, usage: protocol.usage };
      const w = writeText(res, protocol.frames(out));
      if (w) await w;
    }
    const tail: Out[] = committed ? [] : held;
    protocol.end();
    if (!committed) {
      if (protocol.failed) {
        const { err, code } = failureError(protocol.failed);
        return failEarly(err, 'stream-error', code, ttfbMs);
      }
      commit();
    }
    if (protocol.failed) {
      // failed after the first byte: the upstream's own error event (if any) already went out with the output
      countError('stream-error');
      const { err, code } = failureError(protocol.failed);
      writeText(res, protocol.frames(tail) + protocol.errorFrame(toOpenAIError(err, code)));
      return { status: 200, ttfbMs, errorKind: 'stream-error', usage: protocol.usage };
    }
    writeText(res, protocol.frames(tail) + protocol.doneFrame);
    return { status: 200, ttfbMs, usage: protocol.usage };
  } catch (e) {
    if (abort.signal.aborted) return { status: 499, ttfbMs, clientAborted: true, usage: protocol.usage };
    const { err, code, kind } = upstreamError(e, snapshot);
    if (!committed) return failEarly(err, kind, code, ttfbMs);
    countError(kind);
    writeText(res, protocol.errorFrame(toOpenAIError(err, code)));
    return { status: 200, ttfbMs, errorKind: kind, usage: protocol.usage };
  } finally {
    if (!res.writableEnded && !res.destroyed && res.headersSent) res.end();
  }
}

async function wholeReply<Out>(
  runtime: Runtime, upstream: UpstreamStream, protocol: ClientProtocol<Out>, reply: FastifyReply, requestId: string,
  snapshot: ConfigSnapshot, abort: AbortController, started: number, model: string, failEarly: FailEarly,
): Promise<OpenAIRelayOutcome> {
  let ttfbMs: number | undefined;
  try {
    for await (const batch of upstream.batches) {
      if (ttfbMs === undefined) {
        ttfbMs = performance.now() - started;
        runtime.metrics.upstreamTtfb.observe({ model }, ttfbMs / 1000);
      }
      const out: Out[] = [];
      for (let i = 0; i < batch.length; i++) protocol.push(batch[i], out);
      protocol.collect(out);
    }
    protocol.end();
  } catch (e) {
    if (abort.signal.aborted) return { status: 499, ttfbMs, clientAborted: true };
    const { err, code, kind } = upstreamError(e, snapshot);
    return failEarly(err, kind, code, ttfbMs);
  }
  if (reply.raw.destroyed) return { status: 499, ttfbMs, clientAborted: true };
  const whole = protocol.failed ? undefined : protocol.whole();
  if (whole === undefined) {
    const { err, code } = failureError(protocol.failed ?? { message: 'the upstream reply could not be assembled' });
    return failEarly(err, 'stream-error', code, ttfbMs);
  }
  reply.raw.writeHead(200, { 'content-type': 'application/json', 'request-id': requestId, 'x-request-id': requestId });
  reply.raw.end(JSON.stringify(whole));
  return { status: 200, ttfbMs, usage: protocol.usage };
}
