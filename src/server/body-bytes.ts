// A JSON request body's bytes, read into one buffer that every request reuses, for a parser that is done with
// them when it returns.
//
// Why: V8 counts Buffers as external memory, and external memory that grows fast starts full (mark-compact)
// collections even while the old generation is not growing. A 76 KB Claude Code request made two fresh
// 76 KB Buffers (the socket's reads, then fastify's copy of them into one), and with short replies that was a
// full collection every ~100 requests at 16 streams, 15-35 ms of work each (issue 11; README, Memory). The
// socket's reads are Node's; the copy now goes into this buffer instead of a new one.
//
// Sound because the body is parsed synchronously, inside the stream's 'end' handler, before any other request
// can be read: parseJsonBytes (json-body.ts) returns values that share nothing with the bytes, and the caches
// it feeds copy what they keep (repeated-tail.ts). A body larger than the shared buffer's cap gets a Buffer
// of its own, as before.
//
// The rest is fastify's rawBody, which a parser that reads the stream itself replaces: the body limit (413 at
// once when content-length says so, else as soon as it is passed), a content-length that does not match
// (400), and a stream error (400 unless it says otherwise), with fastify's own error codes, so the app's
// error handler answers exactly as before.
import type { Readable } from 'node:stream';
import { errorCodes } from 'fastify';

/** The largest body read into the shared buffer (so also the most it grows to); larger ones get their own. */
export const SHARED_BODY_MAX = 4 * 1024 * 1024;
/** The shared buffer's first size; it grows in powers of two up to SHARED_BODY_MAX. */
const SHARED_BODY_MIN = 128 * 1024;

let shared: Buffer | undefined;

/** A buffer of `size` bytes to read a body into: a view of the shared one, or (past its cap) a new one. */
function bodyBuffer(size: number): Buffer {
  if (size > SHARED_BODY_MAX) return Buffer.allocUnsafeSlow(size);
  if (shared === undefined || shared.length < size) {
    let n = SHARED_BODY_MIN;
    while (n < size) n *= 2;
    shared = Buffer.allocUnsafeSlow(Math.min(n, SHARED_BODY_MAX));
  }
  return shared.subarray(0, size);
}

/** The request headers the reader looks at. */
interface BodyHeaders { 'content-length'?: string | undefined }

/**
 * Reads `payload` (a request's body stream) and calls `use` with its bytes, or `fail` with fastify's error.
 * `use` runs synchronously on the bytes and must not keep them (nor any view of them) once it returns: the
 * next body is read into the same memory.
 */
export function readBodyBytes(
  headers: BodyHeaders, payload: Readable, limit: number, use: (bytes: Buffer) => void, fail: (err: Error) => void,
): void {
  const contentLength = Number(headers['content-length']);
  if (contentLength > limit) {
    fail(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
    return;
  }
  const chunks: Buffer[] = [];
  let received = 0;

  const stop = (): void => {
    payload.removeListener('data', onData);
    payload.removeListener('end', onEnd);
    payload.removeListener('error', onEnd);
  };

  function onData(chunk: Buffer | string): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    received += bytes.length;
    if (received > limit) {
      stop();
      fail(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
      return;
    }
    chunks.push(bytes);
  }

  function onEnd(err?: Error & { statusCode?: number }): void {
    stop();
    if (err != null) {
      if (!(typeof err.statusCode === 'number' && err.statusCode >= 400)) err.statusCode = 400;
      fail(err);
      return;
    }
    if (!Number.isNaN(contentLength) && received !== contentLength) {
      fail(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH());
      return;
    }
    const body = bodyBuffer(received);
    let at = 0;
    for (const c of chunks) at += c.copy(body, at);
    chunks.length = 0;
    try {
      use(body);
    } catch (e) {
      fail(e as Error); // as fastify does for a parser that throws
    }
  }

  payload.on('data', onData);
  payload.on('end', onEnd);
  payload.on('error', onEnd);
  payload.resume();
}
