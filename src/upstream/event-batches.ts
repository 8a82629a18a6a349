// A reply body's chunks as batches of decoded Responses events, for the relay's hot path. Driven by the body's
// 'data' events: each chunk is decoded as it arrives and handed to the waiting reader by resolving the one
// promise its next() returned. A stream that is read at a real upstream's pace (an event or two a chunk) pays
// for that one promise a chunk, not for the stream module's async iterator and an async generator on top of it.
//
// The contract is the one an async generator over the body gave: batches in order, never empty; a read error
// becomes the reply's UpstreamError (the idle timeout's own when the watch ended the body); a decoding error
// comes after the events that preceded it; return() (the consumer stops early) and every error release the
// upstream request. The body is paused while a decoded batch waits for its reader.
//
// The chunks of one turn are one batch: a socket read that brings several chunks of a chunked body (an upstream
// that flushes each event, read a little late) has undici push each of them in turn, synchronously, and the
// reader, resumed in a microtask, gets all their events at once. The relay then writes them to its client in one
// socket write, not in one a chunk or two. Only the first content is not joined by what follows it in its read:
// the body pauses after it, so the first text does not wait for the rest of the read to be decoded.
import type { Readable } from 'node:stream';
import type { ResponsesEvent } from '../wire/responses-stream.ts';
import type { PostReply } from './http.ts';
import { createResponsesEventDecoder, SseProtocolError, type DecoderOptions, type ResponsesEventDecoder } from './sse-events.ts';
import { UpstreamError } from './upstream-error.ts';
import { IdleWatch } from './idle-watch.ts';

type Step = IteratorResult<ResponsesEvent[], undefined>;

const DONE: Step = Object.freeze({ done: true, value: undefined });

/** A batch that holds content the client sees: a text, reasoning or tool-argument delta. */
function hasContent(events: ResponsesEvent[]): boolean {
  for (let i = 0; i < events.length; i++) if (events[i].type.endsWith('.delta')) return true;
  return false;
}

/** An event that shows the response is moving: every Responses event and `error`; not unknown types. */
function isProgress(ev: ResponsesEvent): boolean {
  const t = ev.type;
  return t.startsWith('response.') || t === 'error';
}

export class EventBatches implements AsyncIterableIterator<ResponsesEvent[], undefined> {
  readonly #body: Readable;
  readonly #reply: PostReply;
  readonly #decoder: ResponsesEventDecoder;
  readonly #watch: IdleWatch;
  /** events decoded while no reader waited, not read yet (usually none: the reader is waiting) */
  #queued: ResponsesEvent[] | null = null;
  /** events promised to the waiting reader this turn: handed over in a microtask, so later chunks of the turn join them */
  #handing: ResponsesEvent[] | null = null;
  /** a content delta has been delivered (the first one pauses the body until the reader asks again) */
  #content = false;
  /** the body was paused at the first content delta: the next read resumes it */
  #heldAtContent = false;
  /** set once the body ended or failed: what the reader gets after the queue */
  #error: Error | null = null;
  #ended = false;
  /** the body's end was reached (nothing to release) */
  #drained = false;
  /** readers waiting for the next batch (one, the relay's; more only if next() is called again before it settles) */
  readonly #waiting: Array<{ resolve: (s: Step) => void; reject: (e: Error) => void }> = [];

  constructor(body: Readable, reply: PostReply, idleMs: number, decoding: DecoderOptions, first: Buffer | null = null) {
    this.#body = body;
    this.#reply = reply;
    this.#decoder = createResponsesEventDecoder(decoding);
    this.#watch = new IdleWatch(body, idleMs);
    if (first) this.#chunk(first);
    if (this.#ended) return;
    if (body.readableEnded) { this.#onEnd(); return; }
    if (body.destroyed) { this.#onClose(); return; }
    body.on('data', this.#onData);
    body.once('end', this.#onEnd);
    body.once('error', this.#onError);
    // destroyed without an error (the client went away and the request was aborted): no end will come
    body.once('close', this.#onClose);
    // a body paused by whoever read its first chunk flows again (unless that chunk's batch waits for its reader)
    if (this.#queued === null) body.resume();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<Step> {
    if (this.#heldAtContent) this.#release();
    const value = this.#queued;
    if (value !== null) {
      this.#queued = null;
      if (!this.#ended) this.#body.resume();
      return Promise.resolve({ done: false, value });
    }
    if (this.#ended) {
      if (this.#error) {
        const e = this.#error;
        this.#error = null;
        return Promise.reject(e);
      }
      return Promise.resolve(DONE);
    }
    return new Promise((resolve, reject) => { this.#waiting.push({ resolve, reject }); });
  }

  /** the reader stops early: the upstream request is released */
  return(): Promise<Step> {
    this.#handing = null;
    this.#finish(null);
    this.#queued = null;
    this.#error = null;
    return Promise.resolve(DONE);
  }

  readonly #onData = (chunk: Buffer): void => {
    this.#chunk(chunk);
  };

  #chunk(chunk: Buffer): void {
    if (this.#ended) return;
    let events: ResponsesEvent[];
    try {
      events = this.#decoder.push(chunk);
    } catch (e) {
      this.#finish(this.#asError(e));
      return;
    }
    if (events.length > 0) {
      for (let i = 0; i < events.length; i++) if (isProgress(events[i])) { this.#watch.progress(); break; }
      this.#deliver(events);
    }
    const failure = this.#decoder.failure;
    if (failure) this.#finish(this.#asError(failure));
  }

  #deliver(events: ResponsesEvent[]): void {
    const joining = this.#handing ?? this.#queued;
    if (joining !== null) {
      for (let i = 0; i < events.length; i++) joining.push(events[i]);
    } else if (this.#waiting.length > 0) {
      this.#handing = events;
      queueMicrotask(this.#handOver);
    } else {
      this.#queued = events;
      if (!this.#ended) this.#body.pause();
    }
    // The first content goes to the reader before the rest of its read is decoded: the body pauses here (the
    // turn's later chunks wait in it) until the reader, its first text written, asks for more. (A batch that
    // waits for its reader has paused the body already.)
    if (!this.#content && hasContent(events)) {
      this.#content = true;
      if (this.#queued === null && !this.#ended) {
        this.#heldAtContent = true;
        this.#body.pause();
      }
    }
  }

  /** the turn's events to the reader that waited for them */
  readonly #handOver = (): void => {
    const value = this.#handing;
    if (value === null) return;
    this.#handing = null;
    this.#waiting.shift()!.resolve({ done: false, value });
    // a reader that asked ahead is already waiting for what follows the first content
    if (this.#heldAtContent && this.#waiting.length > 0) this.#release();
  };

  /** the body held at the first content flows again (unless a batch waits for its reader) */
  #release(): void {
    this.#heldAtContent = false;
    if (this.#queued === null && !this.#ended) this.#body.resume();
  }

  readonly #onEnd = (): void => {
    if (this.#ended) return;
    this.#drained = true;
    let rest: ResponsesEvent[];
    try {
      rest = this.#decoder.end();
    } catch (e) {
      this.#finish(this.#asError(e));
      return;
    }
    if (rest.length > 0) this.#deliver(rest);
    const failure = this.#decoder.failure;
    this.#finish(failure ? this.#asError(failure) : null);
  };

  readonly #onError = (err: Error): void => {
    this.#finish(this.#watch.stalled ? this.#watch.error(this.#reply) : this.#reply.failure(err));
  };

  readonly #onClose = (): void => {
    if (this.#ended) return;
    // closed before its end without an error event: the read was cut (an abort destroys the body this way)
    this.#finish(this.#watch.stalled ? this.#watch.error(this.#reply) : this.#reply.failure(this.#body.errored ?? prematureClose()));
  };

  /** the end: `e` (or none) is what the reader gets once the queue is read; the body is let go */
  #finish(e: Error | null): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#watch.stop();
    const body = this.#body;
    body.off('data', this.#onData);
    body.off('end', this.#onEnd);
    body.off('close', this.#onClose);
    // an error after this one (a destroy's) has nobody to reach: keep a listener so it is not thrown
    body.off('error', this.#onError);
    body.on('error', ignore);
    if (!this.#drained) body.destroy();
    this.#error = e;
    // events promised to the waiting reader go first; the error (or the end) is the next read's
    this.#handOver();
    // waiting readers mean an empty queue: the first gets the error (or the end), the others the end
    for (const w of this.#waiting.splice(0)) {
      if (this.#error) { this.#error = null; w.reject(e!); } else w.resolve(DONE);
    }
  }

  #asError(e: unknown): Error {
    if (e instanceof SseProtocolError) {
      const r = this.#reply;
      return new UpstreamError('protocol', `upstream ${r.url}: ${e.message}`, { url: r.url, cause: e, ...(r.requestId ? { requestId: r.requestId } : {}) });
    }
    return e instanceof Error ? e : new Error(String(e));
  }
}

function ignore(): void { /* see EventBatches.#finish */ }

/** What the stream module's own iterator throws for a body closed before its end. */
function prematureClose(): Error {
  return Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}

/**
 * The body's first non-empty chunk, or null when it ended without one; the body is left paused after it (for a
 * reader that looks at the first bytes before it knows how to read the rest).
 */
export function firstChunk(body: Readable): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', onError);
      body.off('close', onClose);
    };
    const onData = (c: Buffer): void => {
      if (c.length === 0) return;
      done();
      body.pause();
      resolve(c);
    };
    const onEnd = (): void => { done(); resolve(null); };
    const onError = (e: Error): void => { done(); body.on('error', ignore); reject(e); };
    const onClose = (): void => { done(); reject(body.errored ?? prematureClose()); };
    if (body.readableEnded) { resolve(null); return; }
    body.on('data', onData);
    body.once('end', onEnd);
    body.once('error', onError);
    body.once('close', onClose);
  });
}
