// The conversation, turn after turn: Claude Code resends every earlier message byte for byte (only the message
// its cache_control marker moves from changes) and adds the new ones at the end. For a body whose tail is a
// known repeated tail (repeated-tail.ts), the head before it (`{"model":...,"messages":[...]`) is compared with
// the previous head of that tail: the messages inside the common bytes are shared (parsed once, frozen) and
// only the rest is parsed, as `[` + the bytes after the last shared message's comma.
//
// Why this is sound: a message's end offset is only kept after JSON.stringify of the parsed message matched the
// bytes of the body it was parsed from exactly at the offset where it had to start (right after `"messages":[`, itself matched, or
// after the previous message's comma), so each kept offset is a boundary between elements of the top-level
// messages array. A new head that has the same bytes up to and including such a comma is, up to there, in the
// same parser state; `[` + the rest parses as an array only when the rest is exactly the array's remaining
// elements and its closing bracket. Anything else falls back to parsing the head whole.
// The offsets are found lazily, only for the messages inside the bytes the next head shares: a body that shares
// nothing with the previous one (two sessions on one tail, count_tokens between messages) costs no check.
import { hasPoisonKey } from './poison-keys.ts';
import { deepFreeze } from '../wire/deep-freeze.ts';

const COMMA = 0x2c;
const CLOSE_BRACKET = 0x5d;
const BLOCK = 4096;

/** The previous head of a tail: its bytes, its values and the end of each message placed so far. */
export interface KnownHead {
  /** the body's bytes before the tail (a view of the request's body until kept: then of the tail's store) */
  readonly bytes: Buffer;
  /** the head's keys, in order; `messages` is the last */
  readonly keys: readonly string[];
  /** its values; `messages` is its own frozen copy of the array (each message frozen once placed) */
  readonly values: Readonly<Record<string, unknown>>;
  /** the offset of the comma (or closing bracket) after each message, placed from the first, as far as needed */
  readonly ends: number[];
  /** where the first message starts: undefined until asked, -1 when the bytes before it are not as expected */
  start: number | undefined;
  /** a message's JSON text differed from its bytes: none from it on can be placed */
  stuck: boolean;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** How many leading bytes `a` and `b` share, up to `n`. */
export function commonPrefix(a: Buffer, b: Buffer, n: number): number {
  let i = 0;
  while (i + BLOCK <= n && a.compare(b, i, i + BLOCK, i, i + BLOCK) === 0) i += BLOCK;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/**
 * The head of `body` (the bytes before `at`) from the previous head of its tail and the bytes that differ:
 * the head's value (messages a new array: the shared ones, then those parsed now) and how many were shared;
 * undefined when the heads share no whole message or the rest does not parse as the array's end.
 */
export function reuseHead(body: Buffer, at: number, known: KnownHead): { value: Record<string, unknown>; shared: number; same: number } | undefined {
  const same = commonPrefix(body, known.bytes, Math.min(at, known.bytes.length));
  placeMessages(known, same);
  let j = known.ends.length - 1;
  while (j >= 0 && known.ends[j] >= same) j--;
  if (j < 0) return undefined;
  const after = known.ends[j];
  let fresh: unknown[];
  if (body[after] === CLOSE_BRACKET) {
    if (after !== at - 1) return undefined; // the array ends here, so must the head
    fresh = [];
  } else {
    let parsed: unknown;
    try {
      parsed = JSON.parse(`[${utf8.decode(body.subarray(after + 1, at))}`);
    } catch {
      return undefined;
    }
    // `[]` would mean a trailing comma (`m,]`), which is not JSON
    if (!Array.isArray(parsed) || parsed.length === 0 || hasPoisonKey(parsed)) return undefined;
    fresh = parsed;
  }
  const shared = known.values.messages as readonly unknown[];
  const value: Record<string, unknown> = {};
  for (const k of known.keys) value[k] = k === 'messages' ? [...shared.slice(0, j + 1), ...fresh] : known.values[k];
  return { value, shared: j + 1, same };
}

/**
 * What to keep of a parsed head for the next request of its tail, or undefined when its last member is not
 * the messages array. `from`: the head it was built from and how many of its messages it shares (their ends
 * carry over: the bytes up to them are the same).
 */
export function knownHead(body: Buffer, at: number, value: Record<string, unknown>, from?: { known: KnownHead; shared: number }): KnownHead | undefined {
  const keys = Object.keys(value);
  const messages = value.messages;
  if (keys[keys.length - 1] !== 'messages' || !Array.isArray(messages) || messages.length === 0 || body[at - 1] !== CLOSE_BRACKET) return undefined;
  // its own copy: the request's head object gets the tail's values, and its array stays the request's
  const values: Record<string, unknown> = {};
  for (const k of keys) {
    if (k === 'messages') continue;
    deepFreeze(value[k]);
    values[k] = value[k];
  }
  values.messages = Object.freeze(messages.slice());
  return {
    bytes: body.subarray(0, at), keys, values: Object.freeze(values),
    ends: from === undefined ? [] : from.known.ends.slice(0, from.shared),
    start: from?.known.start, stuck: false,
  };
}

/**
 * Places the known head's messages whose JSON text is exactly its bytes where each must start and that end
 * before `limit` (the bytes the next head shares), freezing each one placed: from then on it is shared.
 */
function placeMessages(known: KnownHead, limit: number): void {
  if (known.stuck) return;
  const messages = known.values.messages as readonly unknown[];
  const ends = known.ends;
  let pos: number;
  if (ends.length > 0) pos = ends[ends.length - 1] + 1;
  else {
    known.start ??= messagesStart(known);
    if (known.start < 0) {
      known.stuck = true;
      return;
    }
    pos = known.start;
  }
  for (let i = ends.length; i < messages.length; i++) {
    const text = JSON.stringify(messages[i]);
    if (text === undefined) break;
    const bytes = Buffer.from(text);
    const end = pos + bytes.length;
    if (end >= limit) return; // not shared by this head: maybe by the next
    if (known.bytes.compare(bytes, 0, bytes.length, pos, end) !== 0 || (known.bytes[end] !== COMMA && known.bytes[end] !== CLOSE_BRACKET)) break;
    deepFreeze(messages[i]);
    ends.push(end);
    pos = end + 1;
  }
  known.stuck = true;
}

/** The offset of the first message: the bytes before it must be `{"key":value,...,"messages":[` exactly. */
function messagesStart(known: KnownHead): number {
  let prefix = '{';
  for (const k of known.keys) prefix += `${JSON.stringify(k)}:${k === 'messages' ? '[' : `${JSON.stringify(known.values[k])},`}`;
  const bytes = Buffer.from(prefix);
  return bytes.length < known.bytes.length && known.bytes.compare(bytes, 0, bytes.length, 0, bytes.length) === 0 ? bytes.length : -1;
}
