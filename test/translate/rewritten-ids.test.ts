// Relays that rewrite item ids: the translator follows output_index / content_index, so every recorded stream
// gives the same blocks (same text, no duplicate, nothing lost) whatever happens to the ids on the way.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import type { ResponsesEvent } from '../../src/wire/responses-stream.ts';
import { translateResponseEvents } from '../../src/translate/response-to-message.ts';
import { OWN_FIXTURES, readFixture, run, summarize, type BlockSummary } from './stream-support.ts';
import { sharedFixture } from '../support/shared-fixtures.ts';

type Json = Record<string, unknown>;
type Rewrite = (id: string, where: string, n: number) => string | undefined;

/** A copy of the stream with every item id (item_id, item.id, response.output[].id) passed through `rewrite`. */
function rewriteIds(events: ResponsesEvent[], rewrite: Rewrite): ResponsesEvent[] {
  let n = 0;
  const fix = (obj: Json, key: string, where: string): void => {
    if (typeof obj[key] !== 'string') return;
    const next = rewrite(obj[key] as string, where, n++);
    if (next === undefined) delete obj[key];
    else obj[key] = next;
  };
  return events.map((original) => {
    const ev = structuredClone(original) as Json;
    fix(ev, 'item_id', 'event');
    if (ev.item && typeof ev.item === 'object') fix(ev.item as Json, 'id', 'item');
    const output = (ev.response as Json | undefined)?.output;
    if (Array.isArray(output)) for (const item of output as Json[]) if (item && typeof item === 'object') fix(item, 'id', 'output');
    return ev as ResponsesEvent;
  });
}

const VARIANTS: Array<[string, Rewrite]> = [
  ['a new id on every event', (_id, _where, n) => `relay_${n.toString(36)}_${Math.random().toString(36).slice(2, 8)}`],
  ['ids dropped from the events (kept on items)', (id, where) => (where === 'event' ? undefined : id)],
  ['ids dropped everywhere', () => undefined],
  ['every id the same', () => 'item_same'],
  ['ids of different items swapped', (id) => (id.startsWith('msg') ? id.replace(/^msg/, 'fc') : id.startsWith('fc') ? id.replace(/^fc/, 'msg') : id.startsWith('rs') ? `msg${id}` : id)],
  ['the terminal output with ids unlike the stream\'s', (id, where) => (where === 'output' ? `final_${id}` : id)],
];

/** Server tool ids come from item ids; compare them by position only. */
function normalized(blocks: BlockSummary[]): BlockSummary[] {
  const ids = new Map<string, string>();
  const name = (id: string): string => {
    if (!ids.has(id)) ids.set(id, `srv_${ids.size}`);
    return ids.get(id)!;
  };
  return blocks.map((b) => {
    if (b.type === 'server_tool_use' && b.id) return { ...b, id: name(b.id) };
    if (b.tool_use_id) return { ...b, tool_use_id: name(b.tool_use_id) };
    return b;
  });
}

const DIRS = [
  fileURLToDir(OWN_FIXTURES),
  sharedFixture('responses/'),
  sharedFixture('captured/sse/'),
].filter((d): d is string => d !== null && existsSync(d));

function fileURLToDir(u: URL): string {
  return decodeURIComponent(u.pathname);
}

for (const dir of DIRS) {
  const files = readdirSync(dir).filter((f) => f.endsWith('.jsonl') || (f.startsWith('responses-') && f.endsWith('.sse'))).sort();
  describe(`rewritten item ids: ${dir}`, () => {
    for (const file of files) {
      const events = readFixture(dir + file);
      const want = summarize(run(events).out);
      for (const [variant, rewrite] of VARIANTS) {
        it(`${file}: ${variant}`, () => {
          const changed = rewriteIds(events, rewrite);
          const got = summarize(run(changed).out);
          assert.equal(got.outcome, want.outcome);
          assert.deepEqual(normalized(got.blocks), normalized(want.blocks));
          assert.equal(got.stopReason, want.stopReason);
          assert.deepEqual(got.usage, want.usage);
          const agg = translateResponseEvents(changed, { model: 'claude-test-model' });
          assert.equal(agg.error?.type, want.error?.type);
        });
      }
    }
  });
}

describe('rewritten ids without output_index', () => {
  it('deltas whose ids match nothing still go to the item being written, once', () => {
    const events: ResponsesEvent[] = [
      { type: 'response.created', response: { id: 'r', status: 'in_progress', output: [] } },
      { type: 'response.output_item.added', item: { id: 'a1', type: 'message', role: 'assistant', content: [] } },
      { type: 'response.output_text.delta', item_id: 'a2', content_index: 0, delta: 'one ' },
      { type: 'response.output_text.delta', item_id: 'a3', content_index: 0, delta: 'two' },
      { type: 'response.output_text.done', item_id: 'a4', content_index: 0, text: 'one two' },
      { type: 'response.output_item.done', item: { id: 'a5', type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'one two' }] } },
      { type: 'response.completed', response: { id: 'r', status: 'completed', output: [{ id: 'a6', type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'one two' }] }] } },
    ];
    const texts = summarize(run(events).out).blocks.filter((b) => b.type === 'text').map((b) => b.text);
    assert.deepEqual(texts.join(''), 'one two');
  });
});
