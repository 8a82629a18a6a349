// Test helpers for the reply translation: fixture loading, running a stream, the invariant checker
// every test applies to the Anthropic events, and a summary of what the client would assemble.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { StreamEvent, StopReason, Usage } from '../../src/wire/anthropic-stream.ts';
import type { ResponsesEvent } from '../../src/wire/responses-stream.ts';
import { StreamTranslator, type StreamTranslatorOptions } from '../../src/translate/stream-to-anthropic.ts';

export const OWN_FIXTURES = new URL('../fixtures/responses/', import.meta.url);

/** One JSON event per line (blank lines skipped). */
export function readJsonl(path: string | URL): ResponsesEvent[] {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as ResponsesEvent);
}

/** A text/event-stream body: the JSON of every `data:` field (multi-line data joined). */
export function readSse(path: string | URL): ResponsesEvent[] {
  const events: ResponsesEvent[] = [];
  for (const block of readFileSync(path, 'utf8').split(/\r?\n\r?\n/)) {
    const data = block.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, ''));
    if (data.length === 0) continue;
    const text = data.join('\n');
    if (text === '[DONE]') continue;
    events.push(JSON.parse(text) as ResponsesEvent);
  }
  return events;
}

export function readFixture(path: string | URL): ResponsesEvent[] {
  return String(path).endsWith('.sse') ? readSse(path) : readJsonl(path);
}

export interface Run { out: StreamEvent[]; t: StreamTranslator; perPush: StreamEvent[][] }

/** Push every event, then end(); all output in order. */
export function run(events: ResponsesEvent[], opts: Partial<StreamTranslatorOptions> = {}): Run {
  const t = new StreamTranslator({ model: 'claude-test-model', messageId: 'msg_test', ...opts });
  const out: StreamEvent[] = [];
  const perPush: StreamEvent[][] = [];
  for (const ev of events) {
    const o = t.push(ev);
    perPush.push(o);
    out.push(...o);
  }
  const tail = t.end();
  perPush.push(tail);
  out.push(...tail);
  return { out, t, perPush };
}

export type Outcome = 'success' | 'error';

/**
 * The protocol rules every translated stream must keep:
 * message_start first (exactly once, in the documented shape); content blocks numbered 0,1,2,... with one open
 * at a time, deltas of the matching type on the open block, signature_delta last in its thinking block, no
 * empty text block; success: every block closed, one message_delta then message_stop last; failure: one
 * `error` event last and no message_delta / message_stop.
 */
export function assertStreamInvariants(out: StreamEvent[], model = 'claude-test-model'): Outcome {
  assert.ok(out.length >= 2, 'a stream has at least message_start and a closing event');
  const first = out[0];
  assert.equal(first.type, 'message_start', 'message_start comes first');
  if (first.type === 'message_start') {
    const m = first.message;
    assert.match(m.id, /^msg_/);
    assert.equal(m.type, 'message');
    assert.equal(m.role, 'assistant');
    assert.equal(m.model, model);
    assert.deepEqual(m.content, []);
    assert.equal(m.stop_reason, null);
    assert.equal(m.stop_sequence, null);
    assert.deepEqual(m.usage, { input_tokens: 0, output_tokens: 0 });
  }
  let next = 0;
  let open = -1;
  let openType = '';
  let sawSignature = false;
  let textChars = 0;
  let messageDelta = -1;
  const serverIds = new Set<string>();
  for (let i = 1; i < out.length; i++) {
    const ev = out[i];
    const where = `event ${i} (${ev.type})`;
    assert.notEqual(ev.type, 'message_start', `${where}: only one message_start`);
    switch (ev.type) {
      case 'content_block_start':
        assert.equal(open, -1, `${where}: a block is already open`);
        assert.equal(ev.index, next, `${where}: block indexes are 0,1,2,...`);
        assert.equal(messageDelta, -1, `${where}: no block after message_delta`);
        open = next++;
        openType = ev.content_block.type;
        sawSignature = false;
        textChars = 0;
        if (ev.content_block.type === 'tool_use' || ev.content_block.type === 'server_tool_use') {
          assert.ok(ev.content_block.id, `${where}: tool_use has an id`);
          assert.ok(ev.content_block.name, `${where}: tool_use has a name`);
          assert.deepEqual(ev.content_block.input, {});
        }
        if (ev.content_block.type === 'server_tool_use') serverIds.add(ev.content_block.id);
        if (ev.content_block.type === 'web_search_tool_result' || ev.content_block.type === 'web_fetch_tool_result') {
          assert.ok(serverIds.has(ev.content_block.tool_use_id), `${where}: the result follows its server_tool_use`);
        }
        break;
      case 'content_block_delta': {
        assert.equal(ev.index, open, `${where}: delta for the open block`);
        const d = ev.delta;
        const expected = openType === 'text' ? ['text_delta', 'citations_delta']
          : openType === 'thinking' ? ['thinking_delta', 'signature_delta']
            : openType === 'tool_use' || openType === 'server_tool_use' ? ['input_json_delta'] : [];
        assert.ok(expected.includes(d.type), `${where}: ${d.type} in a ${openType} block`);
        assert.ok(!sawSignature, `${where}: signature_delta is the last delta of its block`);
        if (d.type === 'signature_delta') { sawSignature = true; assert.ok(d.signature.length > 0); }
        if (d.type === 'text_delta') { assert.ok(d.text.length > 0, `${where}: no empty text_delta`); textChars += d.text.length; }
        if (d.type === 'thinking_delta') { assert.ok(d.thinking.length > 0, `${where}: no empty thinking_delta`); textChars += d.thinking.length; }
        break;
      }
      case 'content_block_stop':
        assert.equal(ev.index, open, `${where}: stop closes the open block`);
        if (openType === 'text') assert.ok(textChars > 0, `${where}: no empty text block`);
        if (openType === 'thinking') assert.ok(sawSignature || textChars > 0, `${where}: no empty thinking block without signature`);
        open = -1;
        break;
      case 'message_delta':
        assert.equal(messageDelta, -1, `${where}: one message_delta`);
        assert.equal(open, -1, `${where}: all blocks closed before message_delta`);
        assert.ok(ev.delta.stop_reason !== null, `${where}: stop_reason set`);
        assert.equal(ev.delta.stop_sequence, null);
        for (const k of ['input_tokens', 'output_tokens', 'cache_read_input_tokens'] as const) {
          assert.equal(typeof ev.usage[k], 'number', `${where}: usage.${k}`);
        }
        messageDelta = i;
        break;
      case 'message_stop':
        assert.equal(messageDelta, i - 1, `${where}: message_stop right after message_delta`);
        assert.equal(i, out.length - 1, `${where}: message_stop is last`);
        return 'success';
      case 'error':
        assert.equal(i, out.length - 1, `${where}: error is last`);
        assert.equal(messageDelta, -1, `${where}: no message_delta before an error`);
        assert.ok(ev.error.type && ev.error.message, `${where}: error has type and message`);
        return 'error';
      case 'ping':
        break;
      default:
        assert.fail(`${where}: unexpected event`);
    }
  }
  assert.fail('the stream ends with neither message_stop nor error');
}

export interface BlockSummary {
  type: 'text' | 'thinking' | 'tool_use' | 'server_tool_use' | 'web_search_tool_result' | 'web_fetch_tool_result';
  text?: string;
  thinking?: string;
  signature?: string;
  id?: string;
  name?: string;
  json?: string;
  citations?: unknown[];
  /** server tool results: the whole content, and the server_tool_use it answers */
  content?: unknown;
  tool_use_id?: string;
}

export interface Summary {
  outcome: Outcome;
  blocks: BlockSummary[];
  stopReason: StopReason | null;
  usage: Usage | null;
  error: { type: string; message: string } | null;
}

/** What a client assembles from the events (written independently of MessageAggregator). */
export function summarize(out: StreamEvent[]): Summary {
  const outcome = assertStreamInvariants(out, (out[0] as { message: { model: string } }).message.model);
  const blocks: BlockSummary[] = [];
  let stopReason: StopReason | null = null;
  let usage: Usage | null = null;
  let error: Summary['error'] = null;
  for (const ev of out) {
    if (ev.type === 'content_block_start') {
      const cb = ev.content_block;
      if (cb.type === 'text') blocks.push({ type: 'text', text: '' });
      else if (cb.type === 'thinking') blocks.push({ type: 'thinking', thinking: '' });
      else if (cb.type === 'tool_use') blocks.push({ type: 'tool_use', id: cb.id, name: cb.name, json: '' });
      else if (cb.type === 'server_tool_use') blocks.push({ type: 'server_tool_use', id: cb.id, name: cb.name, json: '' });
      else if (cb.type === 'web_search_tool_result' || cb.type === 'web_fetch_tool_result') blocks.push({ type: cb.type, tool_use_id: cb.tool_use_id, content: cb.content });
    } else if (ev.type === 'content_block_delta') {
      const b = blocks[ev.index];
      const d = ev.delta;
      if (d.type === 'text_delta') b.text += d.text;
      else if (d.type === 'thinking_delta') b.thinking += d.thinking;
      else if (d.type === 'signature_delta') b.signature = d.signature;
      else if (d.type === 'citations_delta') (b.citations ??= []).push(d.citation);
      else b.json += d.partial_json;
    } else if (ev.type === 'message_delta') {
      stopReason = ev.delta.stop_reason;
      usage = ev.usage;
    } else if (ev.type === 'error') {
      error = ev.error;
    }
  }
  return { outcome, blocks, stopReason, usage, error };
}
