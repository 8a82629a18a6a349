// One upstream output item (Responses `output[i]`) as the translator tracks it.
// What was streamed is tracked per part so `.done` events can be reconciled with it.

export type SlotKind = 'message' | 'reasoning' | 'function_call' | 'web_search' | 'ignored';

/** Segment key offset for raw reasoning_text parts (summary parts use their summary_index). */
export const RAW_REASONING_SEGMENT = 1_000_000;

export class OutputSlot {
  /** output_index upstream (negative: synthetic, item seen only in response.output). */
  readonly key: number;
  readonly kind: SlotKind;
  id: string | null;
  /** function_call: call_id and (upstream) name; null until known. */
  callId: string | null = null;
  name: string | null = null;
  /** reasoning: encrypted_content, sent as signature_delta before the block closes. */
  signature = '';
  /** Text received per part: message content_index, reasoning summary_index, function args at 0. */
  readonly parts = new PartTexts();
  /** reasoning: raw reasoning_text per content_index. */
  raw: PartTexts | null = null;
  /** Text waiting for this item's turn (another item holds the open block). */
  pending = '';
  /** reasoning: segment of the last text written (parts are joined with a blank line). */
  lastSegment = -1;
  hasText = false;
  /** Index of this item's Anthropic block, -1 until opened. */
  block = -1;
  /** output_item.done (or a terminal event) was seen: nothing more will arrive. */
  itemDone = false;
  /** Its block is closed (or it produced none); later events for it are ignored. */
  finished = false;
  /** web_search: the done item's status and action. */
  action: Record<string, unknown> | null = null;
  status = '';
  /** message: url_citation annotations seen (by content_index), written as citations before the block closes. */
  annotations: Array<{ k: number; annotation: Record<string, unknown> }> | null = null;
  /** message: full text per content_index from the done events, for the citations' cited_text. */
  fullTexts: string[] | null = null;

  constructor(kind: SlotKind, key: number, id: string | null) {
    this.kind = kind;
    this.key = key;
    this.id = id;
  }
}

/** Slot kind for an output item type. Unknown item types (code_interpreter_call, ...) are ignored. */
export function slotKindFor(itemType: string | undefined, emitThinking: boolean): SlotKind {
  switch (itemType) {
    case 'message': return 'message';
    case 'function_call': return 'function_call';
    case 'web_search_call': return 'web_search';
    case 'reasoning': return emitThinking ? 'reasoning' : 'ignored';
    default: return 'ignored';
  }
}

/** What was streamed of one part: its length and two 32-bit hashes (FNV-1a, djb2-xor) of its text. */
interface Streamed { len: number; h1: number; h2: number }

function hashRange(p: Streamed, s: string, from: number, to: number): void {
  let h1 = p.h1;
  let h2 = p.h2;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2, 33) ^ c;
  }
  p.h1 = h1;
  p.h2 = h2;
}

const fresh = (): Streamed => ({ len: 0, h1: 0x811c9dc5 | 0, h2: 5381 });

/**
 * What was streamed of each part of an item: its length and a 64-bit hash, not the text itself. Keeping the
 * text (`prev + delta`) would hold every delta string of a stream alive until it ends: with hundreds of
 * streams in flight they outlive young-generation GCs and fill the old generation.
 */
export class PartTexts {
  readonly #parts: Streamed[] = [];

  /** Characters of part `k` streamed so far. */
  length(k: number): number {
    return this.#parts[k]?.len ?? 0;
  }

  /** Part `k` received `delta`. */
  append(k: number, delta: string): void {
    const p = (this.#parts[k] ??= fresh());
    p.len += delta.length;
    hashRange(p, delta, 0, delta.length);
  }

  /**
   * Part `k`'s full text is `full`: the piece of it not streamed yet (it counts as streamed from now on), or
   * null when there is nothing new or `full` does not begin with what was streamed (they diverge).
   */
  rest(k: number, full: string): string | null {
    const p = (this.#parts[k] ??= fresh());
    const len = p.len;
    if (full.length <= len) return null;
    if (len > 0) {
      const probe = fresh();
      hashRange(probe, full, 0, len);
      if (probe.h1 !== p.h1 || probe.h2 !== p.h2) return null;
    }
    p.len = full.length;
    hashRange(p, full, len, full.length);
    return len === 0 ? full : full.slice(len);
  }
}
