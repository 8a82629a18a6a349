// The official `openai` SDK against the gateway's OpenAI-compatible entries over real HTTP, the mock Responses
// upstream behind it: client.responses.create and client.chat.completions.create, streaming and not, tools,
// structured output, usage and accounting, and every error in OpenAI's shape.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startHarness, rawRequest, CLIENT_KEY, type Harness } from './sdk-harness.ts';
import { text, functionCalls, streamError, httpError, openaiErrorBody, rawSse, sequence, toSse } from '../support/response-scenarios.ts';
import { relayTuning } from '../../src/relay/relay.ts';
import type { RequestRecord } from '../../src/accounting/request-record.ts';
import { MemoryRoutingState } from '../../src/state/memory-routing-state.ts';

let h: Harness;
let openai: OpenAI;
const records: RequestRecord[] = [];
const savedRetry = relayTuning.retry;
before(async () => {
  relayTuning.retry = { delaysMs: [10, 10], maxRetryAfterMs: 4000 };
  h = await startHarness();
  h.gw.runtime.observers.push({ record: (r) => { records.push(r); } });
  openai = new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: CLIENT_KEY, maxRetries: 0, timeout: 20_000 });
});
after(async () => { relayTuning.retry = savedRetry; await h.close(); });
// each test starts with every key healthy: the failure tests below leave the key resting (quota, rate limits)
beforeEach(() => { h.mock.reset(); records.length = 0; h.gw.runtime.routingState = new MemoryRoutingState(); });

const USAGE = { input_tokens: 300, input_tokens_details: { cached_tokens: 120 }, output_tokens: 9, output_tokens_details: { reasoning_tokens: 4 } };

test('responses.create: the Responses API passes through; model routed, store forced off, reply names the client model', async () => {
  h.mock.enqueue(text('Plain answer.', { usage: USAGE }));
  const r = await openai.responses.create({ model: 'gpt-5-codex-high', input: 'Say something', store: true, reasoning: { effort: 'low' } });
  assert.equal(r.output_text, 'Plain answer.');
  assert.equal(r.status, 'completed');
  assert.equal(r.model, 'gpt-5-codex-high', 'the name the client asked for');
  assert.equal(r.usage?.input_tokens, 300);
  const up = h.lastUpstream();
  assert.equal(up.path, '/v1/responses');
  assert.equal(up.headers.authorization, 'Bearer sk-test-upstream-key-1234', 'the upstream key, not the client key');
  assert.equal(up.body.model, 'gpt-5-codex');
  assert.deepEqual(up.body.reasoning, { effort: 'high' }, 'the suffix wins over the request');
  assert.equal(up.body.store, false, 'privacy.disable-response-storage');
  assert.equal(up.body.stream, true);
  assert.equal(up.body.input, 'Say something', 'the input as sent');
  assert.equal(records.length, 1);
  assert.deepEqual(
    { route: records[0].route, modelAsked: records[0].modelAsked, modelUsed: records[0].modelUsed, stream: records[0].stream, status: records[0].status, inputTokens: records[0].inputTokens, cached: records[0].cachedInputTokens, out: records[0].outputTokens, client: records[0].client },
    { route: 'responses', modelAsked: 'gpt-5-codex-high', modelUsed: 'gpt-5-codex', stream: false, status: 200, inputTokens: 180, cached: 120, out: 9, client: 'key-1' }, // a bare api-keys entry is named by its position
  );
});

test('responses.create({stream:true}): the events arrive as the upstream sent them, tools included', async () => {
  h.mock.enqueue(functionCalls([{ name: 'exec_command', arguments: { cmd: 'ls' } }], { usage: USAGE }));
  const stream = await openai.responses.create({
    model: 'gpt-5-codex', stream: true,
    input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'list files' }] }],
    tools: [{ type: 'function', name: 'exec_command', parameters: { type: 'object', properties: { cmd: { type: 'string' } } }, strict: false }],
  });
  const types: string[] = [];
  let done: OpenAI.Responses.ResponseFunctionToolCall | undefined;
  let completed: OpenAI.Responses.Response | undefined;
  for await (const ev of stream) {
    types.push(ev.type);
    if (ev.type === 'response.output_item.done' && ev.item.type === 'function_call') done = ev.item;
    if (ev.type === 'response.completed') completed = ev.response;
  }
  assert.equal(types[0], 'response.created');
  assert.equal(types.at(-1), 'response.completed');
  assert.ok(types.includes('response.function_call_arguments.delta'));
  assert.equal(done?.name, 'exec_command');
  assert.deepEqual(JSON.parse(done!.arguments), { cmd: 'ls' });
  assert.equal(completed?.model, 'gpt-5-codex');
  assert.equal(records[0].stream, true);
  assert.equal(records[0].outputTokens, 9);
});

test('chat.completions.create: text, usage with cached tokens, finish_reason stop', async () => {
  h.mock.enqueue(text('Hi from chat.', { usage: USAGE }));
  const c = await openai.chat.completions.create({
    model: 'gpt-5-codex',
    messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello' }],
    reasoning_effort: 'low', max_completion_tokens: 500, stop: ['END'],
  });
  assert.equal(c.object, 'chat.completion');
  assert.match(c.id, /^chatcmpl-/);
  assert.equal(c.model, 'gpt-5-codex');
  assert.equal(c.choices[0].message.content, 'Hi from chat.');
  assert.equal(c.choices[0].finish_reason, 'stop');
  assert.deepEqual(c.usage, { prompt_tokens: 300, completion_tokens: 9, total_tokens: 309, prompt_tokens_details: { cached_tokens: 120 }, completion_tokens_details: { reasoning_tokens: 4 } });
  const up = h.lastUpstream().body;
  assert.deepEqual(up.input, [
    { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'Be brief.' }] },
    { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hello' }] },
  ]);
  assert.equal(up.reasoning.effort, 'low');
  assert.equal(up.max_output_tokens, undefined, 'not forwarded unless forward-sampling-params');
  assert.equal(records[0].route, 'chat_completions');
  assert.equal(records[0].inputTokens + records[0].cachedInputTokens, 300);
  assert.ok(h.gw.logLines.some((l) => l.includes('"ignored":["stop"]')), 'the ignored stop is logged by name');
});

test('chat.completions stream with include_usage: deltas, finish_reason, a last usage chunk', async () => {
  h.mock.enqueue(text('One two three four.', { usage: USAGE }));
  const stream = await openai.chat.completions.create({
    model: 'gpt-5-codex', stream: true, stream_options: { include_usage: true },
    messages: [{ role: 'user', content: 'Count' }],
  });
  let out = '';
  const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
  for await (const ch of stream) { chunks.push(ch); out += ch.choices[0]?.delta.content ?? ''; }
  assert.equal(out, 'One two three four.');
  assert.ok(chunks.length >= 5);
  assert.equal(chunks[0].choices[0].delta.role, 'assistant');
  assert.equal(chunks.at(-2)?.choices[0].finish_reason, 'stop');
  assert.deepEqual(chunks.at(-1)?.choices, []);
  assert.equal(chunks.at(-1)?.usage?.prompt_tokens_details?.cached_tokens, 120);
});

test('chat.completions: a tool round trip with the SDK (parallel calls, then the tool results)', async () => {
  const tools: OpenAI.Chat.ChatCompletionTool[] = [
    { type: 'function', function: { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } },
  ];
  h.mock.enqueue(functionCalls([{ name: 'get_weather', arguments: { city: 'Paris' } }, { name: 'get_weather', arguments: { city: 'Rome' } }], { interleave: true }));
  const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Paris and Rome?' }];
  const stream = openai.chat.completions.stream({ model: 'gpt-5-codex', messages, tools, tool_choice: 'auto' });
  const first = await stream.finalChatCompletion();
  assert.equal(first.choices[0].finish_reason, 'tool_calls');
  const calls = first.choices[0].message.tool_calls ?? [];
  assert.equal(calls.length, 2);
  assert.deepEqual(calls.map((c) => c.type === 'function' && JSON.parse(c.function.arguments).city), ['Paris', 'Rome']);
  const up1 = h.lastUpstream().body;
  assert.deepEqual(up1.tools, [{ type: 'function', name: 'get_weather', description: 'Weather for a city', parameters: tools[0].type === 'function' ? tools[0].function.parameters : {}, strict: false }]);
  assert.equal(up1.parallel_tool_calls, true);

  messages.push(first.choices[0].message);
  for (const c of calls) messages.push({ role: 'tool', tool_call_id: c.id, content: c.type === 'function' && c.function.arguments.includes('Paris') ? 'sunny' : 'rainy' });
  const second = await openai.chat.completions.create({ model: 'gpt-5-codex', messages, tools });
  assert.match(second.choices[0].message.content ?? '', /^The command printed: /, 'the mock answered the tool output');
  const up2 = h.lastUpstream().body;
  assert.deepEqual(up2.input.map((i: { type: string }) => i.type), ['message', 'function_call', 'function_call', 'function_call_output', 'function_call_output']);
  assert.deepEqual(up2.input.slice(1, 3).map((i: { call_id: string }) => i.call_id), calls.map((c) => c.id));
});

test('chat.completions: response_format json_schema becomes text.format and the JSON comes back', async () => {
  const c = await openai.chat.completions.create({
    model: 'gpt-5-codex',
    messages: [{ role: 'user', content: 'A person please' }],
    response_format: { type: 'json_schema', json_schema: { name: 'person', strict: true, schema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'], additionalProperties: false } } },
  });
  assert.deepEqual(h.lastUpstream().body.text.format.name, 'person');
  assert.equal(typeof JSON.parse(c.choices[0].message.content ?? 'null').name, 'string');
});

test('errors are OpenAI-shaped: wrong key 401, bad body 400 with param, not found 404', async () => {
  const wrong = new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: 'not-a-client-key', maxRetries: 0 });
  await assert.rejects(wrong.chat.completions.create({ model: 'gpt-5', messages: [{ role: 'user', content: 'x' }] }), (e: unknown) => {
    assert.ok(e instanceof OpenAI.AuthenticationError);
    assert.equal(e.code, 'invalid_api_key');
    assert.equal(e.type, 'invalid_request_error');
    return true;
  });
  const missing = await rawRequest(`${h.gw.url}/v1/responses`, 'POST', { model: 'gpt-5', input: 'x' });
  assert.equal(missing.status, 401);
  assert.match(missing.json.error.message, /OPENAI_API_KEY/);
  assert.equal(missing.json.type, undefined, 'no Anthropic envelope');

  await assert.rejects(openai.chat.completions.create({ model: 'gpt-5', messages: [] }), (e: unknown) => {
    assert.ok(e instanceof OpenAI.BadRequestError);
    assert.equal(e.param, 'messages');
    assert.match(e.message, /messages/);
    return true;
  });
  const badJson = await h.post('/v1/chat/completions', '{"model": ', { authorization: `Bearer ${CLIENT_KEY}` });
  assert.equal(badJson.status, 400);
  assert.equal(badJson.json.error.type, 'invalid_request_error');
  assert.match(badJson.json.error.message, /not valid JSON/);
  const unknownPart = await h.post('/v1/chat/completions', { model: 'gpt-5', messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: {} }] }] });
  assert.equal(unknownPart.status, 400);
  assert.equal(unknownPart.json.error.param, 'messages.0.content.0.type');
  const nf = await h.post('/v1/chat/nothing', {});
  assert.equal(nf.status, 404);
  assert.equal(nf.json.error.type, 'invalid_request_error');
  assert.equal(h.mock.requests.length, 0, 'nothing was forwarded');
  // the Anthropic routes keep their own shape
  const anth = await rawRequest(`${h.gw.url}/v1/messages`, 'POST', { model: 'x' });
  assert.equal(anth.json.type, 'error');
});

test('upstream failures before the first byte: 429 after short retries, quota 429 not retried, stream error 5xx', async () => {
  h.mock.enqueue(httpError(429, openaiErrorBody(429), { 'retry-after': '0' }), httpError(429, openaiErrorBody(429), { 'retry-after': '0' }), httpError(429, openaiErrorBody(429), { 'retry-after': '0' }));
  await assert.rejects(openai.chat.completions.create({ model: 'gpt-5', messages: [{ role: 'user', content: 'x' }] }), (e: unknown) => {
    assert.ok(e instanceof OpenAI.RateLimitError);
    assert.equal(e.code, 'rate_limit_exceeded');
    assert.match(e.message, /tried 3 times/);
    return true;
  });
  assert.equal(h.mock.requests.length, 3);

  h.mock.reset();
  h.gw.runtime.routingState = new MemoryRoutingState(); // the key rests after the 429s: start healthy again
  h.mock.enqueue(httpError(429, openaiErrorBody(429, { type: 'insufficient_quota', code: 'insufficient_quota', message: 'You exceeded your current quota.' })));
  const quota = await h.post('/v1/responses', { model: 'gpt-5', input: 'x', stream: true });
  assert.equal(quota.status, 429);
  assert.equal(quota.json.error.code, 'insufficient_quota');
  assert.equal(quota.headers.get('x-should-retry'), 'false');
  assert.equal(h.mock.requests.length, 1, 'a quota error is not retried');
  const resting = await h.post('/v1/responses', { model: 'gpt-5', input: 'x' });
  assert.equal(resting.status, 429, 'the out-of-quota key rests: the next request is answered at once');
  assert.equal(resting.json.error.type, 'rate_limit_error');
  assert.equal(h.mock.requests.length, 1, 'and sent nowhere');

  h.gw.runtime.routingState = new MemoryRoutingState();

  h.mock.enqueue(streamError('server_error', 'The upstream failed on purpose.'));
  await assert.rejects(async () => {
    const s = await openai.responses.create({ model: 'gpt-5', input: 'x', stream: true });
    for await (const _ of s) { /* drain */ }
  }, (e: unknown) => { assert.ok(e instanceof OpenAI.InternalServerError, `${(e as Error).constructor.name} ${(e as {status?: number}).status}`); assert.match(e.message, /failed on purpose/); return true; });
  assert.equal(records.at(-1)?.errorKind, 'stream-error');
});

test('a stream cut after its first byte ends with an error the SDKs raise (chat) or an error event (responses)', async () => {
  const cut = () => {
    const s = sequence().start().message('Partial answer that never', ['Partial ', 'answer ', 'that never']);
    return rawSse(toSse(s.events), { end: 'destroy' });
  };
  h.mock.enqueue(cut());
  let got = '';
  await assert.rejects(async () => {
    const s = await openai.chat.completions.create({ model: 'gpt-5', stream: true, messages: [{ role: 'user', content: 'x' }] });
    for await (const ch of s) got += ch.choices[0]?.delta.content ?? '';
  }, (e: unknown) => e instanceof OpenAI.APIError);
  assert.equal(got, 'Partial answer that never', 'what came before the cut was delivered');

  h.mock.enqueue(cut());
  const raw = await h.post('/v1/responses', { model: 'gpt-5', input: 'x', stream: true });
  assert.equal(raw.status, 200);
  assert.match(raw.text, /event: error\ndata: \{"type":"error"/);
  assert.doesNotMatch(raw.text, /response\.completed/);
});

test('privacy: no prompt or reply text in the logs of the OpenAI routes', async () => {
  const secret = 'PROMPT-SECRET-7f3a';
  h.mock.enqueue(text('REPLY-SECRET-91bc'));
  await openai.chat.completions.create({ model: 'gpt-5', messages: [{ role: 'user', content: secret }] });
  h.mock.enqueue(text('REPLY-SECRET-91bc'));
  await openai.responses.create({ model: 'gpt-5', input: secret });
  const logs = h.gw.logLines.join('\n');
  assert.ok(logs.includes('/v1/chat/completions') && logs.includes('/v1/responses'));
  assert.doesNotMatch(logs, /SECRET/);
});
