// The reply's delta events read straight from a chunk's text, for a consumer that only appends their pieces
// (the /v1/messages translator; sse-events.ts, `joinDeltas`). A fast upstream or a relay delivers hundreds of
// delta frames in one chunk; read one by one (eventsource-parser's line, the event's object, the expression's
// ten captures) they were about two thirds of what the gateway allocated per request, and so of its scavenges.
//
// Here a frame is recognised where it starts by one sticky expression: an optional `event:` line, one `data:`
// line holding a delta event in one of delta-event.ts's two key orders (the same grammar: whatever it accepts
// is valid JSON), and the blank line, with no CR anywhere. The expression only says whether a frame is there
// and where it ends; the fields that place the piece (item, output index, content or summary index) and the
// delta's JSON body are then read in place. A frame that continues the open run (same type, item and indices)
// only appends that body; the run's text is unescaped once, when it closes. Anything else (another
// event, another field, CR line ends, a frame cut by the chunk's end) is not read here: the decoder hands it to
// eventsource-parser.
//
// What the consumer gets: one event per run, `{type, item_id, output_index, content_index | summary_index,
// delta}`, the pieces joined in order; sequence_number, obfuscation and the empty logprobs are left out (the
// translator reads none of them). The stream's first delta is its own event, so the first text is not held
// behind the rest of its chunk.
import type { ResponsesEvent } from '../wire/responses-stream.ts';
import { CHARS, DELTA_TYPE, DIGITS, STRING, deltaTypeAt } from './delta-event.ts';

// no CR anywhere in a frame (a lone CR ends a line in SSE): the event line excludes it, the JSON cannot hold one
const FRAME_START = '(?:event:[^\\n\\r]*\\n)?data: ?' + DELTA_TYPE;
const FRAME_END = '\\}\\n\\n';
const ID = `"${CHARS}"`;
const INT = `(?:${DIGITS})`;
// the delta's body: delta-event.ts's STRING without its capture
const BODY = STRING.replace('"(', '"(?:');

const DECLARED_FRAME = new RegExp(
  FRAME_START +
  `(?:,"sequence_number":${INT})?` +
  `,"item_id":${ID}` +
  `,"output_index":${INT}` +
  `(?:,"content_index":${INT}|,"summary_index":${INT})?` +
  `,"delta":${BODY}` +
  '(?:,"logprobs":\\[\\])?' +
  `(?:,"obfuscation":${ID})?` +
  `(?:,"sequence_number":${INT})?` +
  FRAME_END,
  'y',
);

// summary_index before or after sequence_number (a frame with both is left to JSON.parse's rules in the decoder)
const SORTED_FRAME = new RegExp(
  FRAME_START +
  `(?:,"content_index":${INT})?` +
  `,"delta":${BODY}` +
  `,"item_id":${ID}` +
  '(?:,"logprobs":\\[\\])?' +
  `(?:,"obfuscation":${ID})?` +
  `,"output_index":${INT}` +
  `(?:,"summary_index":${INT})?` +
  `(?:,"sequence_number":${INT})?` +
  `(?:,"summary_index":${INT})?` +
  FRAME_END,
  'y',
);

const SPACE = 0x20;
const DATA = 0x64; // the d of a frame that starts with its data line
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const ZERO = 0x30;
const NINE = 0x39;
// the second letter of a member's name (after `,"`), which tells the members that may stand at a place apart
const C = 0x63; // content_index
const D = 0x64; // delta
const L = 0x6c; // logprobs
const O = 0x6f; // obfuscation, output_index
const S = 0x73; // sequence_number, summary_index
const B = 0x62; // o(b)fuscation
const U = 0x75; // s(u)mmary_index, o(u)tput_index

// the members' prefixes' lengths, as the expressions above spell them
const SEQUENCE = ',"sequence_number":'.length;
const ITEM = ',"item_id":"'.length;
const OUTPUT = ',"output_index":'.length;
const INDEX = ',"content_index":'.length; // ',"summary_index":' too
const DELTA = ',"delta":"'.length;
const LOGPROBS = ',"logprobs":[]'.length;
const OBFUSCATION = ',"obfuscation":"'.length;

/** Where the digits from `at` end. */
function digitsEnd(text: string, at: number): number {
  let p = at;
  while (p < text.length) {
    const c = text.charCodeAt(p);
    if (c < ZERO || c > NINE) break;
    p++;
  }
  return p;
}

/** The integer of the digits text[at, end) (Number's value: the same rounding for long ones). */
function intAt(text: string, at: number, end: number): number {
  return end - at === 1 ? text.charCodeAt(at) - ZERO : Number(text.slice(at, end));
}

/** The closing quote of the JSON string whose (valid) body starts at `at`. */
function stringEnd(text: string, at: number): number {
  let p = at;
  for (;;) {
    const c = text.charCodeAt(p);
    if (c === QUOTE) return p;
    p += c === BACKSLASH ? 2 : 1; // past an escaped character (of \uXXXX, the rest are plain characters)
  }
}

/**
 * The string a JSON string's body (valid, from the chunk's text) stands for, in a string of its own: a slice of
 * the text, or a concatenation of slices, would keep the whole chunk's text alive for as long as the translator
 * keeps the piece (to the end of the reply). JSON.parse makes a new string, and unescapes.
 */
function own(body: string): string {
  return JSON.parse(`"${body}"`) as string;
}

/** The runs of one stream: the open run (its event and its pieces' JSON bodies) and whether a delta was seen. */
export class DeltaRuns {
  #first = true;
  #event: ResponsesEvent | null = null;
  #raw = '';
  /** the key order of the last frame read (DECLARED_FRAME or SORTED_FRAME): tried first */
  #declared = true;

  /**
   * The stream's first delta? True once: for the first delta of the stream, whoever reads it (the decoder's
   * JSON.parse path asks too).
   */
  takeFirst(): boolean {
    const first = this.#first;
    this.#first = false;
    return first;
  }

  /**
   * Reads the delta frames of `text` from `pos`, a frame's start (an event boundary), into `out`; returns where
   * it stopped: at the first thing that is not a whole delta frame (maybe `text.length`).
   *
   * The expression only says whether a frame is there and where it ends (no captures: no match array and no
   * strings per frame); its members are then found in place, in the order it accepted them. A piece that
   * continues the open run is compared where it stands and costs one slice.
   */
  read(text: string, pos: number, out: ResponsesEvent[]): number {
    for (;;) {
      // the key order the stream was last read in first: an upstream writes one
      let declared = this.#declared;
      let frame = declared ? DECLARED_FRAME : SORTED_FRAME;
      frame.lastIndex = pos;
      if (!frame.test(text)) {
        declared = !declared;
        frame = declared ? DECLARED_FRAME : SORTED_FRAME;
        frame.lastIndex = pos;
        if (!frame.test(text)) return pos;
        this.#declared = declared;
      }
      const end = frame.lastIndex;
      // the JSON starts after the data line's field name (and its one optional space)
      const data = text.charCodeAt(pos) === DATA ? pos : text.indexOf('\n', pos) + 1;
      const json = text.charCodeAt(data + 5) === SPACE ? data + 6 : data + 5;
      const type = deltaTypeAt(text, json);
      // the members, walked in the order the expression accepted them: where it allowed more than one, the
      // letter after `,"` tells which stands there
      let p = json + 10 + type.length; // after the type's closing quote
      let itemAt: number;
      let itemEnd: number;
      let outputIndex: number;
      let contentIndex: number | undefined;
      let summaryIndex: number | undefined;
      let bodyAt: number;
      let bodyEnd: number;
      let q: number;
      if (declared) {
        if (text.charCodeAt(p + 2) === S) p = digitsEnd(text, p + SEQUENCE);
        itemAt = p + ITEM;
        itemEnd = text.indexOf('"', itemAt);
        p = itemEnd + 1 + OUTPUT;
        q = digitsEnd(text, p);
        outputIndex = intAt(text, p, q);
        p = q;
        const next = text.charCodeAt(p + 2);
        if (next !== D) {
          q = digitsEnd(text, p + INDEX);
          if (next === C) contentIndex = intAt(text, p + INDEX, q);
          else summaryIndex = intAt(text, p + INDEX, q);
          p = q;
        }
        bodyAt = p + DELTA;
        bodyEnd = stringEnd(text, bodyAt);
      } else {
        if (text.charCodeAt(p + 2) === C) {
          q = digitsEnd(text, p + INDEX);
          contentIndex = intAt(text, p + INDEX, q);
          p = q;
        }
        bodyAt = p + DELTA;
        bodyEnd = stringEnd(text, bodyAt);
        itemAt = bodyEnd + 1 + ITEM;
        itemEnd = text.indexOf('"', itemAt);
        p = itemEnd + 1;
        if (text.charCodeAt(p + 2) === L) p += LOGPROBS;
        if (text.charCodeAt(p + 2) === O && text.charCodeAt(p + 3) === B) p = text.indexOf('"', p + OBFUSCATION) + 1;
        p += OUTPUT;
        q = digitsEnd(text, p);
        outputIndex = intAt(text, p, q);
        p = q;
        if (text.charCodeAt(p + 2) === S && text.charCodeAt(p + 3) === U) {
          q = digitsEnd(text, p + INDEX);
          summaryIndex = intAt(text, p + INDEX, q);
          p = q;
        }
        if (text.charCodeAt(p + 2) === S && text.charCodeAt(p + 3) !== U) p = digitsEnd(text, p + SEQUENCE);
        if (text.charCodeAt(p + 2) === S) {
          if (summaryIndex !== undefined) return pos; // summary_index twice: JSON.parse's rules, in the decoder
          summaryIndex = intAt(text, p + INDEX, digitsEnd(text, p + INDEX));
        }
      }
      const run = this.#event;
      if (run !== null && run.type === type && run.output_index === outputIndex && run.content_index === contentIndex &&
        run.summary_index === summaryIndex && run.item_id!.length === itemEnd - itemAt && text.startsWith(run.item_id!, itemAt)) {
        this.#raw += text.slice(bodyAt, bodyEnd);
      } else {
        this.close();
        const ev: ResponsesEvent = { type, item_id: own(text.slice(itemAt, itemEnd)), output_index: outputIndex };
        if (contentIndex !== undefined) ev.content_index = contentIndex;
        if (summaryIndex !== undefined) ev.summary_index = summaryIndex;
        out.push(ev);
        const raw = text.slice(bodyAt, bodyEnd);
        if (this.takeFirst()) {
          ev.delta = own(raw);
        } else {
          ev.delta = '';
          this.#event = ev;
          this.#raw = raw;
        }
      }
      pos = end;
    }
  }

  /** Ends the open run (its event gets its text): before anything else goes into the output, and before it is handed out. */
  close(): void {
    const ev = this.#event;
    if (ev === null) return;
    ev.delta = own(this.#raw);
    this.#event = null;
    this.#raw = '';
  }
}
