// A long session's messages, translated once. Claude Code resends every earlier message each turn; the ones a
// request shares with the previous one arrive as the same deep-frozen objects (repeated-messages.ts), and so
// does a repeated system prompt (repeated-tail.ts). Such a message's input items are made once, deep-frozen,
// and kept with their JSON bytes for as long as the message lives (a WeakMap: nothing here outlives the
// caches that share the messages, which bound their size). serializeResponsesRequest() splices those bytes in
// instead of stringifying the items again.
//
// Why this is sound: a message's items depend on the message alone, except for the tool names, which the
// request's ToolNameMap gives: the names a message's conversion asked for are kept with its items, and the items
// are reused only while the request's map gives each of them the same upstream name. Frozen values cannot change,
// so neither can their items or the items' JSON.
import type { MessageParam, TextBlock } from '../wire/anthropic-request.ts';
import type { InputItem } from '../wire/responses-request.ts';
import type { ToolNameMap } from './tool-names.ts';
import { deepFreeze } from '../wire/deep-freeze.ts';

interface Kept {
  readonly items: readonly InputItem[];
  /** the tool names the conversion mapped, and what it mapped them to */
  readonly asked: readonly string[];
  readonly gave: readonly string[];
}

const kept = new WeakMap<object, Kept>();
/** The JSON of a kept item, as UTF-8 bytes (a view of one buffer per message). */
const itemJson = new WeakMap<object, Buffer>();

const counts = { hits: 0, misses: 0 };

/** Items reused and items made, since start (for /metrics). */
export function messageItemsCounts(): { hits: number; misses: number } {
  return { ...counts };
}

function sameNames(k: Kept, names: ToolNameMap): boolean {
  for (let i = 0; i < k.asked.length; i++) if (names.toUpstream(k.asked[i]) !== k.gave[i]) return false;
  return true;
}

function keep(key: object, items: InputItem[], asked: string[], gave: string[]): readonly InputItem[] {
  deepFreeze(items);
  const texts = items.map((item) => JSON.stringify(item));
  let total = 0;
  for (const t of texts) total += Buffer.byteLength(t);
  // one buffer of its own per message (not a slice of Node's shared pool, which it would keep alive)
  const buf = Buffer.allocUnsafeSlow(total);
  let off = 0;
  texts.forEach((t, i) => {
    const n = buf.write(t, off);
    itemJson.set(items[i], buf.subarray(off, off + n));
    off += n;
  });
  kept.set(key, { items, asked, gave });
  return items;
}

/** A frozen message's items: made by `convert` the first time (or when its tool names map differently now). */
export function keptItems(
  message: MessageParam, names: ToolNameMap, convert: (m: MessageParam, names: ToolNameMap, out: InputItem[]) => void,
): readonly InputItem[] {
  const k = kept.get(message);
  if (k !== undefined && sameNames(k, names)) {
    counts.hits++;
    return k.items;
  }
  counts.misses++;
  const asked: string[] = [];
  const gave: string[] = [];
  const recording: ToolNameMap = {
    toUpstream(original) {
      const upstream = names.toUpstream(original);
      asked.push(original);
      gave.push(upstream);
      return upstream;
    },
    toOriginal: (upstream) => names.toOriginal(upstream),
  };
  const items: InputItem[] = [];
  convert(message, recording, items);
  return keep(message, items, asked, gave);
}

/** A frozen system prompt's items (no tool names in them). */
export function keptSystemItems(system: readonly TextBlock[] | TextBlock[], make: () => InputItem[]): readonly InputItem[] {
  const k = kept.get(system);
  if (k !== undefined) {
    counts.hits++;
    return k.items;
  }
  counts.misses++;
  return keep(system, make(), [], []);
}

/** The JSON bytes of an item kept here (exactly Buffer.from(JSON.stringify(item))), else undefined. */
export function cachedItemBytes(item: unknown): Buffer | undefined {
  return typeof item === 'object' && item !== null ? itemJson.get(item) : undefined;
}
