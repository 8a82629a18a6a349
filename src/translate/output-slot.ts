// One upstream output item (Responses `output[i]`) as the translator tracks it.
// Text is kept per part so `.done` events can be reconciled with what was streamed.

export type SlotKind = 'message' | 'reasoning' | 'function_call' | 'ignored';

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
  parts: string[] = [];
  /** reasoning: raw reasoning_text per content_index. */
  raw: string[] | null = null;
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

  constructor(kind: SlotKind, key: number, id: string | null) {
    this.kind = kind;
    this.key = key;
    this.id = id;
  }
}

/** Slot kind for an output item type. Unknown item types (web_search_call, ...) are ignored. */
export function slotKindFor(itemType: string | undefined, emitThinking: boolean): SlotKind {
  switch (itemType) {
    case 'message': return 'message';
    case 'function_call': return 'function_call';
    case 'reasoning': return emitThinking ? 'reasoning' : 'ignored';
    default: return 'ignored';
  }
}
