// Request bodies as JSON: JSON.parse, then one walk over the parsed value that refuses prototype-poisoning keys
// (`__proto__` anywhere, `constructor` holding a `prototype`), the rule fastify's secure-json-parse applies.
// Done on the parsed value instead of by regular expressions over the text: a 76 KB Claude Code request costs
// one cheap walk (its keys only) instead of two full-text scans, and a `constructor` in a prompt's text (code
// often says it) costs nothing, since only keys are looked at.

import type { RepeatedTail, RepeatedTailCache } from './repeated-tail.ts';
import { hasPoisonKey } from './poison-keys.ts';
import { knownHead, reuseHead } from './repeated-messages.ts';

export type JsonBodyResult = { ok: true; value: unknown } | { ok: false; message: string };

/** Parses `text`; a body that is not JSON, or carries a poisoning key, gets a message saying where and why. */
export function parseJsonBody(text: string): JsonBodyResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, message: `the request body is not valid JSON: ${(e as Error).message}` };
  }
  if (typeof value === 'object' && value !== null && hasPoisonKey(value)) {
    return { ok: false, message: 'the request body contains a forbidden key (__proto__ or constructor.prototype)' };
  }
  return { ok: true, value };
}

/** The repeated tail a parsed body shares (set by parseJsonBytes on a hit): its fields were checked before. */
const tails = new WeakMap<object, RepeatedTail>();

export function tailOf(body: unknown): RepeatedTail | undefined {
  return typeof body === 'object' && body !== null ? tails.get(body) : undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A request body's bytes as JSON: decoded strictly as UTF-8 (a body that is not UTF-8 is refused instead of
 * having its bad bytes replaced, as Anthropic does), then parsed as parseJsonBody does. With `cache`, a body
 * ending with a tail seen before is parsed up to it and shares the tail's frozen values (repeated-tail.ts).
 * Keeps nothing of `body` once it returns (the caches copy what they keep): the app reads every body into the
 * same memory (body-bytes.ts).
 */
export function parseJsonBytes(body: Buffer, cache?: RepeatedTailCache): JsonBodyResult {
  const split = cache?.split(body);
  if (split !== undefined) {
    const value = parseHead(body, split.at, split.tail, cache!);
    if (value !== undefined) return { ok: true, value };
  }
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    return { ok: false, message: 'the request body is not valid UTF-8: send JSON encoded as UTF-8' };
  }
  if (text.trim() === '') return { ok: false, message: 'the request body is empty: send a JSON object' };
  const parsed = parseJsonBody(text);
  if (parsed.ok && cache !== undefined && isPlainObject(parsed.value)) cache.remember(body, parsed.value);
  return parsed;
}

/**
 * The members before `at` and the tail's values, as JSON.parse(body) would give; undefined to parse it whole.
 * The messages the previous body with this tail had in the same bytes are shared, and only the rest is parsed
 * (repeated-messages.ts). Else the head is read as `head}`: the tail's first byte (its comma) is swapped for a
 * brace while it is decoded, so no second copy of a long conversation is made (strings over 128 KB are costly
 * to make: fresh pages).
 */
function parseHead(body: Buffer, at: number, tail: RepeatedTail, cache: RepeatedTailCache): Record<string, unknown> | undefined {
  const known = tail.head;
  const reused = known === undefined ? undefined : reuseHead(body, at, known);
  let value: unknown;
  if (reused !== undefined) {
    value = reused.value;
    cache.keepHead(tail, knownHead(body, at, reused.value, { known: known!, shared: reused.shared }), reused.same, true);
  } else {
    try {
      body[at] = CLOSE_BRACE;
      value = JSON.parse(utf8.decode(body.subarray(0, at + 1)));
    } catch {
      return undefined;
    } finally {
      body[at] = COMMA;
    }
    // `{` alone would make `{}` here while the body itself (`{,"system":...`) is not JSON
    if (!isPlainObject(value) || Object.keys(value).length === 0 || hasPoisonKey(value)) return undefined;
    cache.keepHead(tail, knownHead(body, at, value), 0, false);
  }
  const head = value as Record<string, unknown>;
  const values = tail.values!;
  for (const k of tail.keys) head[k] = values[k];
  tails.set(head, tail);
  return head;
}

const COMMA = 0x2c;
const CLOSE_BRACE = 0x7d;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
