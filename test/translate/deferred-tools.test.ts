// Deferred tools (ToolSearch) and thinking.display, in the request translation and token counting.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toResponsesRequest } from '../../src/translate/request-to-responses.ts';
import type { RequestTranslationOptions } from '../../src/translate/request-to-responses.ts';
import { loadedTools, referencedToolNames } from '../../src/translate/deferred-tools.ts';
import { thinkingBlocks, thinkingSummaries } from '../../src/translate/thinking-display.ts';
import { TokenCounter } from '../../src/translate/token-count.ts';
import type { MessageParam, MessagesRequest, ThinkingConfig, ToolDefinition } from '../../src/wire/anthropic-request.ts';
import type { FunctionTool } from '../../src/wire/responses-request.ts';
import { run, summarize } from './stream-support.ts';
import type { ResponsesEvent } from '../../src/wire/responses-stream.ts';

const OPTS: RequestTranslationOptions = { upstreamModel: 'gpt-5-codex', defaultEffort: 'medium', store: false, forwardSamplingParams: false };
const translate = (req: Partial<MessagesRequest>) =>
  toResponsesRequest({ model: 'claude-opus-5-5', messages: [{ role: 'user', content: 'hi' }], ...req } as MessagesRequest, OPTS).body;

const schema = (prop: string) => ({ type: 'object', properties: { [prop]: { type: 'string' } }, required: [prop] });
// the shapes Claude Code 2.1.332 sends: ToolSearch, deferred tools, and its placeholder
const TOOLS: ToolDefinition[] = [
  { name: 'Bash', description: 'Run a command', input_schema: schema('command') },
  { name: 'ToolSearch', description: 'Load deferred tools', input_schema: schema('query') },
  { name: 'Lookup', description: 'Look a word up', input_schema: schema('word'), defer_loading: true },
  { name: 'Translate', description: 'Translate a text', input_schema: schema('text'), defer_loading: true },
  { name: 'DeferredToolPlaceholder', description: 'Reserved placeholder', input_schema: { type: 'object', properties: {} }, defer_loading: true },
];

const searchCall: MessageParam = { role: 'assistant', content: [{ type: 'tool_use', id: 'call_ts1', name: 'ToolSearch', input: { query: 'select:Lookup' } }] };
const searchResult = (...names: string[]): MessageParam => ({
  role: 'user',
  content: [
    { type: 'tool_result', tool_use_id: 'call_ts1', content: names.map((tool_name) => ({ type: 'tool_reference', tool_name })) },
    { type: 'text', text: 'Tool loaded.' },
  ],
});
const toolNames = (req: Partial<MessagesRequest>) => translate(req).tools.map((t) => (t as FunctionTool).name);

describe('deferred tools', () => {
  const cases: Array<[string, MessageParam[], string[]]> = [
    ['nothing loaded yet: only the tools that are not deferred go upstream', [{ role: 'user', content: 'hi' }], ['Bash', 'ToolSearch']],
    ['a tool_reference in a tool_result loads that tool, in full', [{ role: 'user', content: 'hi' }, searchCall, searchResult('Lookup')], ['Bash', 'ToolSearch', 'Lookup']],
    ['two references load two', [{ role: 'user', content: 'hi' }, searchCall, searchResult('Lookup', 'Translate')], ['Bash', 'ToolSearch', 'Lookup', 'Translate']],
    [
      'a top-level tool_reference counts too',
      [{ role: 'user', content: [{ type: 'tool_reference', tool_name: 'Translate' } as never, { type: 'text', text: 'use it' }] }], ['Bash', 'ToolSearch', 'Translate'],
    ],
    ['a reference to a tool the request does not define loads nothing', [{ role: 'user', content: 'hi' }, searchCall, searchResult('Elsewhere')], ['Bash', 'ToolSearch']],
  ];
  for (const [name, messages, expected] of cases) it(name, () => assert.deepEqual(toolNames({ tools: TOOLS, messages }), expected));

  it('no upstream tool carries defer_loading, and the placeholder never goes', () => {
    const body = translate({ tools: TOOLS, messages: [{ role: 'user', content: 'hi' }, searchCall, searchResult('Lookup', 'Translate', 'DeferredToolPlaceholder')] });
    for (const tool of body.tools) assert.equal('defer_loading' in tool, false);
    const lookup = body.tools.find((t) => (t as FunctionTool).name === 'Lookup') as FunctionTool;
    assert.deepEqual(lookup, { type: 'function', name: 'Lookup', description: 'Look a word up', strict: false, parameters: schema('word') });
  });

  it('tool_reference blocks inside a tool_result become text naming the loaded tools', () => {
    const body = translate({ tools: TOOLS, messages: [{ role: 'user', content: 'hi' }, searchCall, searchResult('Lookup', 'Translate')] });
    const output = body.input.find((i) => i.type === 'function_call_output');
    assert.deepEqual(output, {
      type: 'function_call_output', call_id: 'call_ts1',
      output: 'Tool loaded: Lookup (its full definition is now in your tool list; call it directly)\n' +
        'Tool loaded: Translate (its full definition is now in your tool list; call it directly)',
    });
  });

  it('referencedToolNames finds names at any depth Claude Code puts them; loadedTools keeps order', () => {
    const names = referencedToolNames([searchResult('A'), { role: 'user', content: [{ type: 'tool_reference', tool_name: 'B' } as never] }, { role: 'user', content: 'x' }]);
    assert.deepEqual([...names].sort(), ['A', 'B']);
    assert.deepEqual(loadedTools(undefined, []), []);
    assert.deepEqual(loadedTools(TOOLS, [searchResult('Translate')]).map((t) => t.name), ['Bash', 'ToolSearch', 'Translate']);
  });

  it('count_tokens counts the loaded deferred tools only', () => {
    const counter = new TokenCounter();
    const base = { model: 'claude-opus-5-5', messages: [{ role: 'user' as const, content: 'hi' }] };
    const withoutDeferred = counter.count({ ...base, tools: TOOLS.slice(0, 2) });
    assert.equal(counter.count({ ...base, tools: TOOLS }), withoutDeferred, 'unloaded deferred tools are not sent, so not counted');
    const loaded = counter.count({ ...base, tools: TOOLS, messages: [...base.messages, searchCall, searchResult('Lookup')] });
    const loadedPlain = counter.count({ ...base, tools: TOOLS.slice(0, 3).map(({ defer_loading: _d, ...t }) => t), messages: [...base.messages, searchCall, searchResult('Lookup')] });
    assert.equal(loaded, loadedPlain);
  });
});

describe('thinking.display', () => {
  const cases: Array<[string, ThinkingConfig | undefined, boolean, boolean, unknown]> = [
    ['absent: summaries', undefined, true, true, { effort: 'medium', summary: 'auto' }],
    ['adaptive, summarized', { type: 'adaptive', display: 'summarized' }, true, true, { effort: 'medium', summary: 'auto' }],
    ['adaptive, updates (the terminal UI): summaries', { type: 'adaptive', display: 'updates' }, true, true, { effort: 'medium', summary: 'auto' }],
    ['adaptive, omitted (claude -p): no summaries asked, signature-only blocks', { type: 'adaptive', display: 'omitted' }, true, false, { effort: 'medium' }],
    ['enabled, omitted', { type: 'enabled', budget_tokens: 10_000, display: 'omitted' }, true, false, { effort: 'medium' }],
    ['disabled: no blocks, no summaries', { type: 'disabled' }, false, false, { effort: 'low' }],
  ];
  for (const [name, thinking, blocks, summaries, reasoning] of cases) {
    it(name, () => {
      assert.equal(thinkingBlocks(thinking), blocks);
      assert.equal(thinkingSummaries(thinking), summaries);
      assert.deepEqual(translate(thinking ? { thinking } : {}).reasoning, reasoning);
    });
  }

  it('omitted: a reasoning item becomes a thinking block with the signature and no text, even if text arrives', () => {
    const events: ResponsesEvent[] = [
      { type: 'response.created', response: { id: 'r', status: 'in_progress', output: [] } },
      { type: 'response.output_item.added', output_index: 0, item: { id: 'rs', type: 'reasoning', summary: [] } },
      { type: 'response.reasoning_summary_text.delta', output_index: 0, item_id: 'rs', summary_index: 0, delta: 'hidden' },
      { type: 'response.reasoning_text.delta', output_index: 0, item_id: 'rs', content_index: 0, delta: 'raw hidden' },
      { type: 'response.output_item.done', output_index: 0, item: { id: 'rs', type: 'reasoning', summary: [{ type: 'summary_text', text: 'hidden' }], encrypted_content: 'enc_sig' } },
      { type: 'response.output_text.delta', output_index: 1, item_id: 'm', content_index: 0, delta: 'answer' },
      { type: 'response.completed', response: { id: 'r', status: 'completed', output: [], usage: { input_tokens: 1, output_tokens: 1 } } },
    ];
    const { out } = run(events, { thinkingText: false });
    assert.deepEqual(summarize(out).blocks, [{ type: 'thinking', thinking: '', signature: 'enc_sig' }, { type: 'text', text: 'answer' }]);
    assert.ok(!JSON.stringify(out).includes('hidden'));
  });
});
