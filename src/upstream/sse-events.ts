// Incremental SSE -> ResponsesEvent decoding. Bytes in (split anywhere, even inside a UTF-8 character),
// parsed events out. Hot path: one TextDecoder call per chunk; per event, the delta expression
// (delta-event.ts) or else one JSON.parse, and no per-event closures.
import { createParser } from 'eventsource-parser';
import type { EventSourceMessage, EventSourceParser } from 'eventsource-parser';
import type { ResponsesEvent } from '../wire/responses-stream.ts';
import { parseDeltaEvent } from './delta-event.ts';
import { DeltaRuns } from './delta-runs.ts';
import { EchoLines } from './echo-lines.ts';

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

function tooLarge(): SseProtocolError {
  return new SseProtocolError(`upstream SSE event larger than ${MAX_BUFFER_CHARS / (1024 * 1024)} MiB (${MAX_BUFFER_CHARS} characters), packybridge's limit for one event`);
}

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

export interface DecoderOptions {
  /**
   * Join each run of delta frames that arrive in one chunk and continue the same part (same type, item, output
   * index and content or summary index) into one event, its `delta` the pieces joined (delta-runs.ts: which
   * frames it reads, what the event keeps; a delta in a framing it declines is passed on as it is). For a
   * consumer that only appends the pieces (the Anthropic translator), not for one that re-frames the upstream's
   * events (the /v1/responses pass-through). The stream's first delta is never joined with the ones after it,
   * so the first text is not held behind the rest of its chunk.
   */
  joinDeltas?: boolean;
  /**
   * Leave out the request the response object echoes (`response.instructions` and `response.tools`, read as
   * `null` and `[]`; cut from the bytes before they are decoded, echo-lines.ts), and the head events' response
   * objects altogether (response.queued, created and in_progress may come as `{ type }` alone): for a consumer
   * that reads neither (the Anthropic and Chat Completions translators), not for the /v1/responses pass-through,
   * whose clients get the events as the upstream sent them. Chunks given as strings are decoded whole.
   */
  cutEchoedRequest?: boolean;
}

const LF = 0x0a;

export function createResponsesEventDecoder(opts: DecoderOptions = {}): ResponsesEventDecoder {
  const decoder = new TextDecoder('utf-8');
  let out: ResponsesEvent[] = [];
  let failure: SseProtocolError | null = null;
  let ending = false;
  /** joinDeltas: the runs read straight from the text (delta-runs.ts) */
  const runs = opts.joinDeltas === true ? new DeltaRuns() : null;
  const echo = opts.cutEchoedRequest === true ? new EchoLines(MAX_BUFFER_CHARS) : null;
  /** joinDeltas: everything fed to eventsource-parser so far ended with a blank line (it holds nothing) */
  let atBoundary = true;
  let lastWasLf = false;

  const onEvent = (msg: EventSourceMessage): void => {
    if (failure) return;
    const data = msg.data;
    if (data === '' || data === '[DONE]') return;
    const delta = parseDeltaEvent(data);
    if (delta !== undefined) {
      // joinDeltas: a delta the frames' reader declined (CR line ends, an id line, ...) goes out as it is (the
      // SSE framing joins what the translator makes of it, serializeEvents); it still counts as the first
      runs?.takeFirst();
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
      if (err.type === 'max-buffer-size-exceeded') failure = tooLarge();
    },
    maxBufferSize: MAX_BUFFER_CHARS,
  });

  /** Text for eventsource-parser (a run read from the text ends first: the events stay in order). */
  const feed = (text: string): void => {
    runs?.close();
    parser.feed(text);
    atBoundary = text.endsWith('\n\n');
    lastWasLf = text.charCodeAt(text.length - 1) === LF;
  };

  /**
   * joinDeltas: a chunk's text, its delta frames read by `runs`, the rest by eventsource-parser, in order. A
   * frame is only read at an event's start: after a blank line, with nothing held by the parser. (Text cut at
   * the first blank line after a frame that could not be read ends with a whole event, or is the chunk's end.)
   */
  const scan = (text: string, r: DeltaRuns): void => {
    let pos = 0;
    if (!atBoundary) {
      // the parser holds the start of an event: it ends at the first blank line (maybe the chunk's first LF)
      if (lastWasLf && text.charCodeAt(0) === LF) pos = 1;
      else {
        const blank = text.indexOf('\n\n');
        pos = blank === -1 ? text.length : blank + 2;
      }
      feed(pos === text.length ? text : text.slice(0, pos));
    }
    while (pos < text.length && failure === null) {
      const read = r.read(text, pos, out);
      if (read > pos) atBoundary = true;
      if (read >= text.length) break;
      const blank = text.indexOf('\n\n', read);
      pos = blank === -1 ? text.length : blank + 2;
      feed(text.slice(read, pos));
    }
  };

  const take = (): ResponsesEvent[] => {
    runs?.close();
    if (out.length === 0) {
      if (failure) throw failure;
      return EMPTY;
    }
    const ready = out;
    out = [];
    return ready;
  };

  const text = (t: string): void => {
    if (t === '') return;
    if (runs === null) parser.feed(t);
    else scan(t, runs);
  };

  return {
    get failure() { return failure; },
    push(chunk) {
      if (failure) throw failure;
      if (typeof chunk === 'string') text(chunk);
      else if (echo === null) text(decoder.decode(chunk, { stream: true }));
      else {
        const pieces = echo.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        for (let i = 0; i < pieces.length && failure === null; i++) text(decoder.decode(pieces[i], { stream: true }));
        if (echo.overlong && failure === null) failure = tooLarge();
      }
      return take();
    },
    end() {
      if (failure) throw failure;
      ending = true;
      if (echo !== null) for (const piece of echo.end()) text(decoder.decode(piece, { stream: true }));
      const rest = decoder.decode();
      runs?.close();
      if (rest !== '') parser.feed(rest);
      // terminate a last event that lacks its blank line
      parser.feed('\n\n');
      return take();
    },
  };
}
