// The upstream body's bytes: what Buffer.from(JSON.stringify(body)) gives, made without a string larger than
// one top-level value or one element of a top-level array. V8 keeps every string of 128 KB or more in its own
// mapping (fresh pages, page faults on each use); serialising a 300 KB request whole made three such strings
// (the conversation's JSON, the joined body, its flattening for encoding) and two large Buffer copies.
// Here an array-valued field (`input`, the conversation) is serialised element by element, a cached tool set
// is spliced in as the bytes the cache made once (tool-conversion-cache.ts), so is each input item of a message
// translated before (message-items-cache.ts), and every piece is encoded straight into one Buffer of the exact
// size.
import { cachedToolBytes } from './tool-conversion-cache.ts';
import { cachedItemBytes } from './message-items-cache.ts';

/** One array-valued field: its elements' JSON texts (or kept bytes), written as `[a,b,...]`. */
interface Items { items: Array<string | Buffer> }

type Piece = string | Buffer | Items;

/** A value JSON.stringify replaces by its toJSON(key): the body then goes to JSON.stringify whole (exact). */
function hasToJSON(v: unknown): boolean {
  return v !== null && v !== undefined && typeof (v as { toJSON?: unknown }).toJSON === 'function';
}

/** new Number(1) and the like (JSON.stringify gives their primitive's JSON), and JSON.rawJSON() objects. */
function isSpecial(v: object): boolean {
  return v instanceof Number || v instanceof String || v instanceof Boolean || (JSON as { isRawJSON?: (x: unknown) => boolean }).isRawJSON?.(v) === true;
}

function wholeBody(body: unknown): Buffer {
  return Buffer.from(JSON.stringify(body));
}

/**
 * The UTF-8 bytes of JSON.stringify(body), byte for byte. Meant for a Responses request (our translation's or
 * a client's parsed JSON); any other value, or one with a toJSON method anywhere on the first two levels, is
 * serialised whole by JSON.stringify.
 */
export function serializeResponsesRequest(body: object): Buffer {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || hasToJSON(body) || isSpecial(body)) return wholeBody(body);
  const rec = body as Record<string, unknown>;
  const pieces: Piece[] = [];
  let total = 2; // { }
  let first = true;
  for (const k of Object.keys(rec)) {
    const v = rec[k];
    if (hasToJSON(v)) return wholeBody(body);
    let piece: Piece;
    let bytes: number;
    if (Array.isArray(v)) {
      const cached = cachedToolBytes(v);
      if (cached !== undefined) {
        piece = cached;
        bytes = cached.length;
      } else {
        const items = new Array<string | Buffer>(v.length);
        bytes = v.length === 0 ? 2 : v.length + 1; // brackets and commas
        for (let i = 0; i < v.length; i++) {
          const x: unknown = v[i];
          const kept = cachedItemBytes(x); // frozen, made by us: no toJSON
          if (kept !== undefined) {
            items[i] = kept;
            bytes += kept.length;
            continue;
          }
          if (hasToJSON(x)) return wholeBody(body); // toJSON would get the index as its key
          const s = JSON.stringify(x) ?? 'null'; // undefined, a function or a symbol in an array: null
          items[i] = s;
          bytes += Buffer.byteLength(s);
        }
        piece = { items };
      }
    } else {
      const s = JSON.stringify(v);
      if (s === undefined) continue; // undefined, a function or a symbol as a value: the key is left out
      piece = s;
      bytes = Buffer.byteLength(s);
    }
    const head = `${first ? '' : ','}${JSON.stringify(k)}:`;
    first = false;
    pieces.push(head, piece);
    total += Buffer.byteLength(head) + bytes;
  }
  const out = Buffer.allocUnsafe(total);
  out[0] = 0x7b; // {
  let off = 1;
  for (const p of pieces) {
    if (typeof p === 'string') off += out.write(p, off);
    else if (Buffer.isBuffer(p)) off += p.copy(out, off);
    else {
      const { items } = p;
      out[off++] = 0x5b; // [
      for (let i = 0; i < items.length; i++) {
        if (i > 0) out[off++] = 0x2c; // ,
        const item = items[i];
        off += typeof item === 'string' ? out.write(item, off) : item.copy(out, off);
      }
      out[off++] = 0x5d; // ]
    }
  }
  out[off++] = 0x7d; // }
  if (off !== total) throw new Error(`serializeResponsesRequest: wrote ${off} of ${total} bytes`);
  return out;
}
