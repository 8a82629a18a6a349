import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toResponsesRequest } from '../../src/translate/request-to-responses.ts';
import type { RequestTranslationOptions } from '../../src/translate/request-to-responses.ts';
import { promptCacheKey } from '../../src/translate/prompt-cache-key.ts';
import { TOOL_ERROR_MARKER } from '../../src/translate/convert-content.ts';
import type { MessagesRequest, MessageParam } from '../../src/wire/anthropic-request.ts';
import type { FunctionTool, InputItem } from '../../src/wire/responses-request.ts';

const OPTS: RequestTranslationOptions = {
  upstreamModel: 'gpt-5-codex',
  defaultEffort: 'medium',
  store: false,
  forwardSamplingParams: false,
};

function translate(req: Partial<MessagesRequest>, opts: Partial<RequestTranslationOptions> = {}) {
  return toResponsesRequest({ model: 'claude-opus-4-8', messages: [], ...req } as MessagesRequest, { ...OPTS, ...opts });
}

const inputOf = (messages: MessageParam[], extra: Partial<MessagesRequest> = {}): InputItem[] =>
  translate({ messages, ...extra }).body.input;

const userText = (text: string): InputItem => ({ type: 'message', role: 'user', content: [{ type: 'input_text', text }] });
const assistantText = (text: string): InputItem => ({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] });
const developer = (...texts: string[]): InputItem => ({ type: 'message', role: 'developer', content: texts.map((text) => ({ type: 'input_text' as const, text })) });

describe('request envelope', () => {
  it('is shaped like a Codex CLI request', () => {
    const { body } = translate({ messages: [{ role: 'user', content: 'hi' }], stream: false });
    assert.equal(body.model, 'gpt-5-codex');
    assert.equal(body.stream, true, 'always streams upstream, even for a non-streaming client');
    assert.equal(body.instructions, undefined, 'no top-level instructions');
    assert.deepEqual(body.tools, []);
    assert.equal(body.tool_choice, 'auto');
    assert.equal(body.parallel_tool_calls, true);
    assert.deepEqual(body.reasoning, { effort: 'medium', summary: 'auto' });
    assert.equal(body.store, false);
    assert.deepEqual(body.include, ['reasoning.encrypted_content']);
    assert.equal('prompt_cache_key' in body, false, 'no metadata, no key');
    assert.equal('text' in body, false);
  });

  it('takes store from the options', () => {
    assert.equal(translate({}, { store: true }).body.store, true);
    assert.equal(translate({}, { store: false }).body.store, false);
  });

  it('never forwards Claude-only fields', () => {
    const { body } = translate({
      messages: [{ role: 'user', content: 'hi' }],
      metadata: { user_id: 'user_1' },
      context_management: { edits: [{ type: 'clear_thinking_20251015', keep: 'all' }] },
      stop_sequences: ['STOP'],
      top_k: 5,
      temperature: 0.2,
      top_p: 0.9,
      max_tokens: 64000,
      betas: ['x'],
      service_tier: 'auto',
    });
    const keys = Object.keys(body).sort();
    assert.deepEqual(keys, ['include', 'input', 'model', 'parallel_tool_calls', 'prompt_cache_key', 'reasoning', 'store', 'stream', 'tool_choice', 'tools']);
    assert.doesNotMatch(JSON.stringify(body), /cache_control|context_management|user_1/);
  });

  const sampling: Array<[string, Partial<MessagesRequest>, boolean, Record<string, unknown>]> = [
    ['off: nothing sent', { temperature: 0.5, top_p: 0.8, max_tokens: 1000 }, false, {}],
    ['on: temperature, top_p, max_output_tokens', { temperature: 0.5, top_p: 0.8, max_tokens: 1000 }, true, { temperature: 0.5, top_p: 0.8, max_output_tokens: 1000 }],
    ['on: only what the client set', { max_tokens: 32000 }, true, { max_output_tokens: 32000 }],
    ['on: max_output_tokens at least 16', { max_tokens: 1 }, true, { max_output_tokens: 16 }],
    ['on: stop and top_k still dropped', { stop_sequences: ['x'], top_k: 3 }, true, {}],
  ];
  for (const [name, req, forward, expected] of sampling) {
    it(`sampling params ${name}`, () => {
      const { body } = translate(req, { forwardSamplingParams: forward });
      const got = Object.fromEntries(
        ['temperature', 'top_p', 'max_output_tokens', 'stop', 'top_k'].filter((k) => k in body).map((k) => [k, (body as unknown as Record<string, unknown>)[k]]),
      );
      assert.deepEqual(got, expected);
    });
  }

  it('output_config.format json_schema -> text.format', () => {
    const schema = { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', properties: { title: { type: 'string' } }, required: ['title'], additionalProperties: false };
    const { body } = translate({ output_config: { effort: 'low', format: { type: 'json_schema', schema } } });
    assert.deepEqual(body.text, {
      format: { type: 'json_schema', name: 'output', schema: { type: 'object', properties: { title: { type: 'string' } }, required: ['title'], additionalProperties: false }, strict: false },
    });
  });

  it('prompt_cache_key comes from metadata.user_id and hides the session id', () => {
    const metadata = { user_id: JSON.stringify({ device_id: '0'.repeat(64), account_uuid: '', session_id: '11111111-2222-3333-4444-555555555555' }) };
    const { body } = translate({ metadata });
    assert.equal(body.prompt_cache_key, promptCacheKey(metadata));
    assert.match(body.prompt_cache_key ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.doesNotMatch(JSON.stringify(body), /11111111-2222/);
  });
});

describe('reasoning', () => {
  const cases: Array<[string, Partial<MessagesRequest>, Partial<RequestTranslationOptions>, { effort: string; summary?: string }]> = [
    ['default effort when nothing asks', {}, {}, { effort: 'medium', summary: 'auto' }],
    ['output_config.effort', { output_config: { effort: 'low' } }, {}, { effort: 'low', summary: 'auto' }],
    ['forced effort wins over output_config', { output_config: { effort: 'low' } }, { forcedEffort: 'high' }, { effort: 'high', summary: 'auto' }],
    ['thinking budget', { thinking: { type: 'enabled', budget_tokens: 31999 } }, {}, { effort: 'high', summary: 'auto' }],
    ['adaptive -> default', { thinking: { type: 'adaptive' } }, { defaultEffort: 'low' }, { effort: 'low', summary: 'auto' }],
    ['disabled -> lowest supported, no summary', { thinking: { type: 'disabled' } }, { supportedEfforts: ['minimal', 'low', 'medium', 'high'] }, { effort: 'minimal' }],
    ['output_config beats thinking disabled; summary still omitted', { thinking: { type: 'disabled' }, output_config: { effort: 'high' } }, {}, { effort: 'high' }],
    ['max -> highest supported', { output_config: { effort: 'max' } }, { supportedEfforts: ['low', 'medium', 'high', 'xhigh'] }, { effort: 'xhigh', summary: 'auto' }],
    ['clamped to supported', { output_config: { effort: 'low' } }, { supportedEfforts: ['medium', 'high'] }, { effort: 'medium', summary: 'auto' }],
  ];
  for (const [name, req, opts, expected] of cases) {
    it(name, () => assert.deepEqual(translate(req, opts).body.reasoning, expected));
  }
});

describe('system prompt', () => {
  const cases: Array<[string, MessagesRequest['system'], InputItem[]]> = [
    ['string -> one developer message', 'Be brief.', [developer('Be brief.')]],
    ['blocks -> one developer message, one part per block', [{ type: 'text', text: 'A' }, { type: 'text', text: 'B', cache_control: { type: 'ephemeral' } }], [developer('A', 'B')]],
    ['billing header block dropped', [{ type: 'text', text: 'x-anthropic-billing-header: cc_version=9.9.9; cc_entrypoint=cli;' }, { type: 'text', text: 'A' }], [developer('A')]],
    ['empty blocks dropped', [{ type: 'text', text: '' }, { type: 'text', text: 'A' }], [developer('A')]],
    ['nothing left -> no developer message', [{ type: 'text', text: 'x-anthropic-billing-header: cc_version=1;' }], []],
    ['empty string -> nothing', '', []],
  ];
  for (const [name, system, expected] of cases) {
    it(name, () => assert.deepEqual(inputOf([], { system }), expected));
  }

  it('system message inside messages -> developer message at its position', () => {
    const input = inputOf([
      { role: 'user', content: 'one' },
      { role: 'system', content: 'Note for the model.' },
      { role: 'user', content: 'two' },
    ], { system: 'S' });
    assert.deepEqual(input, [developer('S'), userText('one'), developer('Note for the model.'), userText('two')]);
  });

  it('system message with text blocks', () => {
    assert.deepEqual(inputOf([{ role: 'system', content: [{ type: 'text', text: 'X' }, { type: 'text', text: '' }] }]), [developer('X')]);
  });
});

describe('user and assistant content', () => {
  const png = 'iVBORw0KGgo=';
  const cases: Array<[string, MessageParam[], InputItem[]]> = [
    ['user string', [{ role: 'user', content: 'hi' }], [userText('hi')]],
    ['user text blocks -> one message, parts in order', [{ role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }],
      [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'a' }, { type: 'input_text', text: 'b' }] }]],
    ['empty text blocks dropped', [{ role: 'user', content: [{ type: 'text', text: '' }, { type: 'text', text: 'b' }] }], [userText('b')]],
    ['message left empty is dropped', [{ role: 'user', content: [{ type: 'text', text: '' }] }, { role: 'user', content: '' }], []],
    ['assistant string -> output_text', [{ role: 'assistant', content: 'ok' }], [assistantText('ok')]],
    ['assistant text blocks -> output_text', [{ role: 'assistant', content: [{ type: 'text', text: 'x' }, { type: 'text', text: 'y' }] }],
      [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'x' }, { type: 'output_text', text: 'y' }] }]],
    ['base64 image', [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } }] }],
      [{ type: 'message', role: 'user', content: [{ type: 'input_image', image_url: `data:image/png;base64,${png}`, detail: 'auto' }] }]],
    ['url image', [{ role: 'user', content: [{ type: 'image', source: { type: 'url', url: 'https://example.com/a.jpg' } }] }],
      [{ type: 'message', role: 'user', content: [{ type: 'input_image', image_url: 'https://example.com/a.jpg', detail: 'auto' }] }]],
    ['base64 PDF with title', [{ role: 'user', content: [{ type: 'document', title: 'spec.pdf', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' } }] }],
      [{ type: 'message', role: 'user', content: [{ type: 'input_file', filename: 'spec.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' }] }]],
    ['base64 PDF without title', [{ role: 'user', content: [{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' } }] }],
      [{ type: 'message', role: 'user', content: [{ type: 'input_file', filename: 'document.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' }] }]],
    ['url PDF', [{ role: 'user', content: [{ type: 'document', source: { type: 'url', url: 'https://example.com/a.pdf' } }] }],
      [{ type: 'message', role: 'user', content: [{ type: 'input_file', file_url: 'https://example.com/a.pdf' }] }]],
    ['plain-text document', [{ role: 'user', content: [{ type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'body text' } }] }],
      [userText('body text')]],
    ['plain-text document with title and context', [{ role: 'user', content: [{ type: 'document', title: 'Notes', context: 'from the wiki', source: { type: 'text', media_type: 'text/plain', data: 'body' } }] }],
      [userText('Notes\nfrom the wiki\n\nbody')]],
    ['content document', [{ role: 'user', content: [{ type: 'document', source: { type: 'content', content: [{ type: 'text', text: 'p1' }, { type: 'text', text: 'p2' }] } }] }],
      [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'p1' }, { type: 'input_text', text: 'p2' }] }]],
    ['file_id image -> placeholder text', [{ role: 'user', content: [{ type: 'image', source: { type: 'file', file_id: 'file_1' } }] }],
      [userText('[image omitted: Anthropic file_id references cannot be forwarded]')]],
    ['search_result -> text', [{ role: 'user', content: [{ type: 'search_result', title: 'T', source: 'https://s', content: [{ type: 'text', text: 'c' }] }] }],
      [userText('T\nhttps://s\nc')]],
    ['web search blocks become text of the assistant turn', [{ role: 'assistant', content: [{ type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: { query: 'q' } }, { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_1', content: [] }, { type: 'text', text: 'found' }] }],
      [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: '[web search: "q"]' }, { type: 'output_text', text: '[web search results: none]' }, { type: 'output_text', text: 'found' }] }]],
    ['other server-tool blocks dropped', [{ role: 'assistant', content: [{ type: 'server_tool_use', id: 'srvtoolu_1', name: 'code_execution', input: { code: 'x' } }, { type: 'code_execution_tool_result', tool_use_id: 'srvtoolu_1', content: {} }, { type: 'text', text: 'found' }] }],
      [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: '[code_execution: {"code":"x"}]' }, { type: 'output_text', text: 'found' }] }]],
    ['cache_control never forwarded', [{ role: 'user', content: [{ type: 'text', text: 'c', cache_control: { type: 'ephemeral' } }] }], [userText('c')]],
  ];
  for (const [name, messages, expected] of cases) {
    it(name, () => assert.deepEqual(inputOf(messages), expected));
  }
});

describe('thinking blocks', () => {
  const cases: Array<[string, MessageParam[], InputItem[]]> = [
    ['signed thinking -> reasoning item where it was', [{ role: 'assistant', content: [{ type: 'thinking', thinking: 'plan', signature: 'gAAAA_sig' }, { type: 'text', text: 'answer' }] }],
      [{ type: 'reasoning', summary: [{ type: 'summary_text', text: 'plan' }], encrypted_content: 'gAAAA_sig' }, assistantText('answer')]],
    ['signed thinking with empty text -> empty summary', [{ role: 'assistant', content: [{ type: 'thinking', thinking: '', signature: 'gAAAA_sig' }] }],
      [{ type: 'reasoning', summary: [], encrypted_content: 'gAAAA_sig' }]],
    ['unsigned thinking dropped', [{ role: 'assistant', content: [{ type: 'thinking', thinking: 'plan' }, { type: 'thinking', thinking: 'p', signature: '' }, { type: 'text', text: 'a' }] }],
      [assistantText('a')]],
    ['redacted thinking dropped', [{ role: 'assistant', content: [{ type: 'redacted_thinking', data: 'xyz' }, { type: 'text', text: 'a' }] }], [assistantText('a')]],
    ['text, thinking, text keep their order', [{ role: 'assistant', content: [{ type: 'text', text: 'a' }, { type: 'thinking', thinking: 't', signature: 's' }, { type: 'text', text: 'b' }] }],
      [assistantText('a'), { type: 'reasoning', summary: [{ type: 'summary_text', text: 't' }], encrypted_content: 's' }, assistantText('b')]],
  ];
  for (const [name, messages, expected] of cases) {
    it(name, () => assert.deepEqual(inputOf(messages), expected));
  }
});

describe('tool calls and results', () => {
  const use = (id: string, name = 'Bash', input: unknown = { command: 'ls' }) => ({ type: 'tool_use' as const, id, name, input });
  const call = (id: string, name = 'Bash', args = '{"command":"ls"}'): InputItem => ({ type: 'function_call', call_id: id, name, arguments: args });
  const out = (id: string, output: Extract<InputItem, { type: 'function_call_output' }>['output']): InputItem => ({ type: 'function_call_output', call_id: id, output });

  const cases: Array<[string, MessageParam[], InputItem[]]> = [
    ['tool_use -> function_call with JSON arguments', [{ role: 'assistant', content: [use('toolu_1')] }], [call('toolu_1')]],
    ['text then tool_use', [{ role: 'assistant', content: [{ type: 'text', text: 'Listing.' }, use('toolu_1')] }], [assistantText('Listing.'), call('toolu_1')]],
    ['string result', [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'a.txt' }] }], [out('toolu_1', 'a.txt')]],
    ['text blocks joined with newline', [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'l1' }, { type: 'text', text: 'l2' }] }] }], [out('toolu_1', 'l1\nl2')]],
    ['no content -> empty string', [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1' }] }], [out('toolu_1', '')]],
    ['is_error string marked', [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'exit 1', is_error: true }] }], [out('toolu_1', `${TOOL_ERROR_MARKER} exit 1`)]],
    ['is_error without content still marked', [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', is_error: true }] }], [out('toolu_1', TOOL_ERROR_MARKER)]],
    ['is_error false unmarked', [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'ok', is_error: false }] }], [out('toolu_1', 'ok')]],
    ['image in result -> array output', [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'shot' }, { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: 'AAA' } }] }] }],
      [out('toolu_1', [{ type: 'input_text', text: 'shot' }, { type: 'input_image', image_url: 'data:image/jpeg;base64,AAA', detail: 'auto' }])]],
    ['is_error with image -> marker part first', [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', is_error: true, content: [{ type: 'image', source: { type: 'url', url: 'https://e/x.png' } }] }] }],
      [out('toolu_1', [{ type: 'input_text', text: TOOL_ERROR_MARKER }, { type: 'input_image', image_url: 'https://e/x.png', detail: 'auto' }])]],
    ['PDF in result -> input_file', [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBE' } }] }] }],
      [out('toolu_1', [{ type: 'input_file', filename: 'document.pdf', file_data: 'data:application/pdf;base64,JVBE' }])]],
    ['results come before user text of the same message', [
      { role: 'assistant', content: [use('toolu_1'), use('toolu_2', 'Read', { file_path: '/a' })] },
      { role: 'user', content: [{ type: 'text', text: 'reminder' }, { type: 'tool_result', tool_use_id: 'toolu_1', content: 'r1' }, { type: 'tool_result', tool_use_id: 'toolu_2', content: 'r2' }] },
    ], [call('toolu_1'), call('toolu_2', 'Read', '{"file_path":"/a"}'), out('toolu_1', 'r1'), out('toolu_2', 'r2'), userText('reminder')]],
    ['cache_control on a result is not forwarded', [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'x', cache_control: { type: 'ephemeral' } }] }], [out('toolu_1', 'x')]],
  ];
  for (const [name, messages, expected] of cases) {
    it(name, () => assert.deepEqual(inputOf(messages), expected));
  }

  it('long tool names in history use the same short name as the tool list', () => {
    const long = `mcp__${'a'.repeat(60)}__read_the_file`;
    const { body, toolNames } = translate({
      tools: [{ name: long, input_schema: { type: 'object', properties: {} } }],
      messages: [{ role: 'assistant', content: [use('toolu_9', long, {})] }],
    });
    assert.equal((body.tools[0] as FunctionTool).name, 'mcp__read_the_file');
    assert.deepEqual(body.input, [call('toolu_9', 'mcp__read_the_file', '{}')]);
    assert.equal(toolNames.toOriginal('mcp__read_the_file'), long);
  });
});

describe('tools', () => {
  it('custom tool -> function tool, $schema and cache_control removed, strict false', () => {
    const { body } = translate({
      tools: [{
        name: 'Bash',
        description: 'Run a command',
        input_schema: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', properties: { command: { type: 'string' } }, required: ['command'], additionalProperties: false },
        cache_control: { type: 'ephemeral' },
      }],
    });
    assert.deepEqual(body.tools, [{
      type: 'function', name: 'Bash', description: 'Run a command', strict: false,
      parameters: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'], additionalProperties: false },
    }]);
  });

  const params: Array<[string, Record<string, unknown> | undefined, Record<string, unknown>]> = [
    ['missing schema -> empty object', undefined, { type: 'object', properties: {} }],
    ['schema without type -> object', { properties: { a: { type: 'string' } } }, { type: 'object', properties: { a: { type: 'string' } } }],
    ['nested $schema kept (only top level removed)', { type: 'object', properties: { a: { $schema: 'x', type: 'string' } } }, { type: 'object', properties: { a: { $schema: 'x', type: 'string' } } }],
  ];
  for (const [name, schema, expected] of params) {
    it(name, () => assert.deepEqual((translate({ tools: [{ name: 'T', input_schema: schema }] }).body.tools[0] as FunctionTool).parameters, expected));
  }

  it('server tools are dropped except web search, custom-typed tools kept', () => {
    const { body } = translate({
      tools: [
        { type: 'web_search_20250305', name: 'web_search', max_uses: 3 },
        { type: 'bash_20250124', name: 'bash' },
        { type: 'custom', name: 'Mine', input_schema: { type: 'object', properties: {} } },
      ],
    });
    assert.deepEqual(body.tools.map((t) => (t.type === 'function' ? t.name : t.type)), ['Mine', 'web_search']);
  });

  it('tool without description has no description key', () => {
    assert.equal('description' in translate({ tools: [{ name: 'T' }] }).body.tools[0], false);
  });

  const tools = [{ name: 'Bash', input_schema: { type: 'object' } }, { name: 'Read', input_schema: { type: 'object' } }];
  const choices: Array<[string, Partial<MessagesRequest>, unknown, boolean]> = [
    ['none given -> auto, parallel', { tools }, 'auto', true],
    ['auto', { tools, tool_choice: { type: 'auto' } }, 'auto', true],
    ['any -> required', { tools, tool_choice: { type: 'any' } }, 'required', true],
    ['none -> none', { tools, tool_choice: { type: 'none' } }, 'none', true],
    ['tool -> function', { tools, tool_choice: { type: 'tool', name: 'Read' } }, { type: 'function', name: 'Read' }, true],
    ['disable_parallel_tool_use', { tools, tool_choice: { type: 'auto', disable_parallel_tool_use: true } }, 'auto', false],
    ['any + disable_parallel_tool_use', { tools, tool_choice: { type: 'any', disable_parallel_tool_use: true } }, 'required', false],
    ['named tool not among the tools -> required', { tools, tool_choice: { type: 'tool', name: 'Gone' } }, 'required', true],
    ['no tools -> auto even for any', { tool_choice: { type: 'any' } }, 'auto', true],
    ['named long tool uses the short name', { tools: [{ name: 'x'.repeat(70) }], tool_choice: { type: 'tool', name: 'x'.repeat(70) } }, 'function:short', true],
  ];
  for (const [name, req, expected, parallel] of choices) {
    it(`tool_choice: ${name}`, () => {
      const { body } = translate(req);
      if (expected === 'function:short') {
        assert.deepEqual(body.tool_choice, { type: 'function', name: (body.tools[0] as FunctionTool).name });
        assert.ok((body.tools[0] as FunctionTool).name.length <= 64);
      } else {
        assert.deepEqual(body.tool_choice, expected);
      }
      assert.equal(body.parallel_tool_calls, parallel);
    });
  }
});

describe('a full Claude-Code-shaped request', () => {
  const schemaUrl = 'https://json-schema.org/draft/2020-12/schema';
  const session = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
  const req: MessagesRequest = {
    model: 'claude-opus-4-8',
    max_tokens: 64000,
    stream: true,
    system: [
      { type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.197.abc; cc_entrypoint=cli;' },
      { type: 'text', text: 'You are a coding helper in a terminal.', cache_control: { type: 'ephemeral' } },
      { type: 'text', text: 'Follow the repository conventions.\nWorking directory: /home/dev/project', cache_control: { type: 'ephemeral' } },
    ],
    tools: [
      {
        name: 'Bash',
        description: 'Runs a shell command.',
        input_schema: { $schema: schemaUrl, type: 'object', properties: { command: { type: 'string', description: 'The command' } }, required: ['command'], additionalProperties: false },
      },
      {
        name: 'Read',
        description: 'Reads a file.',
        input_schema: { $schema: schemaUrl, type: 'object', properties: { file_path: { type: 'string' } }, required: ['file_path'], additionalProperties: false },
      },
    ],
    messages: [
      { role: 'user', content: [{ type: 'text', text: '<system-reminder>Today is Monday.</system-reminder>' }, { type: 'text', text: 'What is in the screenshot, and list the files.' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgoAAAA' } }] },
      { role: 'system', content: 'Agent types available: general.' },
      {
        role: 'assistant',
        content: [
          { type: 'thinking', thinking: 'I should look at the files first.', signature: 'gAAAAA_encrypted_1' },
          { type: 'text', text: 'Let me list the files.' },
          { type: 'tool_use', id: 'toolu_01', name: 'Bash', input: { command: 'ls' }, cache_control: { type: 'ephemeral' } },
        ],
      },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: 'README.md\nsrc', is_error: false, cache_control: { type: 'ephemeral' } }] },
      { role: 'assistant', content: [{ type: 'text', text: 'The screenshot shows a terminal; files: README.md, src.' }] },
      { role: 'user', content: 'Thanks.' },
    ],
    metadata: { user_id: JSON.stringify({ device_id: '0'.repeat(64), account_uuid: '', session_id: session }) },
    thinking: { type: 'adaptive' },
    context_management: { edits: [{ type: 'clear_thinking_20251015', keep: 'all' }] },
    output_config: { effort: 'high' },
  };
  const { body, toolNames } = toResponsesRequest(req, { ...OPTS, supportedEfforts: ['low', 'medium', 'high'] });

  it('input, item by item', () => {
    const expected: InputItem[] = [
      developer('You are a coding helper in a terminal.', 'Follow the repository conventions.\nWorking directory: /home/dev/project'),
      {
        type: 'message', role: 'user', content: [
          { type: 'input_text', text: '<system-reminder>Today is Monday.</system-reminder>' },
          { type: 'input_text', text: 'What is in the screenshot, and list the files.' },
          { type: 'input_image', image_url: 'data:image/png;base64,iVBORw0KGgoAAAA', detail: 'auto' },
        ],
      },
      developer('Agent types available: general.'),
      { type: 'reasoning', summary: [{ type: 'summary_text', text: 'I should look at the files first.' }], encrypted_content: 'gAAAAA_encrypted_1' },
      assistantText('Let me list the files.'),
      { type: 'function_call', call_id: 'toolu_01', name: 'Bash', arguments: '{"command":"ls"}' },
      { type: 'function_call_output', call_id: 'toolu_01', output: 'README.md\nsrc' },
      assistantText('The screenshot shows a terminal; files: README.md, src.'),
      userText('Thanks.'),
    ];
    assert.equal(body.input.length, expected.length);
    expected.forEach((item, i) => assert.deepEqual(body.input[i], item, `input[${i}]`));
  });

  it('tools', () => {
    assert.deepEqual(body.tools, [
      { type: 'function', name: 'Bash', description: 'Runs a shell command.', strict: false, parameters: { type: 'object', properties: { command: { type: 'string', description: 'The command' } }, required: ['command'], additionalProperties: false } },
      { type: 'function', name: 'Read', description: 'Reads a file.', strict: false, parameters: { type: 'object', properties: { file_path: { type: 'string' } }, required: ['file_path'], additionalProperties: false } },
    ]);
    assert.equal(toolNames.toOriginal('Bash'), 'Bash');
  });

  it('envelope', () => {
    assert.equal(body.model, 'gpt-5-codex');
    assert.equal(body.stream, true);
    assert.equal(body.tool_choice, 'auto');
    assert.equal(body.parallel_tool_calls, true);
    assert.deepEqual(body.reasoning, { effort: 'high', summary: 'auto' });
    assert.equal(body.store, false);
    assert.deepEqual(body.include, ['reasoning.encrypted_content']);
    assert.equal(body.prompt_cache_key, promptCacheKey(req.metadata));
    assert.equal('max_output_tokens' in body, false);
    const text = JSON.stringify(body);
    for (const banned of ['x-anthropic-billing-header', 'cache_control', '$schema', 'context_management', session, 'clear_thinking']) {
      assert.equal(text.includes(banned), false, `${banned} must not reach the upstream`);
    }
  });

  it('the developer prefix is the same on the next turn (cacheable)', () => {
    const next = structuredClone(req);
    (next.system as Array<{ type: 'text'; text: string }>)[0].text = 'x-anthropic-billing-header: cc_version=2.1.197.def; cc_entrypoint=cli;';
    next.messages.push({ role: 'assistant', content: 'You are welcome.' });
    const again = toResponsesRequest(next, { ...OPTS, supportedEfforts: ['low', 'medium', 'high'] }).body;
    assert.deepEqual(again.input.slice(0, body.input.length), body.input);
    assert.deepEqual(again.tools, body.tools);
    assert.equal(again.prompt_cache_key, body.prompt_cache_key);
  });
});
