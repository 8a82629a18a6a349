// The conversation, turn after turn: Claude Code resends every earlier message byte for byte (only the message
// its cache_control marker moves from changes) and adds the new ones at the end. For a body whose tail is a
// known repeated tail (repeated-tail.ts), the head before it (`{"model":...,"messages":[...]`) is compared with
// the previous head of that tail: the messages inside the common bytes are shared (parsed once, frozen) and
// only the rest is parsed, as `[` + the bytes after the last shared message's comma.
//
// Why this is sound: a message's end offset is only kept after JSON.stringify of the parsed message matched the
// body's bytes exactly at the offset where it had to start (right after `"messages":[`, itself matched, or
// after the previous message's comma), so each kept offset is a boundary between elements of the top-level
// messages array. A new head that has the same bytes up to and including such a comma is, up to there, in the
// same parser state; `[` + the rest parses as an array only when the rest is exactly the array's remaining
// elements and its closing bracket. Anything else falls back to parsing the head whole.
import type { RepeatedTail } from './repeated-tail.ts';
import { hasPoisonKey } from './poison-keys.ts';
import { deepFreeze } from './deep-freeze.ts';

const COMMA = 0x2c;
const CLOSE_BRACKET = 0x5d;
const BLOCK = 4096;

/** The previous head of a tail: its bytes, its values (messages frozen) and the verified end of each message. */
export interface KnownHead {
  /** the body's bytes before the tail (a view of the previous request's body) */
  readonly bytes: Buffer;
  /** the head's keys, in order; `messages` is the last */
  readonly keys: readonly string[];
  readonly values: Readonly<Record<string, unknown>>;
  /** the offset of the comma (or closing bracket) after each message, as far as verified from the first */
  readonly ends: readonly number[];
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
export function reuseHead(body: Buffer, at: number, known: KnownHead): { value: Record<string, unknown>; shared: number } | undefined {
  const same = commonPrefix(body, known.bytes, Math.min(at, known.bytes.length));
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
  return { value, shared: j + 1 };
}

/**
 * What to keep of a parsed head for the next request of its tail: its messages frozen (shared from now on)
 * and the end of each message whose JSON text is exactly the body's bytes where it stands, counted from
 * `from` (the messages before it: `ends` of the head it was built from). Undefined when not even the first
 * message can be placed.
 */
export function knownHead(body: Buffer, at: number, value: Record<string, unknown>, from?: { ends: readonly number[]; count: number }): KnownHead | undefined {
  const keys = Object.keys(value);
  const messages = value.messages;
  if (keys[keys.length - 1] !== 'messages' || !Array.isArray(messages) || messages.length === 0 || body[at - 1] !== CLOSE_BRACKET) return undefined;
  const ends: number[] = [];
  let pos: number;
  let i = 0;
  if (from !== undefined && from.count > 0) {
    for (; i < from.count; i++) ends.push(from.ends[i]);
    pos = from.ends[from.count - 1] + 1;
  } else {
    let prefix = '{';
    for (const k of keys) prefix += `${JSON.stringify(k)}:${k === 'messages' ? '[' : `${JSON.stringify(value[k])},`}`;
    const bytes = Buffer.from(prefix);
    if (bytes.length >= at || body.compare(bytes, 0, bytes.length, 0, bytes.length) !== 0) return undefined;
    pos = bytes.length;
  }
  for (; i < messages.length; i++) {
    const text = JSON.stringify(messages[i]);
    if (text === undefined) break;
    const bytes = Buffer.from(text);
    if (pos + bytes.length >= at || body.compare(bytes, 0, bytes.length, pos, pos + bytes.length) !== 0) break;
    pos += bytes.length;
    if (body[pos] !== COMMA && body[pos] !== CLOSE_BRACKET) break;
    ends.push(pos);
    pos++;
  }
  if (ends.length === 0) return undefined;
  // its own copy of what it keeps: the request's head object gets the tail's values, its array stays its own
  const values: Record<string, unknown> = {};
  for (const k of keys) {
    if (k === 'messages') continue;
    deepFreeze(value[k]);
    values[k] = value[k];
  }
  const kept = messages.slice(0, ends.length);
  for (const m of kept) deepFreeze(m);
  values.messages = Object.freeze(kept);
  return { bytes: body.subarray(0, at), keys, values: Object.freeze(values), ends };
}

/** The tail's head to keep, if any (set by the cache within its byte budget). */
export type HeadKeeper = (tail: RepeatedTail, head: KnownHead | undefined, bodyBytes: number) => void;
