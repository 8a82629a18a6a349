// Claude Code writes `messages` before `system`, `tools` and its settings, and sends that tail byte for byte the
// same on every turn of a session (Anthropic's prompt cache depends on it): 60-120 KB of a 76-124 KB request.
// This cache keeps the tails seen recently; a body that ends with one is parsed only up to it (model and
// messages) and shares the tail's parsed values, which are frozen. A tail is parsed and kept the second time it
// is seen (the first sighting keeps its bytes only), so bodies that never repeat cost one indexOf and one copy.
//
// Why this is sound: a member boundary `,"key":` can only be written outside strings (a quote inside a JSON
// string is always escaped), and `{` + the tail parses as a whole object only when the boundary is at the top
// level (a nested one leaves closing brackets unmatched). A body that ends with a known tail is then its head's
// members followed by the tail's members: JSON.parse(head + '}') plus the tail's values, assigned in order,
// is what JSON.parse(body) gives, duplicate keys included (the later value wins, in the first one's place).
// Anything else (a head that is not a valid prefix, bad UTF-8) falls back to parsing the whole body.
//
// Memory only, never written anywhere; bounded in entries and bytes.
import { hasPoisonKey } from './poison-keys.ts';
import { deepFreeze } from '../wire/deep-freeze.ts';
import type { KnownHead } from './repeated-messages.ts';

/** The keys whose values grow turn by turn; the tail is what follows the first of them. */
const GROWING_KEYS = ['messages'];
const COMMA = 0x2c;

export interface RepeatedTail {
  /** the tail's bytes: `,"system":...}` up to the body's closing brace */
  readonly bytes: Buffer;
  /** its top-level keys, in order (empty until it is parsed) */
  keys: readonly string[];
  /** its parsed values, deep-frozen (null until the second sighting) */
  values: Readonly<Record<string, unknown>> | null;
  /** the validations (by name) a body with this tail passed in full: its fields need not be checked again */
  readonly validFor: Set<string>;
  /** the head (model, messages) of the last body with this tail, for the next one (repeated-messages.ts) */
  head: KnownHead | undefined;
  /** the buffer the head's bytes are kept in (its size is what the budget counts) */
  headStore: Buffer | undefined;
}

export interface RepeatedTailStats { entries: number; bytes: number; hits: number; misses: number; learned: number; heads: number; headBytes: number; headHits: number }

export interface TailSplit {
  tail: RepeatedTail;
  /** where the tail starts in the body (its comma); the bytes before are the head */
  at: number;
}

export class RepeatedTailCache {
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly minTailBytes: number;
  /** insertion order = least recently used first */
  readonly #entries = new Set<RepeatedTail>();
  #bytes = 0;
  #hits = 0;
  #misses = 0;
  #learned = 0;

  readonly maxHeadBytes: number;
  #headBytes = 0;
  #headHits = 0;

  constructor(opts: { maxEntries?: number; maxBytes?: number; minTailBytes?: number; maxHeadBytes?: number } = {}) {
    this.maxEntries = opts.maxEntries ?? 32;
    this.maxBytes = opts.maxBytes ?? 8 * 1024 * 1024;
    this.minTailBytes = opts.minTailBytes ?? 2048;
    // the previous heads kept for their messages: a 300 KB Claude Code session costs ~2x that (bytes and heap)
    this.maxHeadBytes = opts.maxHeadBytes ?? 16 * 1024 * 1024;
  }

  /**
   * Keeps `head` (its bytes a view of the request's body) as the tail's previous head, or forgets it, within the
   * byte budget: the heads of the least recently used tails go first, and a head alone over the budget is not
   * kept. `shared`: it was built from the previous head (counted as a hit); `same`: how many of its first bytes
   * the previous head had too.
   *
   * The bytes are copied into a buffer the tail keeps and overwrites in place (only the bytes after `same`),
   * not kept as a view of the body: a view kept the whole body (its tail too) alive until the tail's next
   * request, and a body's buffer may be reused or changed once it is parsed.
   */
  keepHead(tail: RepeatedTail, head: KnownHead | undefined, same: number, shared: boolean): void {
    if (shared) this.#headHits++;
    tail.head = undefined;
    if (head === undefined || head.bytes.length > this.maxHeadBytes || !this.#entries.has(tail)) {
      this.#dropHead(tail);
      return;
    }
    tail.head = { ...head, bytes: this.#store(tail, head.bytes, same) };
    for (const e of this.#entries) {
      if (this.#headBytes <= this.maxHeadBytes) break;
      if (e !== tail && e.head !== undefined) this.#dropHead(e);
    }
  }

  /** `bytes` in the tail's store, whose first `same` bytes are already those; a view of them. */
  #store(tail: RepeatedTail, bytes: Buffer, same: number): Buffer {
    let store = tail.headStore;
    if (store === undefined || store.length < bytes.length) {
      // room to grow: a session adds a few KB a turn; not a slice of Node's shared pool
      const next = Buffer.allocUnsafeSlow(Math.min(this.maxHeadBytes, bytes.length + (bytes.length >> 3) + 16 * 1024));
      if (store !== undefined && same > 0) store.copy(next, 0, 0, same);
      else same = 0;
      this.#headBytes += next.length - (store?.length ?? 0);
      tail.headStore = store = next;
    }
    bytes.copy(store, same, same);
    return store.subarray(0, bytes.length);
  }

  #dropHead(e: RepeatedTail): void {
    this.#headBytes -= e.headStore?.length ?? 0;
    e.head = undefined;
    e.headStore = undefined;
  }

  /**
   * The known tail `body` ends with, parsed (parsing it now when this is its second sighting), and the head
   * before it; undefined when none fits. A tail that fails to parse is forgotten.
   */
  split(body: Buffer): TailSplit | undefined {
    for (const e of this.#entries) {
      const at = body.length - e.bytes.length;
      // cheap rejection first: the tail starts with a comma right after the head's last value
      if (at < 2 || body[at] !== COMMA || body.compare(e.bytes, 0, e.bytes.length, at) !== 0) continue;
      if (e.values === null && !this.#learn(e)) {
        this.#remove(e);
        return undefined;
      }
      this.#entries.delete(e);
      this.#entries.add(e);
      this.#hits++;
      return { tail: e, at };
    }
    this.#misses++;
    return undefined;
  }

  /** After a whole body was parsed: keeps the bytes of its tail (after `messages`), to be parsed if it comes again. */
  remember(body: Buffer, value: Record<string, unknown>): void {
    const keys = Object.keys(value);
    const grow = keys.findIndex((k) => GROWING_KEYS.includes(k));
    if (grow < 0 || grow === keys.length - 1) return;
    // the first occurrence: a nested one (inside messages) is found out when the tail fails to parse
    const at = body.indexOf(`,${JSON.stringify(keys[grow + 1])}:`);
    if (at < 0) return; // written with whitespace or escapes: not cached
    const size = body.length - at;
    if (size < this.minTailBytes || size > this.maxBytes / 4) return;
    const entry: RepeatedTail = { bytes: Buffer.from(body.subarray(at)), keys: [], values: null, validFor: new Set(), head: undefined, headStore: undefined };
    this.#entries.add(entry);
    this.#bytes += size;
    for (const old of this.#entries) {
      if (this.#entries.size <= this.maxEntries && this.#bytes <= this.maxBytes) break;
      this.#remove(old);
    }
  }

  stats(): RepeatedTailStats {
    let heads = 0;
    for (const e of this.#entries) if (e.head !== undefined) heads++;
    return { entries: this.#entries.size, bytes: this.#bytes, hits: this.#hits, misses: this.#misses, learned: this.#learned, heads, headBytes: this.#headBytes, headHits: this.#headHits };
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
    this.#headBytes = 0;
  }

  #learn(e: RepeatedTail): boolean {
    let value: unknown;
    try {
      value = JSON.parse(`{${utf8.decode(e.bytes.subarray(1))}`);
    } catch {
      return false;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value) || hasPoisonKey(value)) return false;
    deepFreeze(value);
    e.keys = Object.keys(value);
    e.values = value as Record<string, unknown>;
    this.#learned++;
    return true;
  }

  #remove(e: RepeatedTail): void {
    if (!this.#entries.delete(e)) return;
    this.#bytes -= e.bytes.length;
    this.#dropHead(e);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
