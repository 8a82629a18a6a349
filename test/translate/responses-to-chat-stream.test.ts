import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ChatStreamTranslator, CHAT_TRUNCATED_MESSAGE, chatFinishReason, chatUsage } from '../../src/translate/responses-to-chat-stream.ts';
import { ChatCompletionAggregator } from '../../src/translate/chat-completion-aggregate.ts';
import type { ChatCompletionChunk } from '../../src/wire/openai-chat.ts';
import type { ResponsesEvent } from '../../src/wire/responses-stream.ts';
import { OWN_FIXTURES, readFixture } from './stream-support.ts';
import { sharedFixture } from '../support/shared-fixtures.ts';

function run(events: ResponsesEvent[], includeUsage = true) {
  const t = new ChatStreamTranslator({ id: 'chatcmpl-test', model: 'client-model', created: 1700000000, includeUsage });
  const chunks: ChatCompletionChunk[] = [];
  for (const ev of events) t.push(ev, chunks);
  t.end();
  const agg = new ChatCompletionAggregator();
  agg.add(chunks);
  return { t, chunks, completion: agg.completion(t.usage) };
}

/** What every successful chunk stream must satisfy. */
function checkInvariants(chunks: ChatCompletionChunk[], includeUsage: boolean): void {
  assert.ok(chunks.length >= 2);
  assert.deepEqual(chunks[0].choices[0].delta, { role: 'assistant', content: '', refusal: null }, 'the role chunk first');
  for (const c of chunks) {
    assert.equal(c.id, 'chatcmpl-test');
    assert.equal(c.object, 'chat.completion.chunk');
    assert.equal(c.model, 'client-model');
  }
  const finishes = chunks.filter((c) => c.choices[0]?.finish_reason);
  assert.equal(finishes.length, 1, 'exactly one finish_reason');
  if (includeUsage) {
    const last = chunks[chunks.length - 1];
    assert.deepEqual(last.choices, [], 'the usage chunk has no choices');
    assert.ok(last.usage);
    for (const c of chunks.slice(0, -1)) assert.equal(c.usage, null, 'usage: null until the last chunk');
    assert.equal(chunks[chunks.length - 2], finishes[0], 'finish_reason right before the usage chunk');
  } else {
    for (const c of chunks) assert.equal('usage' in c, false);
    assert.equal(chunks[chunks.length - 1], finishes[0]);
  }
}

interface Case {
  /** null: a shared fixture that is absent here (the case is skipped) */
  fixture: URL | string | null;
  content: string | null;
  tools?: Array<[string, string]>;
  refusal?: string;
  reasoning?: RegExp;
  finish: string;
  usage?: { prompt: number; cached: number; completion: number; reasoning: number };
}

const CASES: Case[] = [
  { fixture: new URL('text-deltas.jsonl', OWN_FIXTURES), content: 'The quick brown fox jumps over the lazy dog.\nSecond line.', finish: 'stop', usage: { prompt: 120, cached: 0, completion: 14, reasoning: 0 } },
  { fixture: new URL('function-call.jsonl', OWN_FIXTURES), content: null, tools: [['Read', '{"file_path":"/tmp/notes.txt"}']], finish: 'tool_calls', usage: { prompt: 1500, cached: 1024, completion: 25, reasoning: 0 } },
  {
    fixture: new URL('parallel-function-calls-interleaved.jsonl', OWN_FIXTURES), content: null,
    tools: [['Glob', '{"pattern":"**/*.ts"}'], ['Grep', '{"pattern":"TODO","path":"src"}']], finish: 'tool_calls',
  },
  { fixture: new URL('text-then-function-call.jsonl', OWN_FIXTURES), content: 'Let me list the files.', tools: [['Bash', '{"command":"ls -la","description":"List files"}']], finish: 'tool_calls' },
  { fixture: new URL('completed-only.jsonl', OWN_FIXTURES), content: 'Checking the tests now.', tools: [['Bash', '{"command":"npm test"}']], reasoning: /^Short plan\.$/, finish: 'tool_calls', usage: { prompt: 400, cached: 128, completion: 50, reasoning: 20 } },
  { fixture: new URL('incomplete-max-output-tokens.jsonl', OWN_FIXTURES), content: 'Chapter one. It was a dark and', finish: 'length' },
  { fixture: new URL('incomplete-content-filter.jsonl', OWN_FIXTURES), content: 'Here is', finish: 'content_filter' },
  { fixture: new URL('refusal.jsonl', OWN_FIXTURES), content: null, refusal: "I can't help with that.", finish: 'stop' },
  { fixture: new URL('reasoning-summary-then-text.jsonl', OWN_FIXTURES), content: 'apple, pear, plum', reasoning: /^\*\*Reading the task\*\*[\s\S]*\n\n\*\*Choosing items\*\*[\s\S]*\n\n\*\*Final check\*\*/, finish: 'stop', usage: { prompt: 900, cached: 512, completion: 210, reasoning: 180 } },
  { fixture: new URL('web-search-call.jsonl', OWN_FIXTURES), content: 'Version 2 added web search. It ships today.', finish: 'stop' },
  { fixture: sharedFixture('captured/sse/responses-function_call-exec_command.sse'), content: null, tools: [['exec_command', '{"cmd":"echo hello-from-tool"}']], finish: 'tool_calls' },
  { fixture: sharedFixture('captured/sse/responses-completed-only-empty-answer.sse'), content: 'Hi! (recorded reply)', finish: 'stop' },
  { fixture: sharedFixture('captured/sse/responses-text-minimal-accepted.sse'), content: 'Hi! (recorded reply)', finish: 'stop' },
];

describe('responses -> chat chunks: fixtures (streamed and folded agree)', () => {
  for (const c of CASES) {
    for (const includeUsage of [true, false]) {
      it(`${String(c.fixture).split('/').pop()} (include_usage: ${includeUsage})`, { skip: c.fixture === null && 'shared fixtures absent' }, () => {
        const { t, chunks, completion } = run(readFixture(c.fixture!), includeUsage);
        assert.equal(t.failed, undefined);
        checkInvariants(chunks, includeUsage);
        assert.ok(completion);
        const m = completion.choices[0].message;
        assert.equal(m.content, c.content);
        assert.equal(m.refusal, c.refusal ?? null);
        assert.deepEqual((m.tool_calls ?? []).map((tc) => [tc.function.name, tc.function.arguments]), c.tools ?? []);
        for (const tc of m.tool_calls ?? []) assert.match(tc.id, /^call_/);
        if (c.reasoning) assert.match(m.reasoning_content ?? '', c.reasoning);
        else assert.equal(m.reasoning_content, undefined);
        assert.equal(completion.choices[0].finish_reason, c.finish);
        assert.equal(completion.object, 'chat.completion');
        assert.equal(completion.model, 'client-model');
        if (c.usage) {
          assert.deepEqual(completion.usage, {
            prompt_tokens: c.usage.prompt, completion_tokens: c.usage.completion, total_tokens: c.usage.prompt + c.usage.completion,
            prompt_tokens_details: { cached_tokens: c.usage.cached }, completion_tokens_details: { reasoning_tokens: c.usage.reasoning },
          });
        }
        // every tool-call delta after the first names its index only; the first names id, type and name
        const firsts = new Set<number>();
        for (const ch of chunks) for (const d of ch.choices[0]?.delta.tool_calls ?? []) {
          if (!firsts.has(d.index)) { assert.ok(d.id && d.type === 'function' && d.function.name); firsts.add(d.index); }
          else assert.equal(d.id, undefined);
        }
      });
    }
  }
});

describe('responses -> chat chunks: failures', () => {
  const failures: Array<{ fixture: URL | string | null; code?: string; message: RegExp }> = [
    { fixture: new URL('error-then-failed.jsonl', OWN_FIXTURES), code: 'rate_limit_exceeded', message: /Rate limit/ },
    { fixture: new URL('failed-only.jsonl', OWN_FIXTURES), code: 'server_error', message: /server had an error/ },
    { fixture: new URL('truncated.jsonl', OWN_FIXTURES), message: new RegExp(CHAT_TRUNCATED_MESSAGE.slice(0, 30)) },
    { fixture: sharedFixture('responses/openai-error.1.jsonl'), code: 'insufficient_quota', message: /quota/ },
  ];
  for (const f of failures) {
    it(String(f.fixture).split('/').pop()!, { skip: f.fixture === null && 'shared fixtures absent' }, () => {
      const { t, completion } = run(readFixture(f.fixture!));
      assert.equal(t.state, 'failed');
      assert.equal(t.failed?.code, f.code);
      assert.match(t.failed?.message ?? '', f.message);
      assert.equal(completion, undefined, 'nothing to fold without a finish_reason');
    });
  }
  it('no event after a failure produces output', () => {
    const t = new ChatStreamTranslator({ id: 'c', model: 'm', created: 0, includeUsage: false });
    const out: ChatCompletionChunk[] = [];
    t.push({ type: 'error', error: { code: 'server_error', message: 'boom' } }, out);
    t.push({ type: 'response.output_text.delta', delta: 'late', item_id: 'x' }, out);
    assert.deepEqual(out, []);
    assert.equal(t.hasOutput, false);
  });
});

describe('responses -> chat chunks: edge cases', () => {
  it('deltas only (no output_item.done, empty output in response.completed) are not sent twice', () => {
    const events: ResponsesEvent[] = [
      { type: 'response.created', response: { id: 'r', status: 'in_progress', output: [] } },
      { type: 'response.output_text.delta', item_id: 'msg_1', output_index: 0, delta: 'Hel' },
      { type: 'response.output_text.delta', item_id: 'msg_1', output_index: 0, delta: 'lo' },
      { type: 'response.completed', response: { id: 'r', status: 'completed', output: [] } },
    ];
    const { completion } = run(events);
    assert.equal(completion?.choices[0].message.content, 'Hello');
  });
  it('a whole item after its deltas adds only what is missing', () => {
    const item = { id: 'msg_1', type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hello world' }] };
    const events: ResponsesEvent[] = [
      { type: 'response.output_item.added', output_index: 0, item: { ...item, content: [] } },
      { type: 'response.output_text.delta', item_id: 'msg_1', output_index: 0, delta: 'Hello' },
      { type: 'response.output_item.done', output_index: 0, item },
      { type: 'response.completed', response: { id: 'r', status: 'completed', output: [item] } },
    ];
    assert.equal(run(events).completion?.choices[0].message.content, 'Hello world');
  });
  it('hasOutput turns on with content, not with the role chunk or reasoning', () => {
    const t = new ChatStreamTranslator({ id: 'c', model: 'm', created: 0, includeUsage: false });
    const out: ChatCompletionChunk[] = [];
    t.push({ type: 'response.created', response: { id: 'r' } }, out);
    t.push({ type: 'response.reasoning_summary_text.delta', item_id: 'rs', delta: 'hmm', summary_index: 0 }, out);
    assert.equal(t.hasOutput, false);
    t.push({ type: 'response.output_text.delta', item_id: 'm', delta: 'x' }, out);
    assert.equal(t.hasOutput, true);
  });
  const finishes: Array<[Parameters<typeof chatFinishReason>, string]> = [
    [['completed', undefined, false], 'stop'], [['completed', undefined, true], 'tool_calls'],
    [['incomplete', 'max_output_tokens', false], 'length'], [['incomplete', 'content_filter', true], 'content_filter'],
  ];
  for (const [args, want] of finishes) it(`finish_reason ${args.join('/')} -> ${want}`, () => assert.equal(chatFinishReason(...args), want));
  it('usage: missing or odd numbers count as 0; cached never above prompt', () => {
    assert.deepEqual(chatUsage(null), { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } });
    assert.equal(chatUsage({ input_tokens: 10, input_tokens_details: { cached_tokens: 50 }, output_tokens: -1 }).prompt_tokens_details.cached_tokens, 10);
  });
});
