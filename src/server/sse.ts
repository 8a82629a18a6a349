// Anthropic SSE frames: one event's, and a batch's (what one upstream chunk translated to), with runs of deltas
// joined. The relay writes them (relay/relay.ts: the opening at once, then a turn's pieces in one write).
import type { Delta, StreamEvent } from '../wire/anthropic-stream.ts';

/**
 * One SSE frame: `event: <type>\ndata: <JSON>\n\n`. Content block deltas (nearly all of the traffic) are
 * written from a template; the text is escaped by JSON.stringify, so the bytes equal JSON.stringify(ev).
 */
export function serializeEvent(ev: StreamEvent): string {
  if (ev.type === 'content_block_delta' && Number.isInteger(ev.index)) {
    const d = ev.delta;
    switch (d.type) {
      case 'text_delta':
        return `event: content_block_delta\ndata: {"type":"content_block_delta","index":${ev.index},"delta":{"type":"text_delta","text":${JSON.stringify(d.text)}}}\n\n`;
      case 'input_json_delta':
        return `event: content_block_delta\ndata: {"type":"content_block_delta","index":${ev.index},"delta":{"type":"input_json_delta","partial_json":${JSON.stringify(d.partial_json)}}}\n\n`;
      case 'thinking_delta':
        return `event: content_block_delta\ndata: {"type":"content_block_delta","index":${ev.index},"delta":{"type":"thinking_delta","thinking":${JSON.stringify(d.thinking)}}}\n\n`;
      default:
        break;
    }
  }
  return `event: ${ev.type}\ndata: ${JSON.stringify(ev)}\n\n`;
}

/** The text field of the delta types whose pieces a client joins (text, tool input JSON, thinking). */
function joinedText(delta: Delta): string | undefined {
  switch (delta.type) {
    case 'text_delta': return delta.text;
    case 'input_json_delta': return delta.partial_json;
    case 'thinking_delta': return delta.thinking;
    default: return undefined;
  }
}

/**
 * The frames of a batch of events that are ready at the same moment (what one upstream chunk translated to).
 * A run of content_block_delta events on the same block with the same delta type (text, tool input JSON or
 * thinking) goes out as one delta carrying their pieces joined: the client has the same text at the same
 * moment, in one frame instead of one per upstream token. Clients join the pieces of a block in order (the
 * Anthropic SDKs and Claude Code append each text and parse a tool's JSON at its content_block_stop), so the
 * reply they assemble is the same; a relay or a fast upstream that delivers a whole reply in one chunk no
 * longer costs 200 frames to write and to read. Other events, and deltas that arrive apart, are unchanged.
 */
export function serializeEvents(events: readonly StreamEvent[]): string {
  let s = '';
  const n = events.length;
  for (let i = 0; i < n; i++) {
    const ev = events[i];
    if (ev.type === 'content_block_delta' && i + 1 < n) {
      const first = joinedText(ev.delta);
      if (first !== undefined) {
        let text = first;
        let j = i + 1;
        for (; j < n; j++) {
          const next = events[j];
          if (next.type !== 'content_block_delta' || next.index !== ev.index || next.delta.type !== ev.delta.type) break;
          text += joinedText(next.delta)!;
        }
        if (j > i + 1) {
          s += serializeEvent({ type: 'content_block_delta', index: ev.index, delta: withText(ev.delta, text) });
          i = j - 1;
          continue;
        }
      }
    }
    s += serializeEvent(ev);
  }
  return s;
}

function withText(d: Delta, text: string): Delta {
  switch (d.type) {
    case 'text_delta': return { type: 'text_delta', text };
    case 'input_json_delta': return { type: 'input_json_delta', partial_json: text };
    default: return { type: 'thinking_delta', thinking: text };
  }
}
