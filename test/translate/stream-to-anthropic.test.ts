import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import type { StreamEvent } from '../../src/wire/anthropic-stream.ts';
import type { ResponsesEvent } from '../../src/wire/responses-stream.ts';
import { StreamTranslator, TRUNCATED_STREAM_MESSAGE } from '../../src/translate/stream-to-anthropic.ts';
import {
  OWN_FIXTURES, assertStreamInvariants, readFixture, run, summarize, type BlockSummary, type Summary,
} from './stream-support.ts';
import { sharedFixture } from '../support/shared-fixtures.ts';

// --- small builders in the real API's shapes ------------------------------------------------------------

const created: ResponsesEvent = { type: 'response.created', response: { id: 'resp_1', status: 'in_progress', output: [] } };
const usage = (input: number, cached: number, output: number) =>
  ({ input_tokens: input, input_tokens_details: { cached_tokens: cached }, output_tokens: output, total_tokens: input + output });
const completed = (output: unknown[] = [], u = usage(10, 0, 5)): ResponsesEvent =>
  ({ type: 'response.completed', response: { id: 'resp_1', status: 'completed', output: output as never, usage: u } });
const msgAdded = (oi: number, id = `msg_${oi}`): ResponsesEvent =>
  ({ type: 'response.output_item.added', output_index: oi, item: { id, type: 'message', role: 'assistant', status: 'in_progress', content: [] } });
const msgDone = (oi: number, text: string, id = `msg_${oi}`): ResponsesEvent =>
  ({ type: 'response.output_item.done', output_index: oi, item: { id, type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text }] } });
const textDelta = (oi: number, delta: string, id = `msg_${oi}`): ResponsesEvent =>
  ({ type: 'response.output_text.delta', output_index: oi, item_id: id, content_index: 0, delta });
const textDone = (oi: number, text: string, id = `msg_${oi}`): ResponsesEvent =>
  ({ type: 'response.output_text.done', output_index: oi, item_id: id, content_index: 0, text });
const fcAdded = (oi: number, name: string, callId = `call_${oi}`): ResponsesEvent =>
  ({ type: 'response.output_item.added', output_index: oi, item: { id: `fc_${oi}`, type: 'function_call', call_id: callId, name, arguments: '', status: 'in_progress' } });
const argsDelta = (oi: number, delta: string): ResponsesEvent =>
  ({ type: 'response.function_call_arguments.delta', output_index: oi, item_id: `fc_${oi}`, delta });
const argsDone = (oi: number, args: string): ResponsesEvent =>
  ({ type: 'response.function_call_arguments.done', output_index: oi, item_id: `fc_${oi}`, arguments: args });
const fcDone = (oi: number, name: string, args: string, callId = `call_${oi}`): ResponsesEvent =>
  ({ type: 'response.output_item.done', output_index: oi, item: { id: `fc_${oi}`, type: 'function_call', call_id: callId, name, arguments: args, status: 'completed' } });
const rsAdded = (oi: number, enc?: string): ResponsesEvent =>
  ({ type: 'response.output_item.added', output_index: oi, item: { id: `rs_${oi}`, type: 'reasoning', summary: [], ...(enc ? { encrypted_content: enc } : {}) } });
const sumDelta = (oi: number, si: number, delta: string): ResponsesEvent =>
  ({ type: 'response.reasoning_summary_text.delta', output_index: oi, item_id: `rs_${oi}`, summary_index: si, delta });
const sumPartAdded = (oi: number, si: number): ResponsesEvent =>
  ({ type: 'response.reasoning_summary_part.added', output_index: oi, item_id: `rs_${oi}`, summary_index: si, part: { type: 'summary_text', text: '' } });
const rsDone = (oi: number, summary: string[], enc?: string): ResponsesEvent =>
  ({ type: 'response.output_item.done', output_index: oi, item: { id: `rs_${oi}`, type: 'reasoning', summary: summary.map((text) => ({ type: 'summary_text', text })), ...(enc ? { encrypted_content: enc } : {}) } });

const text = (t: string): BlockSummary => ({ type: 'text', text: t });
const thinking = (t: string, signature?: string): BlockSummary => (signature ? { type: 'thinking', thinking: t, signature } : { type: 'thinking', thinking: t });
const tool = (id: string, name: string, json: string): BlockSummary => ({ type: 'tool_use', id, name, json });

function check(s: Summary, want: Partial<Summary> & { errorType?: string }): void {
  if (want.outcome) assert.equal(s.outcome, want.outcome);
  if (want.blocks) assert.deepEqual(s.blocks, want.blocks);
  if (want.stopReason !== undefined) assert.equal(s.stopReason, want.stopReason);
  if (want.usage) assert.deepEqual(s.usage, want.usage);
  if (want.errorType) assert.equal(s.error?.type, want.errorType);
}

// --- own recorded-style fixtures ------------------------------------------------------------------------

type Want = Partial<Summary> & { errorType?: string; errorMessage?: RegExp };

const OWN: Record<string, Want> = {
  'text-deltas.jsonl': {
    outcome: 'success', blocks: [text('The quick brown fox jumps over the lazy dog.\nSecond line.')], stopReason: 'end_turn',
    usage: { input_tokens: 120, output_tokens: 14, cache_read_input_tokens: 0 },
  },
  'reasoning-summary-then-text.jsonl': {
    outcome: 'success', stopReason: 'end_turn',
    blocks: [
      thinking('**Reading the task**\n\nThe user wants a list of three items.\n\n**Choosing items**\n\nFruit works well.\n\n**Final check**\n\nThree items, comma separated.', 'gAAAA_pb_final_signature'),
      text('apple, pear, plum'),
    ],
    usage: { input_tokens: 388, output_tokens: 210, cache_read_input_tokens: 512 },
  },
  'reasoning-encrypted-no-summary.jsonl': {
    outcome: 'success', stopReason: 'end_turn', blocks: [thinking('', 'gAAAA_pb_only_signature'), text('Done.')],
  },
  'reasoning-raw-text.jsonl': {
    outcome: 'success', stopReason: 'end_turn', blocks: [thinking('Need to add two numbers.'), text('4')],
  },
  'function-call.jsonl': {
    outcome: 'success', stopReason: 'tool_use', blocks: [tool('call_pb_read01', 'Read', '{"file_path":"/tmp/notes.txt"}')],
    usage: { input_tokens: 476, output_tokens: 25, cache_read_input_tokens: 1024 },
  },
  'parallel-function-calls-interleaved.jsonl': {
    outcome: 'success', stopReason: 'tool_use',
    blocks: [tool('call_pb_glob', 'Glob', '{"pattern":"**/*.ts"}'), tool('call_pb_grep', 'Grep', '{"pattern":"TODO","path":"src"}')],
  },
  'text-then-function-call.jsonl': {
    outcome: 'success', stopReason: 'tool_use',
    blocks: [text('Let me list the files.'), tool('call_pb_ls01', 'Bash', '{"command":"ls -la","description":"List files"}')],
  },
  'refusal.jsonl': { outcome: 'success', stopReason: 'refusal', blocks: [text("I can't help with that.")] },
  'incomplete-max-output-tokens.jsonl': {
    outcome: 'success', stopReason: 'max_tokens', blocks: [text('Chapter one. It was a dark and')],
    usage: { input_tokens: 60, output_tokens: 16, cache_read_input_tokens: 0 },
  },
  'incomplete-content-filter.jsonl': { outcome: 'success', stopReason: 'refusal', blocks: [text('Here is')] },
  'error-then-failed.jsonl': { outcome: 'error', errorType: 'rate_limit_error', blocks: [text('Partial answer')] },
  'failed-only.jsonl': { outcome: 'error', errorType: 'api_error', blocks: [] },
  'truncated.jsonl': {
    outcome: 'error', errorType: 'api_error', errorMessage: /before response\.completed/, blocks: [text('This reply never finishes')],
  },
  'completed-only.jsonl': {
    outcome: 'success', stopReason: 'tool_use',
    blocks: [
      thinking('Short plan.', 'gAAAA_pb_co_signature'), text('Checking the tests now.'),
      { type: 'server_tool_use', id: 'srvtoolu_ws_pb_co01', name: 'web_search', json: '{"query":"x"}' },
      { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_ws_pb_co01', content: [] },
      tool('call_pb_co01', 'Bash', '{"command":"npm test"}'),
    ],
    usage: { input_tokens: 272, output_tokens: 50, cache_read_input_tokens: 128, server_tool_use: { web_search_requests: 1 } },
  },
  'web-search-call.jsonl': {
    outcome: 'success', stopReason: 'end_turn',
    usage: { input_tokens: 900, output_tokens: 60, cache_read_input_tokens: 0, server_tool_use: { web_search_requests: 1, web_fetch_requests: 1 } },
  },
};

describe('own fixtures (test/fixtures/responses)', () => {
  const files = readdirSync(OWN_FIXTURES).filter((f) => f.endsWith('.jsonl')).sort();
  it('every fixture has an expected outcome', () => {
    assert.deepEqual(files, Object.keys(OWN).sort());
  });
  for (const file of files) {
    it(file, () => {
      const { out, t } = run(readFixture(new URL(file, OWN_FIXTURES)));
      const s = summarize(out);
      const want = OWN[file];
      check(s, want);
      if (want.errorMessage) assert.match(s.error!.message, want.errorMessage);
      assert.equal(t.state, s.outcome === 'success' ? 'completed' : 'failed');
      assert.equal(t.hasOutput, s.blocks.length > 0);
      if (s.outcome === 'error') assert.deepEqual(t.failed, s.error);
      else { assert.equal(t.failed, null); assert.equal(t.stopReason, s.stopReason); assert.deepEqual(t.usage, s.usage); }
    });
  }
});

// --- shared recorded fixtures (skipped when the folders are absent) -------------------------------------

const SHARED_DIRS = [sharedFixture('responses/'), sharedFixture('captured/sse/')].filter((d): d is string => d !== null);
const SHARED: Record<string, Want & { textStartsWith?: string[] }> = {
  'azure-gpt5-reasoning-multi-summary-with-encryption.jsonl': { outcome: 'success', stopReason: 'end_turn' },
  'issue-19067-parallel-tool-call-wrapper.jsonl': {
    outcome: 'success', stopReason: 'tool_use', usage: { input_tokens: 34, output_tokens: 28, cache_read_input_tokens: 0 },
  },
  'openai-error.1.jsonl': { outcome: 'error', errorType: 'invalid_request_error', errorMessage: /quota/, blocks: [] },
  'openai-phase.1.jsonl': {
    outcome: 'success', stopReason: 'end_turn', usage: { input_tokens: 4040, output_tokens: 463, cache_read_input_tokens: 3072 },
    textStartsWith: ['Got it', 'Here are a few'],
  },
  'responses-completed-only-empty-answer.sse': { outcome: 'success', stopReason: 'end_turn', blocks: [text('Hi! (recorded reply)')] },
  'responses-function_call-Bash.sse': {
    outcome: 'success', stopReason: 'tool_use',
    blocks: [tool('call_idoiedjkkc', 'Bash', '{"command":"echo hello-from-tool","description":"Print a test string"}')],
  },
  'responses-function_call-exec_command.sse': {
    outcome: 'success', stopReason: 'tool_use', blocks: [tool('call_x0rckmrb23l', 'exec_command', '{"cmd":"echo hello-from-tool"}')],
  },
  'responses-no-completed-error.sse': { outcome: 'error', errorType: 'api_error', blocks: [text('Hi! (recorded reply)')] },
  'responses-text-full.sse': {
    outcome: 'success', stopReason: 'end_turn', blocks: [text('Hi! (recorded reply)')],
    usage: { input_tokens: 42, output_tokens: 7, cache_read_input_tokens: 0 },
  },
  'responses-text-minimal-accepted.sse': { outcome: 'success', stopReason: 'end_turn', blocks: [text('Hi! (recorded reply)')] },
};

for (const dir of SHARED_DIRS) {
  describe(`shared fixtures in ${dir}`, { skip: !existsSync(dir) && `${dir} is absent` }, () => {
    const files = existsSync(dir)
      ? readdirSync(dir).filter((f) => f.endsWith('.jsonl') || (f.startsWith('responses-') && f.endsWith('.sse'))).sort()
      : [];
    for (const file of files) {
      it(file, () => {
        const events = readFixture(dir + file);
        for (const emitThinking of [true, false]) {
          const { out } = run(events, { emitThinking });
          const s = summarize(out); // the invariants, for every file
          if (!emitThinking) assert.ok(s.blocks.every((b) => b.type !== 'thinking'));
          const want = SHARED[file];
          if (!want || !emitThinking) continue;
          check(s, want);
          if (want.errorMessage) assert.match(s.error!.message, want.errorMessage);
          if (want.textStartsWith) {
            const texts = s.blocks.filter((b) => b.type === 'text').map((b) => b.text!);
            assert.equal(texts.length, want.textStartsWith.length);
            want.textStartsWith.forEach((p, i) => assert.ok(texts[i].startsWith(p), `text block ${i} starts with ${p}`));
          }
        }
      });
    }
  });
}

describe('shared fixture details', { skip: !existsSync(SHARED_DIRS[0]) && 'shared fixtures absent' }, () => {
  it('azure: six summary parts joined by blank lines, the done item\'s encrypted_content as signature', () => {
    const s = summarize(run(readFixture(SHARED_DIRS[0] + 'azure-gpt5-reasoning-multi-summary-with-encryption.jsonl')).out);
    assert.equal(s.blocks[0].type, 'thinking');
    assert.equal(s.blocks[0].thinking!.split('\n\n**Anonymized summary').length, 6);
    assert.match(s.blocks[0].signature!, /^AZURE_FIXTURE_CANONICAL_/);
    assert.equal(s.blocks[1].type, 'text');
  });
  it('phase: the done text completes what the deltas started', () => {
    const events = readFixture(SHARED_DIRS[0] + 'openai-phase.1.jsonl');
    const doneText = events.find((e) => e.type === 'response.output_text.done')!.text!;
    const s = summarize(run(events).out);
    assert.equal(s.blocks[0].text, doneText);
  });
});

// --- protocol rules -------------------------------------------------------------------------------------

describe('message_start and message_delta', () => {
  it('message_start is emitted on the first upstream event, whatever it is', () => {
    for (const first of [created, { type: 'response.in_progress' }, textDelta(0, 'x'), { type: 'something.unknown' }] as ResponsesEvent[]) {
      const t = new StreamTranslator({ model: 'claude-sonnet-5' });
      assert.equal(t.state, 'idle');
      const out = t.push(first);
      assert.equal(out[0].type, 'message_start');
      assert.equal(out.filter((e) => e.type === 'message_start').length, 1);
      assert.equal(t.push({ type: 'response.in_progress' }).length, 0);
    }
  });
  it('uses opts.model and opts.messageId; generates a msg_ id otherwise', () => {
    const a = new StreamTranslator({ model: 'claude-opus-4-8', messageId: 'msg_given' }).push(created)[0];
    assert.equal(a.type === 'message_start' && a.message.id, 'msg_given');
    assert.equal(a.type === 'message_start' && a.message.model, 'claude-opus-4-8');
    const b = new StreamTranslator({ model: 'm' }).push(created)[0];
    const c = new StreamTranslator({ model: 'm' }).push(created)[0];
    assert.ok(b.type === 'message_start' && /^msg_[0-9a-f]{32}$/.test(b.message.id));
    assert.notDeepEqual(b, c);
  });
  it('usage: cached tokens move from input_tokens to cache_read_input_tokens', () => {
    const s = summarize(run([created, msgAdded(0), textDelta(0, 'hi'), msgDone(0, 'hi'), completed([], usage(1000, 600, 42))]).out);
    assert.deepEqual(s.usage, { input_tokens: 400, output_tokens: 42, cache_read_input_tokens: 600 });
  });
  it('usage is zero when the upstream reports none', () => {
    const s = summarize(run([created, { type: 'response.completed', response: { id: 'r', status: 'completed', output: [], usage: null } }]).out);
    assert.deepEqual(s.usage, { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0 });
    assert.deepEqual(s.blocks, []);
    assert.equal(s.stopReason, 'end_turn');
  });
});

describe('stop reasons', () => {
  const cases: Array<{ name: string; events: ResponsesEvent[]; want: string }> = [
    { name: 'text only -> end_turn', events: [created, textDelta(0, 'a'), completed()], want: 'end_turn' },
    { name: 'tool call -> tool_use', events: [created, fcAdded(0, 'Bash'), fcDone(0, 'Bash', '{}'), completed()], want: 'tool_use' },
    {
      name: 'text + tool call -> tool_use',
      events: [created, textDelta(0, 'a'), msgDone(0, 'a'), fcAdded(1, 'Bash'), fcDone(1, 'Bash', '{}'), completed()], want: 'tool_use',
    },
    {
      name: 'refusal delta -> refusal',
      events: [created, { type: 'response.refusal.delta', output_index: 0, item_id: 'msg_0', content_index: 0, delta: 'No.' }, completed()],
      want: 'refusal',
    },
    {
      name: 'refusal only in the done item -> refusal',
      events: [created, { type: 'response.output_item.done', output_index: 0, item: { id: 'msg_0', type: 'message', role: 'assistant', content: [{ type: 'refusal', refusal: 'No.' }] } }, completed()],
      want: 'refusal',
    },
    {
      name: 'incomplete max_output_tokens -> max_tokens',
      events: [created, textDelta(0, 'a'), { type: 'response.incomplete', response: { id: 'r', status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } } }],
      want: 'max_tokens',
    },
    {
      name: 'incomplete content_filter -> refusal',
      events: [created, textDelta(0, 'a'), { type: 'response.incomplete', response: { id: 'r', status: 'incomplete', incomplete_details: { reason: 'content_filter' } } }],
      want: 'refusal',
    },
    {
      name: 'incomplete during a tool call -> max_tokens',
      events: [created, fcAdded(0, 'Bash'), argsDelta(0, '{"comm'), { type: 'response.incomplete', response: { id: 'r', status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } } }],
      want: 'max_tokens',
    },
    {
      name: 'response.completed with status incomplete -> max_tokens',
      events: [created, textDelta(0, 'a'), { type: 'response.completed', response: { id: 'r', status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } } }],
      want: 'max_tokens',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { out, t } = run(c.events);
      assert.equal(summarize(out).stopReason, c.want);
      assert.equal(t.stopReason, c.want);
    });
  }
});

describe('text', () => {
  const cases: Array<{ name: string; events: ResponsesEvent[]; blocks: BlockSummary[] }> = [
    { name: 'deltas', events: [created, msgAdded(0), textDelta(0, 'a'), textDelta(0, 'b'), textDone(0, 'ab'), msgDone(0, 'ab'), completed()], blocks: [text('ab')] },
    { name: 'only output_text.done', events: [created, msgAdded(0), textDone(0, 'whole'), msgDone(0, 'whole'), completed()], blocks: [text('whole')] },
    { name: 'only output_item.done', events: [created, msgAdded(0), msgDone(0, 'whole'), completed()], blocks: [text('whole')] },
    {
      name: 'only content_part.done',
      events: [created, msgAdded(0), { type: 'response.content_part.done', output_index: 0, item_id: 'msg_0', content_index: 0, part: { type: 'output_text', text: 'part' } }, completed()],
      blocks: [text('part')],
    },
    { name: 'only response.completed output', events: [created, completed([{ id: 'm', type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'late' }] }])], blocks: [text('late')] },
    { name: 'done text longer than the deltas: the rest is sent', events: [created, textDelta(0, 'Hel'), textDone(0, 'Hello'), completed()], blocks: [text('Hello')] },
    { name: 'done text that diverges from the deltas: deltas stand', events: [created, textDelta(0, 'X'), textDone(0, 'Other'), msgDone(0, 'Other'), completed()], blocks: [text('X')] },
    { name: 'repeated done events add nothing', events: [created, textDelta(0, 'ab'), textDone(0, 'ab'), msgDone(0, 'ab'), completed([{ id: 'msg_0', type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'ab' }] }])], blocks: [text('ab')] },
    { name: 'empty message item: no block', events: [created, msgAdded(0), msgDone(0, ''), completed()], blocks: [] },
    { name: 'empty deltas open no block', events: [created, msgAdded(0), textDelta(0, ''), msgDone(0, ''), completed()], blocks: [] },
    { name: 'two message items: two text blocks', events: [created, msgAdded(0), textDelta(0, 'one'), msgDone(0, 'one'), msgAdded(2), textDelta(2, 'two'), msgDone(2, 'two'), completed()], blocks: [text('one'), text('two')] },
    {
      name: 'two content parts of one item share its block',
      events: [created, msgAdded(0), textDelta(0, 'a'), { type: 'response.output_text.delta', output_index: 0, item_id: 'msg_0', content_index: 1, delta: 'b' }, completed()],
      blocks: [text('ab')],
    },
    {
      name: 'events with item_id but no output_index',
      events: [created, { type: 'response.output_item.added', item: { id: 'm9', type: 'message', role: 'assistant', content: [] } }, { type: 'response.output_text.delta', item_id: 'm9', delta: 'x' }, { type: 'response.output_text.delta', item_id: 'm9', delta: 'y' }, completed()],
      blocks: [text('xy')],
    },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(summarize(run(c.events).out).blocks, c.blocks));

  it('each delta of the current item is written in the same push (no buffering)', () => {
    const t = new StreamTranslator({ model: 'm' });
    t.push(created);
    t.push(msgAdded(0));
    const a = t.push(textDelta(0, 'a'));
    assert.deepEqual(a.map((e) => e.type), ['content_block_start', 'content_block_delta']);
    assert.equal(t.state, 'text');
    assert.equal(t.hasOutput, true);
    assert.deepEqual(t.push(textDelta(0, 'b')), [{ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'b' } }]);
    assert.deepEqual(t.push(msgDone(0, 'ab')), [{ type: 'content_block_stop', index: 0 }]);
    assert.equal(t.state, 'streaming');
  });
});

describe('reasoning', () => {
  it('summary parts are joined with a blank line; signature comes right before the block stop', () => {
    const { out } = run([
      created, rsAdded(0), sumPartAdded(0, 0), sumDelta(0, 0, 'A1'), sumDelta(0, 0, 'A2'), sumPartAdded(0, 1), sumDelta(0, 1, 'B'),
      sumPartAdded(0, 2), sumDelta(0, 2, 'C'), rsDone(0, ['A1A2', 'B', 'C'], 'enc_sig'), completed(),
    ]);
    assert.deepEqual(summarize(out).blocks, [thinking('A1A2\n\nB\n\nC', 'enc_sig')]);
    const stop = out.findIndex((e) => e.type === 'content_block_stop');
    assert.deepEqual(out[stop - 1], { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'enc_sig' } });
  });
  it('an empty summary part adds no separator', () => {
    const s = summarize(run([created, rsAdded(0), sumPartAdded(0, 0), sumPartAdded(0, 1), sumDelta(0, 1, 'only'), rsDone(0, ['', 'only']), completed()]).out);
    assert.deepEqual(s.blocks, [thinking('only')]);
  });
  it('encrypted_content from output_item.done wins over output_item.added', () => {
    const s = summarize(run([created, rsAdded(0, 'early'), sumDelta(0, 0, 't'), rsDone(0, ['t'], 'final'), completed()]).out);
    assert.deepEqual(s.blocks, [thinking('t', 'final')]);
  });
  it('encrypted_content only on output_item.added is still sent', () => {
    const s = summarize(run([created, rsAdded(0, 'early'), rsDone(0, []), completed()]).out);
    assert.deepEqual(s.blocks, [thinking('', 'early')]);
  });
  it('no summary and no encrypted content: no block', () => {
    assert.deepEqual(summarize(run([created, rsAdded(0), rsDone(0, []), textDelta(1, 'x'), completed()]).out).blocks, [text('x')]);
  });
  it('summary only in the done item', () => {
    assert.deepEqual(summarize(run([created, rsAdded(0), rsDone(0, ['p1', 'p2'], 's'), completed()]).out).blocks, [thinking('p1\n\np2', 's')]);
  });
  it('raw reasoning_text deltas are thinking', () => {
    const s = summarize(run([
      created, rsAdded(0), { type: 'response.reasoning_text.delta', output_index: 0, item_id: 'rs_0', content_index: 0, delta: 'raw ' },
      { type: 'response.reasoning_text.delta', output_index: 0, item_id: 'rs_0', content_index: 0, delta: 'text' }, rsDone(0, []), completed(),
    ]).out);
    assert.deepEqual(s.blocks, [thinking('raw text')]);
  });
  it('emitThinking false: reasoning produces no blocks, text keeps index 0', () => {
    const { out } = run([created, rsAdded(0, 'e'), sumDelta(0, 0, 'hidden'), rsDone(0, ['hidden'], 'e'), msgAdded(1), textDelta(1, 'shown'), msgDone(1, 'shown'), completed()], { emitThinking: false });
    assert.deepEqual(summarize(out).blocks, [text('shown')]);
    assert.ok(!JSON.stringify(out).includes('hidden'));
  });
  it('thinking state while the block is open', () => {
    const t = new StreamTranslator({ model: 'm' });
    t.push(created); t.push(rsAdded(0));
    assert.equal(t.state, 'streaming');
    t.push(sumDelta(0, 0, 'x'));
    assert.equal(t.state, 'thinking');
  });
});

describe('function calls', () => {
  const cases: Array<{ name: string; events: ResponsesEvent[]; blocks: BlockSummary[]; opts?: { originalToolName: (n: string) => string } }> = [
    { name: 'deltas', events: [created, fcAdded(0, 'Bash'), argsDelta(0, '{"a"'), argsDelta(0, ':1}'), argsDone(0, '{"a":1}'), fcDone(0, 'Bash', '{"a":1}'), completed()], blocks: [tool('call_0', 'Bash', '{"a":1}')] },
    { name: 'arguments only in .done', events: [created, fcAdded(0, 'Bash'), argsDone(0, '{"a":1}'), fcDone(0, 'Bash', '{"a":1}'), completed()], blocks: [tool('call_0', 'Bash', '{"a":1}')] },
    { name: 'arguments only in output_item.done', events: [created, fcAdded(0, 'Bash'), fcDone(0, 'Bash', '{"a":1}'), completed()], blocks: [tool('call_0', 'Bash', '{"a":1}')] },
    { name: 'only output_item.done', events: [created, fcDone(0, 'Bash', '{"a":1}'), completed()], blocks: [tool('call_0', 'Bash', '{"a":1}')] },
    { name: 'empty arguments', events: [created, fcAdded(0, 'Ping'), fcDone(0, 'Ping', ''), completed()], blocks: [tool('call_0', 'Ping', '')] },
    {
      name: 'deltas before the name is known (no output_item.added)',
      events: [created, argsDelta(0, '{"x"'), argsDelta(0, ':2}'), fcDone(0, 'Late', '{"x":2}'), completed()], blocks: [tool('call_0', 'Late', '{"x":2}')],
    },
    {
      name: 'shortened names are reversed',
      events: [created, fcAdded(0, 'mcp__srv__t_1a2b'), fcDone(0, 'mcp__srv__t_1a2b', '{}'), completed()],
      blocks: [tool('call_0', 'mcp__server__a_very_long_tool_name', '{}')],
      opts: { originalToolName: (n) => (n === 'mcp__srv__t_1a2b' ? 'mcp__server__a_very_long_tool_name' : n) },
    },
    {
      name: 'two calls in sequence',
      events: [created, fcAdded(0, 'A'), argsDelta(0, '{}'), fcDone(0, 'A', '{}'), fcAdded(1, 'B'), argsDelta(1, '{"b":1}'), fcDone(1, 'B', '{"b":1}'), completed()],
      blocks: [tool('call_0', 'A', '{}'), tool('call_1', 'B', '{"b":1}')],
    },
    {
      name: 'interleaved parallel calls, later one finishing first',
      events: [
        created, fcAdded(0, 'A'), fcAdded(1, 'B'), argsDelta(1, '{"b"'), argsDelta(0, '{"a"'), argsDelta(1, ':2}'), argsDelta(0, ':1}'),
        fcDone(1, 'B', '{"b":2}'), fcDone(0, 'A', '{"a":1}'), completed(),
      ],
      blocks: [tool('call_0', 'A', '{"a":1}'), tool('call_1', 'B', '{"b":2}')],
    },
    {
      name: 'a call streaming while the text item is still open waits for its turn',
      events: [created, msgAdded(0), textDelta(0, 'Hi'), fcAdded(1, 'A'), argsDelta(1, '{"q":'), textDelta(0, ' there'), msgDone(0, 'Hi there'), argsDelta(1, '1}'), fcDone(1, 'A', '{"q":1}'), completed()],
      blocks: [text('Hi there'), tool('call_1', 'A', '{"q":1}')],
    },
    {
      name: 'items never marked done are flushed in order at response.completed',
      events: [created, msgAdded(0), textDelta(0, 'T'), fcAdded(1, 'A'), argsDelta(1, '{}'), rsAdded(2, 'sig'), sumDelta(2, 0, 'r'), completed()],
      blocks: [text('T'), tool('call_1', 'A', '{}'), thinking('r', 'sig')],
    },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(summarize(run(c.events, c.opts).out).blocks, c.blocks));

  it('the tool_use block opens on output_item.added, and later calls are buffered then flushed at once', () => {
    const t = new StreamTranslator({ model: 'm' });
    t.push(created);
    assert.deepEqual(t.push(fcAdded(0, 'A')).map((e) => e.type), ['content_block_start']);
    assert.equal(t.state, 'tool_use');
    assert.deepEqual(t.push(fcAdded(1, 'B')), []);
    assert.deepEqual(t.push(argsDelta(1, '{"b":1}')), []);
    const flush = t.push(fcDone(0, 'A', ''));
    assert.deepEqual(flush, [
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'call_1', name: 'B', input: {} } },
      { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"b":1}' } },
    ]);
  });
});

describe('unknown items and events', () => {
  it('unknown item types and event types are ignored without breaking the stream', () => {
    const s = summarize(run([
      created,
      { type: 'response.output_item.added', output_index: 0, item: { id: 'ci_1', type: 'code_interpreter_call', status: 'in_progress' } },
      { type: 'response.code_interpreter_call.interpreting', output_index: 0, item_id: 'ci_1' },
      { type: 'response.output_text.delta', output_index: 0, item_id: 'ci_1', delta: 'not text' },
      { type: 'response.output_item.done', output_index: 0, item: { id: 'ci_1', type: 'code_interpreter_call', status: 'completed' } },
      { type: 'response.custom_tool_call_input.delta', output_index: 1, item_id: 'ct_1', delta: 'x' },
      { type: 'response.brand_new_event', output_index: 3 },
      msgAdded(2), textDelta(2, 'ok'), msgDone(2, 'ok'), completed(),
    ]).out);
    assert.deepEqual(s.blocks, [text('ok')]);
    assert.equal(s.stopReason, 'end_turn');
  });
  it('events without an item payload are ignored', () => {
    const s = summarize(run([created, { type: 'response.output_item.added', output_index: 0 }, { type: 'response.output_item.done', output_index: 0 }, completed()]).out);
    assert.deepEqual(s.blocks, []);
  });
});

describe('failures', () => {
  const cases: Array<{ name: string; events: ResponsesEvent[]; type: string; message?: RegExp }> = [
    { name: 'error event (nested error object)', events: [created, { type: 'error', error: { type: 'insufficient_quota', code: 'insufficient_quota', message: 'quota gone' } }], type: 'invalid_request_error', message: /quota/ },
    { name: 'error event (flat fields)', events: [created, { type: 'error', code: 'rate_limit_exceeded', message: 'slow down', param: null }], type: 'rate_limit_error', message: /slow down/ },
    { name: 'error event with only a type', events: [created, { type: 'error', error: { type: 'server_error', message: 'boom' } }], type: 'api_error' },
    { name: 'error event without code', events: [created, { type: 'error', message: 'boom' }], type: 'api_error', message: /boom/ },
    { name: 'error event with a status', events: [created, { type: 'error', code: null, message: 'busy', status: 503 }], type: 'overloaded_error' },
    { name: 'response.failed with context_length_exceeded', events: [created, { type: 'response.failed', response: { id: 'r', status: 'failed', error: { code: 'context_length_exceeded', message: 'too long' } } }], type: 'invalid_request_error', message: /too long/ },
    { name: 'response.failed with server_is_overloaded', events: [created, { type: 'response.failed', response: { id: 'r', status: 'failed', error: { code: 'server_is_overloaded', message: 'later' } } }], type: 'overloaded_error' },
    { name: 'response.failed without error', events: [created, { type: 'response.failed', response: { id: 'r', status: 'failed', error: null } }], type: 'api_error' },
    { name: 'response.cancelled', events: [created, textDelta(0, 'x'), { type: 'response.cancelled', response: { id: 'r', status: 'cancelled' } }], type: 'api_error', message: /cancelled/ },
    { name: 'no terminal event', events: [created, textDelta(0, 'x')], type: 'api_error', message: /before response\.completed/ },
    { name: 'no events at all', events: [], type: 'api_error', message: /before response\.completed/ },
    { name: 'error as the very first event', events: [{ type: 'error', code: 'invalid_api_key', message: 'bad key' }], type: 'authentication_error' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { out, t } = run(c.events);
      const s = summarize(out);
      assert.equal(s.outcome, 'error');
      assert.equal(s.error!.type, c.type);
      if (c.message) assert.match(s.error!.message, c.message);
      assert.equal(t.state, 'failed');
      assert.deepEqual(t.failed, s.error);
      assert.equal(out.filter((e) => e.type === 'error').length, 1);
    });
  }
  it('an open block is not closed after a failure; the error event is last', () => {
    const { out } = run([created, textDelta(0, 'partial'), { type: 'error', code: 'server_error', message: 'x' }]);
    assert.deepEqual(out.slice(-2).map((e) => e.type), ['content_block_delta', 'error']);
  });
  it('response.failed after an error event adds nothing; nothing after a terminal state', () => {
    const t = new StreamTranslator({ model: 'm' });
    t.push(created);
    assert.equal(t.push({ type: 'error', code: 'rate_limit_exceeded', message: 'x' }).length, 1);
    assert.deepEqual(t.push({ type: 'response.failed', response: { id: 'r', status: 'failed', error: { code: 'server_error', message: 'y' } } }), []);
    assert.deepEqual(t.push(textDelta(0, 'late')), []);
    assert.deepEqual(t.end(), []);
    assert.equal(t.failed!.type, 'rate_limit_error');
  });
  it('nothing is emitted after response.completed', () => {
    const t = new StreamTranslator({ model: 'm' });
    const out: StreamEvent[] = [...t.push(created), ...t.push(textDelta(0, 'a')), ...t.push(completed())];
    assert.equal(out.at(-1)!.type, 'message_stop');
    assert.deepEqual(t.push(textDelta(0, 'b')), []);
    assert.deepEqual(t.push({ type: 'error', message: 'x' }), []);
    assert.deepEqual(t.end(), []);
    assert.equal(t.state, 'completed');
    assert.equal(t.failed, null);
  });
  it('end() message names the cause', () => {
    const t = new StreamTranslator({ model: 'm' });
    t.push(created);
    assert.deepEqual(t.end(), [{ type: 'error', error: { type: 'api_error', message: TRUNCATED_STREAM_MESSAGE } }]);
  });
  it('hasOutput stays false when the stream fails before any block', () => {
    const t = new StreamTranslator({ model: 'm' });
    t.push(created);
    t.push({ type: 'response.failed', response: { id: 'r', status: 'failed', error: { code: 'rate_limit_exceeded', message: 'x' } } });
    assert.equal(t.hasOutput, false);
    assert.equal(t.failed!.type, 'rate_limit_error');
  });
});

describe('invariant checker catches broken streams', () => {
  const start: StreamEvent = { type: 'message_start', message: { id: 'msg_x', type: 'message', role: 'assistant', model: 'claude-test-model', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 0, output_tokens: 0 } } };
  const end: StreamEvent[] = [{ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { input_tokens: 1, output_tokens: 1, cache_read_input_tokens: 0 } }, { type: 'message_stop' }];
  const bad: Array<[string, StreamEvent[]]> = [
    ['no message_start', [...end]],
    ['unclosed block', [start, { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'a' } }, ...end]],
    ['index gap', [start, { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } }, { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'a' } }, { type: 'content_block_stop', index: 1 }, ...end]],
    ['no message_stop', [start, end[0]]],
    ['event after error', [start, { type: 'error', error: { type: 'api_error', message: 'x' } }, ...end]],
  ];
  for (const [name, events] of bad) it(name, () => assert.throws(() => assertStreamInvariants(events)));
});
