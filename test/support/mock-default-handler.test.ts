// The default handler's decisions (what a Claude Code session driving the mock gets back).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ResponsesEvent } from '../../src/wire/responses-stream.ts';
import type { RecordedRequest } from './mock-upstream.ts';
import { createDefaultHandler, MOCK_HELLO, readTurn, sampleForSchema } from './mock-default-handler.ts';
import type { Scenario } from './response-scenarios.ts';

const bash = { type: 'function', name: 'Bash', strict: false, parameters: { type: 'object', properties: { command: { type: 'string' }, description: { type: 'string' }, timeout: { type: 'number' } } } };
const read = { type: 'function', name: 'Read', strict: false, parameters: { type: 'object', properties: { file_path: { type: 'string' } } } };
const shell = { type: 'function', name: 'shell', strict: false, parameters: { type: 'object', properties: { command: { type: 'string' } } } };
const user = (...texts: string[]) => ({ type: 'message', role: 'user', content: texts.map((text) => ({ type: 'input_text', text })) });

function req(body: Record<string, unknown>): RecordedRequest {
  return { method: 'POST', path: '/v1/responses', headers: {}, body: { model: 'gpt-5-codex', tools: [bash, read], ...body }, aborted: false, remotePort: 0, finished: Promise.resolve() };
}

/** What the scenario amounts to: terminal type, output item types, the text, the calls. */
function outcome(s: Scenario) {
  if (s.kind !== 'events') return { kind: s.kind, status: s.kind === 'http' ? s.status : undefined };
  const last = s.events.at(-1) as ResponsesEvent;
  const output = last.response?.output ?? [];
  const textOut = output.filter((o) => o.type === 'message').map((o) => (o as { content: Array<{ text: string }> }).content[0].text).join('');
  const calls = output.filter((o) => o.type === 'function_call').map((o) => ({ name: (o as { name: string }).name, args: JSON.parse((o as { arguments: string }).arguments) }));
  return { kind: 'events', terminal: last.type, types: output.map((o) => o.type), text: textOut, calls, model: last.response?.model };
}

const decide = (body: Record<string, unknown>) => outcome(createDefaultHandler()(req(body)));

test('plain prompt -> a short hello naming the model', () => {
  const o = decide({ model: 'gpt-5-mini', input: [user('say hi')] });
  assert.equal(o.terminal, 'response.completed');
  assert.equal(o.text, `${MOCK_HELLO} (model: gpt-5-mini)`);
  assert.equal(o.model, 'gpt-5-mini');
});

test('RUN: <command> -> a function_call to Bash with command and description', () => {
  const o = decide({ input: [user('<system-reminder>context</system-reminder>', 'Please RUN: echo hello-from-mock')] });
  assert.deepEqual(o.types, ['function_call']);
  assert.deepEqual(o.calls, [{ name: 'Bash', args: { command: 'echo hello-from-mock', description: 'run it' } }]);
});

test('RUN: without a Bash tool uses the tool with a command parameter', () => {
  const o = decide({ tools: [read, shell], input: [user('RUN: ls -la /tmp')] });
  assert.deepEqual(o.calls, [{ name: 'shell', args: { command: 'ls -la /tmp' } }]);
});

test('RUN: with no command tool at all -> text saying so', () => {
  const o = decide({ tools: [read], input: [user('RUN: ls')] });
  assert.deepEqual(o.types, ['message']);
  assert.match(o.text ?? '', /no command tool/);
});

test('a function_call_output in the current turn -> text quoting it', () => {
  const input = [
    user('RUN: echo hi'),
    { type: 'function_call', call_id: 'call_1', name: 'Bash', arguments: '{"command":"echo hi"}' },
    { type: 'function_call_output', call_id: 'call_1', output: 'hi\n' },
  ];
  assert.equal(decide({ input }).text, 'The command printed: hi');
  const arrayOutput = [...input.slice(0, 2), { type: 'function_call_output', call_id: 'call_1', output: [{ type: 'input_text', text: 'from array' }] }];
  assert.equal(decide({ input: arrayOutput }).text, 'The command printed: from array');
});

test('a mid-conversation system/user message after the tool output still quotes the output', () => {
  const input = [
    user('RUN: echo hi'),
    { type: 'function_call', call_id: 'call_1', name: 'Bash', arguments: '{}' },
    { type: 'function_call_output', call_id: 'call_1', output: 'hi' },
    user('<system-reminder>note</system-reminder>'),
  ];
  assert.equal(decide({ input }).text, 'The command printed: hi');
});

test('markers from an earlier turn are not acted on again', () => {
  const input = [
    user('RUN: echo hi'),
    { type: 'function_call', call_id: 'call_1', name: 'Bash', arguments: '{}' },
    { type: 'function_call_output', call_id: 'call_1', output: 'hi' },
    { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'The command printed: hi' }] },
    user('thanks'),
  ];
  assert.equal(decide({ input }).text, `${MOCK_HELLO} (model: gpt-5-codex)`);
});

test('THINK -> reasoning (2 summaries + encrypted content) then text', () => {
  const s = createDefaultHandler()(req({ input: [user('THINK about it')] }));
  const o = outcome(s);
  assert.deepEqual(o.types, ['reasoning', 'message']);
  assert.ok(s.kind === 'events');
  const rs = (s.events.at(-1)?.response?.output?.[0]) as { summary: unknown[]; encrypted_content: string };
  assert.equal(rs.summary.length, 2);
  assert.ok(rs.encrypted_content.length > 10);
});

test('THINK and RUN: -> reasoning then the function call', () => {
  assert.deepEqual(decide({ input: [user('THINK, then RUN: pwd')] }).types, ['reasoning', 'function_call']);
});

test('RATE_LIMIT -> HTTP 429 with retry-after: 1 and an OpenAI-shaped body', () => {
  const s = createDefaultHandler()(req({ input: [user('RATE_LIMIT please')] }));
  assert.ok(s.kind === 'http');
  assert.equal(s.status, 429);
  assert.equal(s.headers?.['retry-after'], '1');
  assert.equal(JSON.parse(s.body).error.code, 'rate_limit_exceeded');
});

test('FAIL_STREAM -> error event then response.failed', () => {
  const s = createDefaultHandler()(req({ input: [user('FAIL_STREAM now')] }));
  assert.ok(s.kind === 'events');
  assert.deepEqual(s.events.slice(-2).map((e) => e.type), ['error', 'response.failed']);
});

test('json_schema text format (title requests) -> JSON text of the schema shape', () => {
  const schema = { type: 'object', properties: { title: { type: 'string', maxLength: 12 } }, required: ['title'], additionalProperties: false };
  const o = decide({ tools: [], input: [user('RUN: make a title for this')], text: { format: { type: 'json_schema', name: 's', strict: true, schema } } });
  const value = JSON.parse(o.text ?? '');
  assert.deepEqual(Object.keys(value), ['title']);
  assert.equal(typeof value.title, 'string');
  assert.ok(value.title.length > 0 && value.title.length <= 12);
});

test('sampleForSchema covers the simple shapes', () => {
  const rows: Array<[unknown, unknown]> = [
    [{ type: 'object', properties: { title: { type: 'string' } } }, { title: 'Mock session title' }],
    [{ type: 'object', properties: { n: { type: 'integer', minimum: 3 }, ok: { type: 'boolean' }, tags: { type: 'array', items: { type: 'string' } } } }, { n: 3, ok: true, tags: [] }],
    [{ type: 'string', enum: ['a', 'b'] }, 'a'],
    [{ anyOf: [{ type: 'number' }, { type: 'null' }] }, 1],
    [{ type: ['string', 'null'], minLength: 20 }, 'mock value..........'],
  ];
  for (const [schema, want] of rows) assert.deepEqual(sampleForSchema(schema), want, JSON.stringify(schema));
});

test('a second request with the same prompt_cache_key reports cached tokens', () => {
  const h = createDefaultHandler();
  const body = { prompt_cache_key: 'sess-1', input: [user('say hi')] };
  const usage = (s: Scenario) => (s.kind === 'events' ? s.events.at(-1)?.response?.usage : undefined);
  const first = usage(h(req(body)));
  const second = usage(h(req({ ...body, input: [user('say hi'), user('again')] })));
  assert.equal(first?.input_tokens_details?.cached_tokens, 0);
  assert.equal(second?.input_tokens_details?.cached_tokens, first?.input_tokens);
  assert.ok((second?.input_tokens ?? 0) > (first?.input_tokens ?? 0));
});

test('readTurn collects user texts of the current turn, latest first', () => {
  const facts = readTurn({ input: [user('old'), { type: 'message', role: 'assistant', content: [] }, user('a', 'b'), user('c')] });
  assert.deepEqual(facts.userTexts, ['c', 'b', 'a']);
});

test('RATE_LIMIT_ONCE / FAIL_STREAM_ONCE fail the first request only; the retry is answered', () => {
  const h = createDefaultHandler();
  const body = { prompt_cache_key: 'sess-once', input: [user('RATE_LIMIT_ONCE say hi')] };
  const first = h(req(body));
  assert.ok(first.kind === 'http' && first.status === 429);
  assert.equal(outcome(h(req(body))).text, `${MOCK_HELLO} (model: gpt-5-codex)`);
  const fs = { prompt_cache_key: 'sess-once', input: [user('FAIL_STREAM_ONCE')] };
  assert.equal(outcome(h(req(fs))).terminal, 'response.failed');
  assert.equal(outcome(h(req(fs))).terminal, 'response.completed');
});

// --- today's Claude Code: web search and deferred tools ------------------------------------------------------

const toolSearch = { type: 'function', name: 'ToolSearch', strict: false, parameters: { type: 'object', properties: { query: { type: 'string' } } } };
const webSearchFn = { type: 'function', name: 'WebSearch', strict: false, parameters: { type: 'object', properties: { query: { type: 'string' } } } };
const call = (name: string, args: unknown) => ({ type: 'function_call', call_id: `call_${name}`, name, arguments: JSON.stringify(args) });
const callOutput = (name: string, output: string) => ({ type: 'function_call_output', call_id: `call_${name}`, output });

test('the hosted web_search tool offered -> a web_search_call with sources, then text citing the first', () => {
  const s = createDefaultHandler()(req({ tools: [{ type: 'web_search' }], input: [user('packybridge news')] }));
  assert.equal(s.kind, 'events');
  const events = s.kind === 'events' ? s.events : [];
  const types = events.map((e) => e.type);
  for (const t of ['response.output_item.added', 'response.web_search_call.in_progress', 'response.web_search_call.searching', 'response.web_search_call.completed', 'response.output_text.annotation.added']) {
    assert.ok(types.includes(t), t);
  }
  const done = events.find((e) => e.type === 'response.output_item.done' && e.item?.type === 'web_search_call')!;
  const action = (done.item as unknown as { action: { type: string; query: string; sources: Array<{ type: string; url: string }> } }).action;
  assert.equal(action.type, 'search');
  assert.equal(action.query, 'packybridge news');
  assert.equal(action.sources.length, 2);
  assert.ok(action.sources.every((src) => src.type === 'url' && src.url.startsWith('https://search.mock.example/')));
  assert.deepEqual(outcome(s).types, ['web_search_call', 'message']);
});

const useCases: Array<[string, Record<string, unknown>, { calls?: unknown; text?: RegExp }]> = [
  ['SEARCH: with the tool still deferred -> ToolSearch select:WebSearch', { tools: [bash, toolSearch], input: [user('SEARCH: mock news')] }, { calls: [{ name: 'ToolSearch', args: { query: 'select:WebSearch' } }] }],
  [
    'SEARCH: once WebSearch is loaded -> WebSearch {query}',
    { tools: [bash, toolSearch, webSearchFn], input: [user('SEARCH: mock news'), call('ToolSearch', { query: 'select:WebSearch' }), callOutput('ToolSearch', 'Tool loaded: WebSearch')] },
    { calls: [{ name: 'WebSearch', args: { query: 'mock news' } }] },
  ],
  [
    'the tool\'s output -> text quoting it',
    { tools: [bash, toolSearch, webSearchFn], input: [user('SEARCH: mock news'), call('WebSearch', { query: 'mock news' }), callOutput('WebSearch', 'Links: https://search.mock.example/x')] },
    { text: /The WebSearch tool answered: Links: https:\/\/search\.mock\.example\/x/ },
  ],
  ['USE: <Tool> {json} loads any deferred tool', { tools: [toolSearch], input: [user('USE: CronList {"all":true}')] }, { calls: [{ name: 'ToolSearch', args: { query: 'select:CronList' } }] }],
  ['USE: with the tool offered calls it with the JSON', { tools: [toolSearch, { type: 'function', name: 'CronList', parameters: {} }], input: [user('USE: CronList {"all":true}')] }, { calls: [{ name: 'CronList', args: { all: true } }] }],
  ['ToolSearch already tried and the tool still missing -> says so', { tools: [toolSearch], input: [user('USE: Nope {}'), call('ToolSearch', { query: 'select:Nope' }), callOutput('ToolSearch', 'no match')] }, { text: /The Nope tool is not offered/ }],
];
for (const [name, body, want] of useCases) {
  test(name, () => {
    const o = decide(body);
    if (want.calls) assert.deepEqual(o.calls, want.calls);
    if (want.text) assert.match(o.text ?? '', want.text);
  });
}

test('readTurn: conversation texts and the latest call', () => {
  const f = readTurn({ input: [user('first'), call('ToolSearch', {}), callOutput('ToolSearch', 'x'), user('second')], tools: [{ type: 'web_search' }] });
  assert.deepEqual(f.conversationTexts, ['first', 'second']);
  assert.equal(f.lastCallName, 'ToolSearch');
  assert.equal(f.webSearch, true);
});
