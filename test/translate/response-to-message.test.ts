import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import type { ResponsesEvent } from '../../src/wire/responses-stream.ts';
import { StreamTranslator } from '../../src/translate/stream-to-anthropic.ts';
import { MessageAggregator, parseToolInput, translateResponseEvents } from '../../src/translate/response-to-message.ts';
import { OWN_FIXTURES, readFixture, run, summarize } from './stream-support.ts';
import { sharedFixture } from '../support/shared-fixtures.ts';

const opts = { model: 'claude-test-model', messageId: 'msg_agg' };
const fixture = (name: string) => readFixture(new URL(name, OWN_FIXTURES));

describe('translateResponseEvents on own fixtures', () => {
  const cases: Array<{ file: string; content?: unknown[]; stop?: string; usage?: unknown; error?: string }> = [
    {
      file: 'text-deltas.jsonl', stop: 'end_turn',
      content: [{ type: 'text', text: 'The quick brown fox jumps over the lazy dog.\nSecond line.' }],
      usage: { input_tokens: 120, output_tokens: 14, cache_read_input_tokens: 0 },
    },
    {
      file: 'reasoning-summary-then-text.jsonl', stop: 'end_turn',
      content: [
        { type: 'thinking', thinking: '**Reading the task**\n\nThe user wants a list of three items.\n\n**Choosing items**\n\nFruit works well.\n\n**Final check**\n\nThree items, comma separated.', signature: 'gAAAA_pb_final_signature' },
        { type: 'text', text: 'apple, pear, plum' },
      ],
    },
    {
      file: 'reasoning-encrypted-no-summary.jsonl', stop: 'end_turn',
      content: [{ type: 'thinking', thinking: '', signature: 'gAAAA_pb_only_signature' }, { type: 'text', text: 'Done.' }],
    },
    { file: 'function-call.jsonl', stop: 'tool_use', content: [{ type: 'tool_use', id: 'call_pb_read01', name: 'Read', input: { file_path: '/tmp/notes.txt' } }] },
    {
      file: 'parallel-function-calls-interleaved.jsonl', stop: 'tool_use',
      content: [
        { type: 'tool_use', id: 'call_pb_glob', name: 'Glob', input: { pattern: '**/*.ts' } },
        { type: 'tool_use', id: 'call_pb_grep', name: 'Grep', input: { pattern: 'TODO', path: 'src' } },
      ],
    },
    {
      file: 'text-then-function-call.jsonl', stop: 'tool_use',
      content: [{ type: 'text', text: 'Let me list the files.' }, { type: 'tool_use', id: 'call_pb_ls01', name: 'Bash', input: { command: 'ls -la', description: 'List files' } }],
    },
    { file: 'refusal.jsonl', stop: 'refusal', content: [{ type: 'text', text: "I can't help with that." }] },
    { file: 'incomplete-max-output-tokens.jsonl', stop: 'max_tokens', content: [{ type: 'text', text: 'Chapter one. It was a dark and' }] },
    {
      file: 'completed-only.jsonl', stop: 'tool_use',
      content: [
        { type: 'thinking', thinking: 'Short plan.', signature: 'gAAAA_pb_co_signature' },
        { type: 'text', text: 'Checking the tests now.' },
        { type: 'server_tool_use', id: 'srvtoolu_ws_pb_co01', name: 'web_search', input: { query: 'x' } },
        { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_ws_pb_co01', content: [] },
        { type: 'tool_use', id: 'call_pb_co01', name: 'Bash', input: { command: 'npm test' } },
      ],
    },
    {
      file: 'web-search-call.jsonl', stop: 'end_turn',
      content: [
        { type: 'server_tool_use', id: 'srvtoolu_ws_pb_ws02a', name: 'web_search', input: { query: 'packybridge release notes' } },
        {
          type: 'web_search_tool_result', tool_use_id: 'srvtoolu_ws_pb_ws02a', content: [
            { type: 'web_search_result', url: 'https://example.org/packybridge/releases', title: 'https://example.org/packybridge/releases', encrypted_content: '', page_age: null },
            { type: 'web_search_result', url: 'https://news.example.com/gateways', title: 'https://news.example.com/gateways', encrypted_content: '', page_age: null },
          ],
        },
        { type: 'server_tool_use', id: 'srvtoolu_ws_pb_ws02b', name: 'web_fetch', input: { url: 'https://example.org/packybridge/releases' } },
        {
          type: 'web_fetch_tool_result', tool_use_id: 'srvtoolu_ws_pb_ws02b', content: {
            type: 'web_fetch_result', url: 'https://example.org/packybridge/releases', retrieved_at: null,
            content: { type: 'document', source: { type: 'text', media_type: 'text/plain', data: '' }, title: null, citations: null },
          },
        },
        {
          type: 'text', text: 'Version 2 added web search. It ships today.', citations: [{
            type: 'web_search_result_location', url: 'https://example.org/packybridge/releases', title: 'packybridge releases',
            cited_text: 'Version 2 added web search.', encrypted_index: Buffer.from('0:27').toString('base64'),
          }],
        },
      ],
      usage: { input_tokens: 900, output_tokens: 60, cache_read_input_tokens: 0, server_tool_use: { web_search_requests: 1, web_fetch_requests: 1 } },
    },
    { file: 'error-then-failed.jsonl', error: 'rate_limit_error' },
    { file: 'failed-only.jsonl', error: 'api_error' },
    { file: 'truncated.jsonl', error: 'api_error' },
  ];
  for (const c of cases) {
    it(c.file, () => {
      const r = translateResponseEvents(fixture(c.file), opts);
      if (c.error) {
        assert.equal(r.message, null);
        assert.equal(r.error!.type, c.error);
        assert.ok(r.error!.message.length > 0);
        return;
      }
      assert.equal(r.error, null);
      const m = r.message!;
      assert.equal(m.id, 'msg_agg');
      assert.equal(m.type, 'message');
      assert.equal(m.role, 'assistant');
      assert.equal(m.model, 'claude-test-model');
      assert.equal(m.stop_sequence, null);
      assert.equal(m.stop_reason, c.stop);
      assert.deepEqual(m.content, c.content);
      if (c.usage) assert.deepEqual(m.usage, c.usage);
    });
  }
});

describe('the aggregate equals what the stream delivers', () => {
  const files = readdirSync(OWN_FIXTURES).filter((f) => f.endsWith('.jsonl'));
  const shared = [sharedFixture('responses/'), sharedFixture('captured/sse/')]
    .filter((d): d is string => d !== null && existsSync(d))
    .flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.jsonl') || (f.startsWith('responses-') && f.endsWith('.sse'))).map((f) => d + f));
  for (const path of [...files.map((f) => new URL(f, OWN_FIXTURES).pathname), ...shared]) {
    it(path.split('/').pop()!, () => {
      const events = readFixture(path);
      const s = summarize(run(events, opts).out);
      const r = translateResponseEvents(events, opts);
      if (s.outcome === 'error') {
        assert.deepEqual(r, { message: null, error: s.error });
        return;
      }
      const m = r.message!;
      assert.equal(m.stop_reason, s.stopReason);
      assert.deepEqual(m.usage, s.usage);
      assert.equal(m.content.length, s.blocks.length);
      m.content.forEach((b, i) => {
        const sb = s.blocks[i];
        assert.equal(b.type, sb.type);
        if (b.type === 'text') assert.equal(b.text, sb.text);
        if (b.type === 'thinking') { assert.equal(b.thinking, sb.thinking); assert.equal(b.signature, sb.signature ?? ''); }
        if (b.type === 'tool_use') { assert.equal(b.id, sb.id); assert.equal(b.name, sb.name); assert.deepEqual(b.input, parseToolInput(sb.json!)); }
      });
    });
  }
});

describe('MessageAggregator', () => {
  const created: ResponsesEvent = { type: 'response.created', response: { id: 'r', status: 'in_progress', output: [] } };
  const completed: ResponsesEvent = { type: 'response.completed', response: { id: 'r', status: 'completed', output: [] } };
  const fc = (args: string[], name = 'Bash'): ResponsesEvent[] => [
    { type: 'response.output_item.added', output_index: 0, item: { id: 'fc', type: 'function_call', call_id: 'call_1', name, arguments: '' } },
    ...args.map((delta): ResponsesEvent => ({ type: 'response.function_call_arguments.delta', output_index: 0, item_id: 'fc', delta })),
  ];

  it('tool input: concatenated JSON parsed; empty -> {}', () => {
    assert.deepEqual(translateResponseEvents([created, ...fc(['{"a":', '[1,2]}']), completed], opts).message!.content,
      [{ type: 'tool_use', id: 'call_1', name: 'Bash', input: { a: [1, 2] } }]);
    assert.deepEqual(translateResponseEvents([created, ...fc([]), completed], opts).message!.content,
      [{ type: 'tool_use', id: 'call_1', name: 'Bash', input: {} }]);
  });
  it('tool input that is not JSON is a clear error naming the tool', () => {
    const r = translateResponseEvents([created, ...fc(['{"a":', 'oops'], 'Edit'), completed], opts);
    assert.equal(r.message, null);
    assert.equal(r.error!.type, 'api_error');
    assert.match(r.error!.message, /"Edit".*not valid JSON/);
  });
  it('a tool call cut off by max_output_tokens is dropped, the rest kept', () => {
    const r = translateResponseEvents([
      created,
      { type: 'response.output_text.delta', output_index: 0, item_id: 'm', delta: 'Let me edit.' },
      { type: 'response.output_item.done', output_index: 0, item: { id: 'm', type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Let me edit.' }] } },
      { type: 'response.output_item.added', output_index: 1, item: { id: 'fc', type: 'function_call', call_id: 'call_1', name: 'Edit', arguments: '' } },
      { type: 'response.function_call_arguments.delta', output_index: 1, item_id: 'fc', delta: '{"file' },
      { type: 'response.incomplete', response: { id: 'r', status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } } },
    ], opts);
    assert.equal(r.error, null);
    assert.equal(r.message!.stop_reason, 'max_tokens');
    assert.deepEqual(r.message!.content, [{ type: 'text', text: 'Let me edit.' }]);
  });
  it('incremental use: add() per push, error and complete flags', () => {
    const t = new StreamTranslator(opts);
    const agg = new MessageAggregator();
    agg.add(t.push(created));
    agg.add(t.push({ type: 'response.output_text.delta', output_index: 0, item_id: 'm', delta: 'hi' }));
    assert.equal(agg.complete, false);
    assert.throws(() => agg.result(), /not complete/);
    assert.equal(agg.outcome().error!.type, 'api_error');
    agg.add(t.push(completed));
    agg.add(t.end());
    assert.equal(agg.complete, true);
    assert.equal(agg.error, null);
    assert.deepEqual(agg.result().content, [{ type: 'text', text: 'hi' }]);
  });
  it('an error event makes result() throw and outcome() return the error', () => {
    const t = new StreamTranslator(opts);
    const agg = new MessageAggregator();
    agg.add(t.push(created));
    agg.add(t.push({ type: 'error', code: 'insufficient_quota', message: 'no money' }));
    assert.equal(agg.error!.type, 'invalid_request_error');
    assert.throws(() => agg.result(), /quota/);
    assert.deepEqual(agg.outcome(), { message: null, error: agg.error });
  });
  it('emitThinking false: no thinking in the message', () => {
    const r = translateResponseEvents(fixture('reasoning-summary-then-text.jsonl'), { ...opts, emitThinking: false });
    assert.deepEqual(r.message!.content, [{ type: 'text', text: 'apple, pear, plum' }]);
  });
});

describe('parseToolInput', () => {
  const cases: Array<[string, unknown]> = [
    ['', {}], ['  ', {}], ['{}', {}], ['{"a":1}', { a: 1 }], ['{"a":', undefined], ['[1]', undefined], ['null', undefined], ['"s"', undefined],
  ];
  for (const [json, want] of cases) it(JSON.stringify(json), () => assert.deepEqual(parseToolInput(json), want));
});
