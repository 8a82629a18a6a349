// The request a Responses stream echoes back. The API's response object carries the request's `instructions` and
// `tools` as they were sent (normalised: `strict` added, keys reordered), in `response.created`,
// `response.in_progress` and the terminal event: for a Claude Code request that is its 24+ tool schemas, ~70 KB,
// three times a reply, several times the bytes of all its deltas. The Anthropic and Chat Completions translators
// never read them, so their decoder cuts the two values out of the terminal event's bytes (echo-lines.ts finds the
// events, and skips the head's two unread) before anything is decoded or parsed.
//
// Only the `response` object's own members are cut (`{"type":...,"response":{...,"tools":[...],...}}`), to the
// API's own "none" (`null`, `[]`); a `tools` key anywhere else (an output item's, inside a string) is kept. What is
// cut is followed by its brackets and strings, not checked as JSON; the rest is still `JSON.parse`d, so a broken
// event still fails. Bytes that are not such an object, or whose members cannot be walked, come back as they are.
// JSON's structural characters are ASCII and no byte of a multi-byte UTF-8 character is, so bytes are walked as
// they are.

/** Deepest nesting walked inside a cut value; deeper text is left to JSON.parse whole. */
const MAX_DEPTH = 256;
/** the kinds of the open brackets of the value being skipped (one walk at a time: the walk is synchronous) */
const bracketKinds = new Uint8Array(MAX_DEPTH);

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

// Buffers throughout: their indexOf is native (memchr), a plain Uint8Array's is not
const KEY_RESPONSE = Buffer.from('"response"');
const KEY_TOOLS = Buffer.from('"tools"');
const KEY_INSTRUCTIONS = Buffer.from('"instructions"');
const NONE_TOOLS = Buffer.from('[]');
const NONE_INSTRUCTIONS = Buffer.from('null');

/**
 * The JSON object in `bytes[start, end)` with `response.instructions` and `response.tools` replaced by `null` and
 * `[]` (when they hold more than that), followed by the bytes after `end`; `bytes` itself when nothing was cut.
 */
export function cutEchoedRequest(bytes: Buffer, start = 0, end = bytes.length): Buffer {
  const b = bytes.subarray(0, end);
  const open = skipSpace(b, start);
  if (b[open] !== OPEN_BRACE) return bytes;
  // the top-level members: find "response" and the object it holds
  for (let i = skipSpace(b, open + 1); b[i] === QUOTE;) {
    const keyEnd = stringEnd(b, i);
    const v = keyEnd < 0 ? -1 : valueAfter(b, keyEnd);
    if (v < 0) return bytes;
    if (b[v] === OPEN_BRACE && isKey(b, i, keyEnd, KEY_RESPONSE)) return cutMembers(bytes, b, v);
    i = nextMember(b, skipValue(b, v));
  }
  return bytes;
}

/** Cut `instructions` and `tools` out of the object whose `{` is at `start` (b: the bytes up to the JSON's end). */
function cutMembers(bytes: Buffer, b: Buffer, start: number): Buffer {
  const kept: Buffer[] = [];
  let from = 0;
  for (let i = skipSpace(b, start + 1); b[i] === QUOTE;) {
    const keyEnd = stringEnd(b, i);
    const v = keyEnd < 0 ? -1 : valueAfter(b, keyEnd);
    if (v < 0) return bytes;
    const none = isKey(b, i, keyEnd, KEY_TOOLS) ? NONE_TOOLS : isKey(b, i, keyEnd, KEY_INSTRUCTIONS) ? NONE_INSTRUCTIONS : null;
    const valueEnd = none === null ? skipValue(b, v) : echoedValueEnd(b, v);
    if (valueEnd < 0) return bytes;
    if (none !== null && valueEnd - v > none.length) {
      kept.push(bytes.subarray(from, v), none);
      from = valueEnd;
    }
    i = nextMember(b, valueEnd);
    if (i === END_OF_OBJECT) break;
    if (i < 0) return bytes;
  }
  if (from === 0) return bytes;
  kept.push(bytes.subarray(from));
  return Buffer.concat(kept);
}

// The echoed values seen last. The same tools and instructions come back in the three events of a stream and in
// every turn of a session: after the first walk, the next echo of them is recognised by comparing its bytes with
// the kept copy (native memcmp) instead of walking it again. Sound because a kept value is a whole string, array
// or object whose end the walk found by its own bytes alone: the same bytes elsewhere end at the same place.
// Copies, since the bytes walked may be a scratch buffer that is reused.
/** echoed values kept, most recently used first */
const KNOWN_VALUES = 8;
/** values shorter than this are walked every time (the walk costs about what a comparison does) */
const KNOWN_MIN_BYTES = 1024;
/** larger values are not kept */
const KNOWN_MAX_BYTES = 512 * 1024;
const known: Buffer[] = [];

/** Index just past the echoed value at `v` (a known one, or walked and then kept), or -1. */
function echoedValueEnd(b: Buffer, v: number): number {
  const first = b[v];
  for (let k = 0; k < known.length; k++) {
    const value = known[k];
    const end = v + value.length;
    if (value[0] !== first || end >= b.length) continue;
    const after = b[end]; // what follows a member's value: a comma, the closing brace or space
    if (after !== COMMA && after !== CLOSE_BRACE && after !== 0x20 && after !== 0x0a && after !== 0x0d && after !== 0x09) continue;
    if (b.compare(value, 0, value.length, v, end) !== 0) continue;
    if (k > 0) {
      known.splice(k, 1);
      known.unshift(value);
    }
    return end;
  }
  const end = skipValue(b, v);
  if (end - v >= KNOWN_MIN_BYTES && end - v <= KNOWN_MAX_BYTES && (first === QUOTE || first === OPEN_BRACKET || first === OPEN_BRACE)) {
    known.unshift(Buffer.from(b.subarray(v, end)));
    if (known.length > KNOWN_VALUES) known.pop();
  }
  return end;
}

/** nextMember: the object's `}` came instead of a comma */
const END_OF_OBJECT = -2;

/** After a key: where its value starts, or -1 when no colon follows. */
function valueAfter(b: Buffer, keyEnd: number): number {
  const c = skipSpace(b, keyEnd);
  return b[c] === COLON ? skipSpace(b, c + 1) : -1;
}

/** After a member's value (-1: none): where the next key starts, END_OF_OBJECT after the last, -1 otherwise. */
function nextMember(b: Buffer, valueEnd: number): number {
  if (valueEnd < 0) return -1;
  const c = skipSpace(b, valueEnd);
  if (b[c] === COMMA) return skipSpace(b, c + 1);
  return b[c] === CLOSE_BRACE ? END_OF_OBJECT : -1;
}

function isKey(b: Buffer, start: number, end: number, key: Buffer): boolean {
  if (end - start !== key.length) return false;
  for (let k = 1; k < key.length - 1; k++) if (b[start + k] !== key[k]) return false;
  return true;
}

function skipSpace(b: Buffer, i: number): number {
  for (;;) {
    const c = b[i];
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i++;
  }
}

/** Bytes of a string looked at one by one before its end is searched for natively (a call costs ~that). */
const SHORT_STRING = 48;

/** Index just past the string whose opening quote is at `i`, or -1. */
function stringEnd(b: Buffer, i: number): number {
  // most strings in a tool schema are short (keys, types): read them here; a long one (a description) natively
  const stop = Math.min(b.length, i + 1 + SHORT_STRING);
  for (let j = i + 1; j < stop; j++) {
    const c = b[j];
    if (c === QUOTE) return j + 1;
    if (c === BACKSLASH) return stringEndFrom(b, j);
  }
  return stringEndFrom(b, stop - 1);
}

/** Index just past the string's closing quote, searched for after `from` (inside the string), or -1. */
function stringEndFrom(b: Buffer, from: number): number {
  let j = from;
  for (;;) {
    j = b.indexOf(QUOTE, j + 1);
    if (j < 0) return -1;
    let k = j - 1;
    while (b[k] === BACKSLASH) k--;
    if ((j - 1 - k) % 2 === 0) return j + 1; // an even run of backslashes: the quote is not escaped
  }
}

/**
 * Index just past the value starting at `i`: a string, an object or array by its brackets (strings inside
 * skipped whole), or a scalar up to the next `,` `}` `]` or space. -1 when the bytes end first or a bracket does
 * not match its kind.
 */
function skipValue(b: Buffer, i: number): number {
  const first = b[i];
  if (first === QUOTE) return stringEnd(b, i);
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
    let j = i;
    for (;;) {
      const c = b[j];
      if (c === undefined || c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
        return j > i ? j : -1;
      }
      j++;
    }
  }
  let depth = 0;
  let j = i;
  for (;;) {
    const c = b[j];
    if (c === undefined) return -1;
    if (c === QUOTE) {
      j = stringEnd(b, j);
      if (j < 0) return -1;
      continue;
    }
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (depth === MAX_DEPTH) return -1;
      bracketKinds[depth++] = c;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      if (depth === 0 || bracketKinds[depth - 1] !== (c === CLOSE_BRACE ? OPEN_BRACE : OPEN_BRACKET)) return -1;
      if (--depth === 0) return j + 1;
    }
    j++;
  }
}
