// Claude Code resends the same tool definitions (24+ tools, 60-80 KB of schemas and descriptions) on every turn
// of a session. This bounded cache keeps the converted Responses tools of each tool set seen recently, keyed by
// their content, so a repeat costs one comparison instead of a conversion, and the same converted array (with
// its bytes, serialised once: cachedToolBytes()) goes into every request of the session; serializeResponsesRequest()
// (serialize-request.ts) splices those bytes into the upstream body instead of serialising and encoding the tools again.
// Memory only, never written anywhere; bounded in tool sets and in characters. Pure: no I/O, no config.
import type { ToolDefinition } from '../wire/anthropic-request.ts';
import type { FunctionTool } from '../wire/responses-request.ts';
import { convertTools } from './convert-tools.ts';
import type { ToolNameMap } from './tool-names.ts';

interface Entry {
  /** the definitions converted (the first request's parsed objects; compared by content with later ones) */
  tools: ToolDefinition[];
  /** the upstream name of each tool under the request's name map (the conversion depends on it) */
  upstreamNames: string[];
  converted: FunctionTool[];
  chars: number;
}

export interface ToolCacheStats { entries: number; chars: number; hits: number; misses: number }

/** Equality of JSON values (what JSON.parse gives: objects, arrays, strings, numbers, booleans, null). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    // same keys in the same order: JSON with the same text serialises the same (and order is what goes upstream)
    if (ka[i] !== kb[i]) return false;
    if (!jsonEqual((a as Record<string, unknown>)[ka[i]], (b as Record<string, unknown>)[kb[i]])) return false;
  }
  return true;
}

/** Characters of strings and keys in a JSON value: the cache's size measure. */
function charsOf(v: unknown): number {
  if (typeof v === 'string') return v.length;
  if (typeof v !== 'object' || v === null) return 8;
  let n = 0;
  if (Array.isArray(v)) {
    for (const x of v) n += charsOf(x);
    return n;
  }
  for (const [k, x] of Object.entries(v)) n += k.length + charsOf(x);
  return n;
}

/** A cheap key: names and description lengths. Equal keys are then compared by content. */
function fingerprint(tools: ToolDefinition[]): string {
  let key = `${tools.length}`;
  for (let i = 0; i < tools.length; i++) {
    const t = tools[i];
    key += `|${t?.name}:${typeof t?.description === 'string' ? t.description.length : -1}:${t?.type ?? ''}`;
  }
  return key;
}

/** Converted tool arrays this cache handed out (frozen, shared by every request that hit). */
const fromCache = new WeakSet<FunctionTool[]>();

export class ToolConversionCache {
  readonly maxEntries: number;
  readonly maxChars: number;
  /** fingerprint -> entry; Map order = least recently used first */
  readonly #entries = new Map<string, Entry>();
  /** the entry of the last hit or insertion: the usual next request's, checked by identity before anything else */
  #last: Entry | undefined;
  #chars = 0;
  #hits = 0;
  #misses = 0;

  constructor(opts: { maxEntries?: number; maxChars?: number } = {}) {
    // a Claude Code tool set is ~60-80 K characters: ~25-30 of them, a few MB of heap at the most
    this.maxEntries = opts.maxEntries ?? 32;
    this.maxChars = opts.maxChars ?? 2_000_000;
  }

  /** convertTools(tools, names), from the cache when these tools (same content, same upstream names) were converted before. */
  convert(tools: ToolDefinition[] | undefined, names: ToolNameMap): FunctionTool[] {
    if (!Array.isArray(tools) || tools.length === 0) return convertTools(tools, names);
    // a session's next turn: the very tool objects of the last hit (a body's repeated tail shares them), so
    // neither the key nor a comparison of contents is needed; the entry is the most recently used already
    const last = this.#last;
    if (last !== undefined && sameObjects(last.tools, tools) && sameNames(last, tools, names)) {
      this.#hits++;
      return last.converted;
    }
    const key = fingerprint(tools);
    const hit = this.#entries.get(key);
    if (hit !== undefined && sameNames(hit, tools, names) && jsonEqual(hit.tools, tools)) {
      // compared by identity next time when the same array comes again (a body's repeated tail shares it)
      hit.tools = tools;
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      this.#last = hit;
      this.#hits++;
      return hit.converted;
    }
    this.#misses++;
    const converted = convertTools(tools, names);
    const chars = charsOf(tools);
    if (chars > this.maxChars / 4) return converted; // one huge tool set would push everything else out
    if (hit !== undefined) this.#remove(key, hit);
    Object.freeze(converted); // shared by every request that hits: nothing may change it
    for (const t of converted) Object.freeze(t);
    fromCache.add(converted);
    const entry: Entry = { tools, upstreamNames: tools.map((t) => names.toUpstream(t.name)), converted, chars };
    this.#entries.set(key, entry);
    this.#last = entry;
    this.#chars += chars;
    while (this.#entries.size > this.maxEntries || this.#chars > this.maxChars) {
      const [oldKey, old] = this.#entries.entries().next().value as [string, Entry];
      this.#remove(oldKey, old);
    }
    return converted;
  }

  stats(): ToolCacheStats {
    return { entries: this.#entries.size, chars: this.#chars, hits: this.#hits, misses: this.#misses };
  }

  clear(): void {
    this.#entries.clear();
    this.#last = undefined;
    this.#chars = 0;
  }

  #remove(key: string, e: Entry): void {
    this.#entries.delete(key);
    if (this.#last === e) this.#last = undefined;
    this.#chars -= e.chars;
  }
}

/** The same tool objects in the same order (not merely equal ones). */
function sameObjects(a: ToolDefinition[], b: ToolDefinition[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameNames(e: Entry, tools: ToolDefinition[], names: ToolNameMap): boolean {
  for (let i = 0; i < tools.length; i++) if (names.toUpstream(tools[i].name) !== e.upstreamNames[i]) return false;
  return true;
}

/** The process's cache (translation is per process; the bounds keep it small). */
export const toolConversionCache = new ToolConversionCache();

/** The UTF-8 bytes of a cached tool set's JSON, made on its first use, once per tool set. */
const bytesOf = new WeakMap<FunctionTool[], Buffer>();

/**
 * The UTF-8 bytes of JSON.stringify(tools) when this array is one the cache handed out (made once per tool set
 * and kept with it); undefined for any other value. Callers must not change the Buffer.
 */
export function cachedToolBytes(tools: unknown): Buffer | undefined {
  if (!Array.isArray(tools) || !fromCache.has(tools as FunctionTool[])) return undefined;
  const set = tools as FunctionTool[];
  let bytes = bytesOf.get(set);
  if (bytes === undefined) {
    bytes = Buffer.from(JSON.stringify(set));
    bytesOf.set(set, bytes);
  }
  return bytes;
}
