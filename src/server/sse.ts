// Writes Anthropic SSE events to a raw HTTP response: back-pressure, keep-alive pings, and one socket write
// per event-loop tick. Every event of one upstream chunk is translated in the same tick; they go out as one
// res.write at the end of it (process.nextTick), not one chunked-encoding frame (and writev entry) each.
import type { ServerResponse } from 'node:http';
import type { Delta, StreamEvent } from '../wire/anthropic-stream.ts';

const PING = 'event: ping\ndata: {"type": "ping"}\n\n';

/**
 * One SSE frame: `event: <type>\ndata: <JSON>\n\n`. Content block deltas (nearly all of the traffic) are
 * written from a template; the text is escaped by JSON.stringify, so the bytes equal JSON.stringify(ev).
 */
export function serializeEvent(ev: StreamEvent): string {
  if (ev.type === 'content_block_delta' && Number.isInteger(ev.index)) {
    const d = ev.delta;
    switch (d.type) {
      case 'text_delta':
        return `event: content_block_delta\ndata: {"type":"content_block_delta","index":${ev.index},"delta":{"type":"text_delta","text":${JSON.stringify(d.text)}}}\n\n`;
      case 'input_json_delta':
        return `event: content_block_delta\ndata: {"type":"content_block_delta","index":${ev.index},"delta":{"type":"input_json_delta","partial_json":${JSON.stringify(d.partial_json)}}}\n\n`;
      case 'thinking_delta':
        return `event: content_block_delta\ndata: {"type":"content_block_delta","index":${ev.index},"delta":{"type":"thinking_delta","thinking":${JSON.stringify(d.thinking)}}}\n\n`;
      default:
        break;
    }
  }
  return `event: ${ev.type}\ndata: ${JSON.stringify(ev)}\n\n`;
}

/** The text field of the delta types whose pieces a client joins (text, tool input JSON, thinking). */
function joinedText(delta: Delta): string | undefined {
  switch (delta.type) {
    case 'text_delta': return delta.text;
    case 'input_json_delta': return delta.partial_json;
    case 'thinking_delta': return delta.thinking;
    default: return undefined;
  }
}

/**
 * The frames of a batch of events that are ready at the same moment (what one upstream chunk translated to).
 * A run of content_block_delta events on the same block with the same delta type (text, tool input JSON or
 * thinking) goes out as one delta carrying their pieces joined: the client has the same text at the same
 * moment, in one frame instead of one per upstream token. Clients join the pieces of a block in order (the
 * Anthropic SDKs and Claude Code append each text and parse a tool's JSON at its content_block_stop), so the
 * reply they assemble is the same; a relay or a fast upstream that delivers a whole reply in one chunk no
 * longer costs 200 frames to write and to read. Other events, and deltas that arrive apart, are unchanged.
 */
export function serializeEvents(events: readonly StreamEvent[]): string {
  let s = '';
  const n = events.length;
  for (let i = 0; i < n; i++) {
    const ev = events[i];
    if (ev.type === 'content_block_delta' && i + 1 < n) {
      const first = joinedText(ev.delta);
      if (first !== undefined) {
        let text = first;
        let j = i + 1;
        for (; j < n; j++) {
          const next = events[j];
          if (next.type !== 'content_block_delta' || next.index !== ev.index || next.delta.type !== ev.delta.type) break;
          text += joinedText(next.delta)!;
        }
        if (j > i + 1) {
          s += serializeEvent({ type: 'content_block_delta', index: ev.index, delta: withText(ev.delta, text) });
          i = j - 1;
          continue;
        }
      }
    }
    s += serializeEvent(ev);
  }
  return s;
}

function withText(d: Delta, text: string): Delta {
  switch (d.type) {
    case 'text_delta': return { type: 'text_delta', text };
    case 'input_json_delta': return { type: 'input_json_delta', partial_json: text };
    default: return { type: 'thinking_delta', thinking: text };
  }
}

function flushTick(w: SseWriter): void {
  w.flush();
}

export class SseWriter {
  readonly res: ServerResponse;
  started = false;
  closed = false;
  lastWriteAt = 0;
  #timer: NodeJS.Timeout | undefined;
  /** Frames written this tick, not yet handed to the socket. */
  #pending = '';
  #flushQueued = false;

  constructor(res: ServerResponse) {
    this.res = res;
  }

  start(headers: Record<string, string>): void {
    if (this.started) return;
    this.started = true;
    this.res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      ...headers,
    });
    this.lastWriteAt = Date.now();
  }

  /**
   * Queues a batch of events for this tick's write. Returns a promise when the socket is over its
   * high-water mark: resolves once it drained (or closed); the caller should wait before writing more.
   */
  write(events: StreamEvent[]): Promise<void> | undefined {
    if (this.closed || events.length === 0) return undefined;
    let chunk = this.#pending;
    for (let i = 0; i < events.length; i++) chunk += serializeEvent(events[i]);
    this.#pending = chunk;
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      process.nextTick(flushTick, this);
    }
    if (!this.res.writableNeedDrain || this.res.destroyed) return undefined;
    return new Promise((resolve) => {
      const done = () => { this.res.off('drain', done); this.res.off('close', done); resolve(); };
      this.res.on('drain', done);
      this.res.on('close', done);
    });
  }

  /** Hands what this tick wrote to the socket now (runs by itself at the end of the tick). */
  flush(): void {
    this.#flushQueued = false;
    if (this.#pending === '') return;
    const chunk = this.#pending;
    this.#pending = '';
    if (this.closed || this.res.destroyed || this.res.writableEnded) return;
    this.lastWriteAt = Date.now();
    this.res.write(chunk);
  }

  /**
   * Sends `ping` whenever nothing was written for `everyMs`. Before the stream has started, a due ping first
   * calls `beforeStart` (which starts it).
   */
  keepAlive(everyMs: number, beforeStart: () => void): void {
    if (!this.started) this.lastWriteAt = Date.now();
    this.#timer = setInterval(() => {
      if (this.closed || Date.now() - this.lastWriteAt < everyMs) return;
      if (!this.started) beforeStart();
      this.#pending += PING;
      this.flush();
    }, Math.max(50, Math.floor(everyMs / 2)));
    this.#timer.unref();
  }

  /** Stops the keep-alive pings (and their beforeStart call), e.g. when another writer takes the response over. */
  stopKeepAlive(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  end(): void {
    this.stopKeepAlive();
    if (this.closed) return;
    this.closed = true;
    const rest = this.#pending;
    this.#pending = '';
    if (this.res.writableEnded) return;
    if (rest !== '' && !this.res.destroyed) this.res.end(rest);
    else this.res.end();
  }
}
