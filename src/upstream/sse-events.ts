// Incremental SSE -> ResponsesEvent decoding. Bytes in (split anywhere, even inside a UTF-8 character),
// parsed events out. Hot path: one TextDecoder call per chunk; per event, the delta expression
// (delta-event.ts) or else one JSON.parse, and no per-event closures.
import { createParser } from 'eventsource-parser';
import type { EventSourceMessage, EventSourceParser } from 'eventsource-parser';
import type { ResponsesEvent } from '../wire/responses-stream.ts';
import { parseDeltaEvent } from './delta-event.ts';

/** Thrown for data the parser cannot accept (malformed JSON, oversized event). */
export class SseProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SseProtocolError';
  }
}

/**
 * Largest buffered (unterminated) event, in characters: a completed response with long output fits easily
 * (128k output tokens are well under 1 MB); beyond it the stream fails with a protocol error naming the limit,
 * and the buffer is dropped with the request.
 */
export const MAX_BUFFER_CHARS = 16 * 1024 * 1024;

const EMPTY: ResponsesEvent[] = Object.freeze([]) as unknown as ResponsesEvent[];

export interface ResponsesEventDecoder {
  /**
   * Feed one body chunk; returns the events it completed (often empty or one). When the chunk also held bad
   * data, the good events before it are returned first and `failure` is set; the next call throws it.
   */
  push(chunk: Uint8Array | string): ResponsesEvent[];
  /** the protocol error met so far, if any */
  readonly failure: SseProtocolError | null;
  /**
   * End of body: decode what is left. A final event missing its blank line is still delivered; a trailing
   * fragment that is not valid JSON (the body ended mid-event) is dropped, since the stream was cut.
   */
  end(): ResponsesEvent[];
}

export function createResponsesEventDecoder(): ResponsesEventDecoder {
  const decoder = new TextDecoder('utf-8');
  let out: ResponsesEvent[] = [];
  let failure: SseProtocolError | null = null;
  let ending = false;

  const onEvent = (msg: EventSourceMessage): void => {
    if (failure) return;
    const data = msg.data;
    if (data === '' || data === '[DONE]') return;
    const delta = parseDeltaEvent(data);
    if (delta !== undefined) {
      out.push(delta);
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      if (ending) return; // cut mid-event at end of body
      failure = new SseProtocolError(`malformed JSON in upstream SSE event${msg.event ? ` "${msg.event}"` : ''} (${data.length} chars)`);
      return;
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      failure = new SseProtocolError(`upstream SSE data is not a JSON object${msg.event ? ` (event "${msg.event}")` : ''}`);
      return;
    }
    const ev = parsed as ResponsesEvent;
    if (typeof ev.type !== 'string') {
      if (!msg.event) {
        failure = new SseProtocolError('upstream SSE event has neither a "type" field nor an event name');
        return;
      }
      ev.type = msg.event;
    }
    out.push(ev);
  };

  const parser: EventSourceParser = createParser({
    onEvent,
    onError: (err) => {
      // unknown fields / bad retry values are ignored per the SSE spec; only buffer overflow is fatal
      if (err.type === 'max-buffer-size-exceeded') failure = new SseProtocolError(`upstream SSE event larger than ${MAX_BUFFER_CHARS / (1024 * 1024)} MiB (${MAX_BUFFER_CHARS} characters), packybridge's limit for one event`);
    },
    maxBufferSize: MAX_BUFFER_CHARS,
  });

  const take = (): ResponsesEvent[] => {
    if (out.length === 0) {
      if (failure) throw failure;
      return EMPTY;
    }
    const ready = out;
    out = [];
    return ready;
  };

  return {
    get failure() { return failure; },
    push(chunk) {
      if (failure) throw failure;
      const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
      if (text !== '') parser.feed(text);
      return take();
    },
    end() {
      if (failure) throw failure;
      ending = true;
      const rest = decoder.decode();
      if (rest !== '') parser.feed(rest);
      // terminate a last event that lacks its blank line
      parser.feed('\n\n');
      return take();
    },
  };
}
