// Writes Anthropic SSE events to a raw HTTP response: one write per batch, back-pressure, keep-alive pings.
import type { ServerResponse } from 'node:http';
import type { StreamEvent } from '../wire/anthropic-stream.ts';

const PING = 'event: ping\ndata: {"type": "ping"}\n\n';

export function serializeEvent(ev: StreamEvent): string {
  return `event: ${ev.type}\ndata: ${JSON.stringify(ev)}\n\n`;
}

export class SseWriter {
  readonly res: ServerResponse;
  started = false;
  closed = false;
  lastWriteAt = 0;
  #timer: NodeJS.Timeout | undefined;

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

  /** Writes a batch of events; resolves once the socket can take more (back-pressure). */
  write(events: StreamEvent[]): Promise<void> | undefined {
    if (this.closed || events.length === 0) return undefined;
    let chunk = '';
    for (let i = 0; i < events.length; i++) chunk += serializeEvent(events[i]);
    this.lastWriteAt = Date.now();
    if (this.res.write(chunk)) return undefined;
    return new Promise((resolve) => {
      const done = () => { this.res.off('drain', done); this.res.off('close', done); resolve(); };
      this.res.on('drain', done);
      this.res.on('close', done);
    });
  }

  /** Sends `ping` whenever nothing was written for `everyMs`. */
  keepAlive(everyMs: number, beforeStart: () => void): void {
    this.#timer = setInterval(() => {
      if (this.closed) return;
      if (!this.started) beforeStart();
      if (Date.now() - this.lastWriteAt >= everyMs) {
        this.lastWriteAt = Date.now();
        this.res.write(PING);
      }
    }, Math.max(50, Math.floor(everyMs / 2)));
    this.#timer.unref();
  }

  end(): void {
    if (this.#timer) clearInterval(this.#timer);
    if (this.closed) return;
    this.closed = true;
    if (!this.res.writableEnded) this.res.end();
  }
}
