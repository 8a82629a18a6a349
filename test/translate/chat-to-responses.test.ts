import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chatToResponses, ChatTranslationError, type ChatTranslationOptions } from '../../src/translate/chat-to-responses.ts';
import type { ChatCompletionRequest, ChatMessage } from '../../src/wire/openai-chat.ts';
import type { InputItem, ResponsesRequest } from '../../src/wire/responses-request.ts';

const OPTS: ChatTranslationOptions = { upstreamModel: 'gpt-5-codex', defaultEffort: 'medium', store: false, forwardSamplingParams: false };

function translate(req: Partial<ChatCompletionRequest>, opts: Partial<ChatTranslationOptions> = {}): ResponsesRequest {
  return chatToResponses({ model: 'gpt-5-codex', messages: [{ role: 'user', content: 'hi' }], ...req } as ChatCompletionRequest, { ...OPTS, ...opts });
}

const user = (text: string): InputItem => ({ type: 'message', role: 'user', content: [{ type: 'input_text', text }] });
const developer = (text: string): InputItem => ({ type: 'message', role: 'developer', content: [{ type: 'input_text', text }] });
const assistant = (text: string): InputItem => ({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] });

describe('chat -> responses: envelope', () => {
  it('is shaped like a Codex CLI request', () => {
    const body = translate({ stream: false });
    assert.equal(body.model, 'gpt-5-codex');
    assert.equal(body.stream, true, 'always streams upstream');
    assert.equal(body.instructions, undefined);
    assert.deepEqual(body.input, [user('hi')]);
    assert.deepEqual(body.tools, []);
    assert.equal(body.tool_choice, 'auto');
    assert.equal(body.parallel_tool_calls, true);
    assert.deepEqual(body.reasoning, { effort: 'medium', summary: 'auto' });
    assert.equal(body.store, false);
    assert.equal('text' in body, false);
    assert.equal('max_output_tokens' in body, false);
  });
});

describe('chat -> responses: messages', () => {
  const cases: Array<{ name: string; messages: ChatMessage[]; input: InputItem[] }> = [
    { name: 'system becomes a developer message', messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'q' }], input: [developer('be brief'), user('q')] },
    { name: 'developer stays developer; text parts are joined', messages: [{ role: 'developer', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }], input: [developer('ab')] },
    { name: 'an empty system message is dropped', messages: [{ role: 'system', content: '' }, { role: 'user', content: 'q' }], input: [user('q')] },
    {
      name: 'user text, image (detail kept or auto) and file parts',
      messages: [{ role: 'user', content: [
        { type: 'text', text: 'look' },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA', detail: 'low' } },
        { type: 'image_url', image_url: { url: 'https://example.test/cat.png' } },
        { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBE', filename: 'a.pdf' } },
      ] }],
      input: [{ type: 'message', role: 'user', content: [
        { type: 'input_text', text: 'look' },
        { type: 'input_image', image_url: 'data:image/png;base64,AAAA', detail: 'low' },
        { type: 'input_image', image_url: 'https://example.test/cat.png', detail: 'auto' },
        { type: 'input_file', file_data: 'data:application/pdf;base64,JVBE', filename: 'a.pdf' },
      ] }],
    },
    {
      name: 'assistant text with parallel tool calls, then their outputs',
      messages: [
        { role: 'user', content: 'list and grep' },
        { role: 'assistant', content: 'On it.', tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'ls', arguments: '{"dir":"."}' } },
          { id: 'call_2', type: 'function', function: { name: 'grep', arguments: '{"p":"x"}' } },
        ] },
        { role: 'tool', tool_call_id: 'call_1', content: 'a.txt' },
        { role: 'tool', tool_call_id: 'call_2', content: [{ type: 'text', text: 'no ' }, { type: 'text', text: 'match' }] },
      ],
      input: [
        user('list and grep'),
        assistant('On it.'),
        { type: 'function_call', call_id: 'call_1', name: 'ls', arguments: '{"dir":"."}' },
        { type: 'function_call', call_id: 'call_2', name: 'grep', arguments: '{"p":"x"}' },
        { type: 'function_call_output', call_id: 'call_1', output: 'a.txt' },
        { type: 'function_call_output', call_id: 'call_2', output: 'no match' },
      ],
    },
    {
      name: 'assistant with null content and only tool calls',
      messages: [{ role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] }],
      input: [{ type: 'function_call', call_id: 'c', name: 'f', arguments: '{}' }],
    },
    { name: 'assistant refusal is kept as its text', messages: [{ role: 'assistant', content: null, refusal: 'I cannot.' }], input: [assistant('I cannot.')] },
    {
      name: 'the deprecated function_call / function pair, matched by name',
      messages: [{ role: 'assistant', content: null, function_call: { name: 'now', arguments: '{}' } }, { role: 'function', name: 'now', content: '12:00' }],
      input: [{ type: 'function_call', call_id: 'call_fn_now', name: 'now', arguments: '{}' }, { type: 'function_call_output', call_id: 'call_fn_now', output: '12:00' }],
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(translate({ messages: c.messages }).input, c.input));
  }

  it('audio input is refused naming the part', () => {
    assert.throws(
      () => translate({ messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'x', format: 'wav' } }] }] }),
      (e: unknown) => e instanceof ChatTranslationError && e.param === 'messages.0.content.0.type' && /not supported/.test(e.message),
    );
  });
});

describe('chat -> responses: tools and tool_choice', () => {
  const tools: ChatCompletionRequest['tools'] = [
    { type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }, strict: true } },
    { type: 'function', function: { name: 'noop' } },
  ];
  it('function tools become flat Responses tools', () => {
    assert.deepEqual(translate({ tools }).tools, [
      { type: 'function', name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }, strict: true },
      { type: 'function', name: 'noop', parameters: { type: 'object', properties: {} }, strict: false },
    ]);
  });
  const choices: Array<[ChatCompletionRequest['tool_choice'], ResponsesRequest['tool_choice']]> = [
    [undefined, 'auto'], [null, 'auto'], ['auto', 'auto'], ['none', 'none'], ['required', 'required'],
    [{ type: 'function', function: { name: 'noop' } }, { type: 'function', name: 'noop' }],
  ];
  for (const [given, want] of choices) {
    it(`tool_choice ${JSON.stringify(given)}`, () => assert.deepEqual(translate({ tools, tool_choice: given }).tool_choice, want));
  }
  it('a forced tool that was not sent is a 400 naming tool_choice', () => {
    assert.throws(() => translate({ tools, tool_choice: { type: 'function', function: { name: 'missing' } } }), /tool_choice.function.name: "missing"/);
  });
  it('parallel_tool_calls: false passes', () => assert.equal(translate({ parallel_tool_calls: false }).parallel_tool_calls, false));
});

describe('chat -> responses: response_format, effort, limits', () => {
  const formats: Array<[ChatCompletionRequest['response_format'], ResponsesRequest['text'] | undefined]> = [
    [{ type: 'text' }, undefined],
    [{ type: 'json_object' }, { format: { type: 'json_object' } }],
    [
      { type: 'json_schema', json_schema: { name: 'person', description: 'a person', schema: { type: 'object', properties: { name: { type: 'string' } } }, strict: true } },
      { format: { type: 'json_schema', name: 'person', description: 'a person', schema: { type: 'object', properties: { name: { type: 'string' } } }, strict: true } },
    ],
    [{ type: 'json_schema', json_schema: { name: 'any' } }, { format: { type: 'json_schema', name: 'any', schema: {}, strict: false } }],
  ];
  for (const [given, want] of formats) {
    it(`response_format ${given?.type} -> text.format`, () => assert.deepEqual(translate({ response_format: given }).text, want));
  }
  it('verbosity -> text.verbosity', () => assert.deepEqual(translate({ verbosity: 'low' }).text, { verbosity: 'low' }));

  const efforts: Array<{ name: string; req?: string; opts: Partial<ChatTranslationOptions>; want: string }> = [
    { name: 'default from config', opts: {}, want: 'medium' },
    { name: 'reasoning_effort wins over the default', req: 'high', opts: {}, want: 'high' },
    { name: 'a model suffix wins over reasoning_effort', req: 'low', opts: { forcedEffort: 'high' }, want: 'high' },
    { name: 'clamped to what the model accepts', req: 'minimal', opts: { supportedEfforts: ['low', 'medium', 'high'] }, want: 'low' },
  ];
  for (const e of efforts) {
    it(`reasoning effort: ${e.name}`, () => assert.equal(translate({ reasoning_effort: e.req }, e.opts).reasoning.effort, e.want));
  }

  it('max_tokens, max_completion_tokens, temperature and top_p go up only with forward-sampling-params', () => {
    const req = { max_tokens: 100, max_completion_tokens: 200, temperature: 0.2, top_p: 0.5 };
    const off = translate(req);
    assert.equal(off.max_output_tokens, undefined);
    assert.equal(off.temperature, undefined);
    const on = translate(req, { forwardSamplingParams: true });
    assert.equal(on.max_output_tokens, 200, 'max_completion_tokens wins over the deprecated max_tokens');
    assert.equal(on.temperature, 0.2);
    assert.equal(on.top_p, 0.5);
    assert.equal(translate({ max_tokens: 5 }, { forwardSamplingParams: true }).max_output_tokens, 16, 'raised to the API minimum');
  });
  it('stop is not sent (the Responses API has none); prompt_cache_key passes', () => {
    const body = translate({ stop: ['END'], prompt_cache_key: 'sess-1' });
    assert.equal('stop' in body, false);
    assert.equal(body.prompt_cache_key, 'sess-1');
  });
});
