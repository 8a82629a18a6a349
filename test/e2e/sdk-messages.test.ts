// The official Anthropic SDK against the gateway over real HTTP, the mock Responses upstream behind it:
// streaming helpers, raw stream events and non-streaming replies for each kind of upstream output.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { startHarness, type Harness } from './sdk-harness.ts';
import {
  text, reasoningThenText, functionCalls, textThenFunctionCall, refusal, incomplete, rawSse, toSse, jsonResponse, slow, httpError,
} from '../support/response-scenarios.ts';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });
beforeEach(() => { h.mock.reset(); });

const ask = (content: string, extra: Record<string, unknown> = {}) => ({
  model: 'gpt-5-codex', max_tokens: 2048, messages: [{ role: 'user' as const, content }], ...extra,
}) as Anthropic.MessageCreateParamsNonStreaming;

const ENCRYPTED = 'gAAAAB-test-encrypted-reasoning-0123456789';

test('messages.stream(): text events and finalMessage()', async () => {
  h.mock.enqueue(text('Hello there, from the mock.', { usage: { input_tokens: 120, input_tokens_details: { cached_tokens: 20 }, output_tokens: 7 } }));
  const stream = h.client.messages.stream(ask('Say hello'));
  const seen: string[] = [];
  let textOut = '';
  stream.on('streamEvent', (ev) => { seen.push(ev.type); });
  stream.on('text', (delta) => { textOut += delta; });
  const msg = await stream.finalMessage();
  assert.equal(textOut, 'Hello there, from the mock.');
  assert.equal(seen[0], 'message_start');
  assert.equal(seen.at(-1), 'message_stop');
  assert.ok(seen.includes('content_block_start') && seen.includes('content_block_delta') && seen.includes('message_delta'));
  assert.equal(msg.model, 'gpt-5-codex');
  assert.equal(msg.role, 'assistant');
  assert.equal(msg.stop_reason, 'end_turn');
  assert.equal(msg.content.length, 1);
  assert.equal(msg.content[0].type, 'text');
  assert.equal((msg.content[0] as Anthropic.TextBlock).text, 'Hello there, from the mock.');
  assert.equal(msg.usage.input_tokens, 100);
  assert.equal(msg.usage.cache_read_input_tokens, 20);
  assert.equal(msg.usage.output_tokens, 7);
  assert.match(msg.id, /^msg_/);
});

test('messages.create({stream:true}): raw events in order, with valid indexes', async () => {
  h.mock.enqueue(text('One two three.'));
  const stream = await h.client.messages.create({ ...ask('Count'), stream: true });
  const events: Anthropic.RawMessageStreamEvent[] = [];
  for await (const ev of stream) events.push(ev);
  const types = events.map((e) => e.type);
  assert.deepEqual(types.filter((t) => t !== 'content_block_delta'), ['message_start', 'content_block_start', 'content_block_stop', 'message_delta', 'message_stop']);
  const start = events[0] as Anthropic.RawMessageStartEvent;
  assert.equal(start.message.model, 'gpt-5-codex');
  assert.deepEqual(start.message.content, []);
  const deltas = events.filter((e): e is Anthropic.RawContentBlockDeltaEvent => e.type === 'content_block_delta');
  assert.ok(deltas.length >= 2, 'the text arrives in several deltas');
  assert.equal(deltas.map((d) => (d.delta as Anthropic.TextDelta).text).join(''), 'One two three.');
  assert.ok(deltas.every((d) => d.index === 0));
  const md = events.find((e): e is Anthropic.RawMessageDeltaEvent => e.type === 'message_delta')!;
  assert.equal(md.delta.stop_reason, 'end_turn');
});

test('non-streaming create: a whole Message with text and usage', async () => {
  h.mock.enqueue(text('A complete reply.', { usage: { input_tokens: 50, input_tokens_details: { cached_tokens: 0 }, output_tokens: 4 } }));
  const msg = await h.client.messages.create(ask('Reply'));
  assert.equal(msg.type, 'message');
  assert.equal(msg.model, 'gpt-5-codex');
  assert.equal(msg.content.length, 1);
  assert.equal(msg.content[0].type, 'text');
  assert.equal((msg.content[0] as Anthropic.TextBlock).text, 'A complete reply.');
  assert.equal(msg.stop_reason, 'end_turn');
  assert.deepEqual({ i: msg.usage.input_tokens, c: msg.usage.cache_read_input_tokens, o: msg.usage.output_tokens }, { i: 50, c: 0, o: 4 });
  // the upstream is always asked to stream, also for a non-streaming client request
  assert.equal(h.lastUpstream().body.stream, true);
});

test('reply model is the name the client asked for, whatever was sent upstream', async () => {
  for (const model of ['claude-opus-4-8', 'gpt-5-codex-high', 'claude-haiku-4-5-20251001']) {
    h.mock.enqueue(text('ok'));
    const msg = await h.client.messages.create({ ...ask('hi'), model });
    assert.equal(msg.model, model);
    h.mock.enqueue(text('ok'));
    const streamed = await h.client.messages.stream({ ...ask('hi'), model }).finalMessage();
    assert.equal(streamed.model, model);
  }
});

test('reasoning becomes a thinking block signed with the upstream encrypted_content (stream and not)', async () => {
  const spec = { summaries: ['**Plan**\n\nThink first.', 'Then answer.'], encrypted: ENCRYPTED, text: 'The answer.' };
  h.mock.enqueue(reasoningThenText(spec));
  const stream = h.client.messages.stream(ask('Think about it'));
  let thinking = '';
  let signature = '';
  stream.on('thinking', (d) => { thinking += d; });
  stream.on('signature', (s) => { signature = s; });
  const msg = await stream.finalMessage();
  assert.deepEqual(msg.content.map((b) => b.type), ['thinking', 'text']);
  const t = msg.content[0] as Anthropic.ThinkingBlock;
  assert.equal(t.signature, ENCRYPTED);
  assert.equal(signature, ENCRYPTED);
  assert.ok(t.thinking.includes('Think first.') && t.thinking.includes('Then answer.'));
  assert.equal(thinking, t.thinking);
  assert.equal((msg.content[1] as Anthropic.TextBlock).text, 'The answer.');

  h.mock.enqueue(reasoningThenText(spec));
  const whole = await h.client.messages.create(ask('Think about it'));
  assert.deepEqual(whole.content.map((b) => b.type), ['thinking', 'text']);
  assert.equal((whole.content[0] as Anthropic.ThinkingBlock).signature, ENCRYPTED);
});

test('thinking disabled: no thinking block, no reasoning summary asked upstream', async () => {
  h.mock.enqueue(reasoningThenText({ summaries: ['hidden'], encrypted: ENCRYPTED, text: 'Only text.' }));
  const msg = await h.client.messages.create(ask('No thinking', { thinking: { type: 'disabled' } }));
  assert.deepEqual(msg.content.map((b) => b.type), ['text']);
  assert.equal(h.lastUpstream().body.reasoning.summary, undefined);
});

const LONG_TOOL = 'mcp__an_integration_server_with_a_really_long_descriptive_name__lookup_customer_records_by_region';

test('tool_use: a tool name longer than 64 characters is shortened upstream and restored in the reply', async () => {
  assert.ok(LONG_TOOL.length > 64);
  h.mock.setHandler((req) => {
    const names: string[] = (req.body.tools ?? []).map((t: { name: string }) => t.name);
    const short = names.find((n) => n !== 'Bash')!;
    return functionCalls([{ name: short, arguments: { region: 'north' }, callId: 'call_long_1' }]);
  });
  try {
    const tools: Anthropic.Tool[] = [
      { name: 'Bash', description: 'run a command', input_schema: { type: 'object', properties: { command: { type: 'string' } } } },
      { name: LONG_TOOL, description: 'look up', input_schema: { type: 'object', properties: { region: { type: 'string' } } } },
    ];
    const msg = await h.client.messages.stream(ask('Find customers', { tools })).finalMessage();
    const sent: string[] = h.lastUpstream().body.tools.map((t: { name: string }) => t.name);
    assert.ok(sent.every((n) => /^[a-zA-Z0-9_-]{1,64}$/.test(n)), `upstream tool names are valid: ${sent.join(', ')}`);
    assert.ok(!sent.includes(LONG_TOOL));
    assert.equal(msg.stop_reason, 'tool_use');
    const use = msg.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')!;
    assert.equal(use.name, LONG_TOOL);
    assert.equal(use.id, 'call_long_1');
    assert.deepEqual(use.input, { region: 'north' });

    const whole = await h.client.messages.create(ask('Find customers', { tools }));
    const use2 = whole.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')!;
    assert.equal(use2.name, LONG_TOOL);
    assert.deepEqual(use2.input, { region: 'north' });
  } finally {
    h.mock.setHandler(() => text('default'));
  }
});

test('full tool round trip: tool_result goes back as function_call_output with the same call_id, reasoning carried back', async () => {
  const tools: Anthropic.Tool[] = [{ name: 'Bash', description: 'run', input_schema: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] } }];
  h.mock.enqueue(functionCalls([{ name: 'Bash', arguments: { command: 'ls -la' }, callId: 'call_rt_42' }], {
    reasoning: { summaries: ['Need to list files.'], encrypted: ENCRYPTED },
  }));
  const first = await h.client.messages.stream(ask('List the files', { tools })).finalMessage();
  assert.deepEqual(first.content.map((b) => b.type), ['thinking', 'tool_use']);
  assert.equal(first.stop_reason, 'tool_use');
  const use = first.content[1] as Anthropic.ToolUseBlock;
  assert.equal(use.id, 'call_rt_42');
  assert.deepEqual(use.input, { command: 'ls -la' });

  h.mock.enqueue(text('There are two files.'));
  const second = await h.client.messages.stream({
    model: 'gpt-5-codex', max_tokens: 2048, tools,
    messages: [
      { role: 'user', content: 'List the files' },
      { role: 'assistant', content: first.content as Anthropic.ContentBlockParam[] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'a.txt\nb.txt' }] },
    ],
  }).finalMessage();
  assert.equal((second.content[0] as Anthropic.TextBlock).text, 'There are two files.');

  const input: any[] = h.lastUpstream().body.input;
  const reasoning = input.find((i) => i.type === 'reasoning');
  const call = input.find((i) => i.type === 'function_call');
  const output = input.find((i) => i.type === 'function_call_output');
  assert.ok(reasoning, 'the signed thinking block goes back as a reasoning item');
  assert.equal(reasoning.encrypted_content, ENCRYPTED);
  assert.equal(call.call_id, 'call_rt_42');
  assert.equal(call.name, 'Bash');
  assert.deepEqual(JSON.parse(call.arguments), { command: 'ls -la' });
  assert.equal(output.call_id, 'call_rt_42');
  assert.match(JSON.stringify(output.output), /a\.txt/);
  // order: reasoning, then the call, then its output
  assert.ok(input.indexOf(reasoning) < input.indexOf(call) && input.indexOf(call) < input.indexOf(output));
});

test('parallel function calls: several tool_use blocks, interleaved deltas kept apart', async () => {
  const tools: Anthropic.Tool[] = [
    { name: 'Read', input_schema: { type: 'object', properties: { path: { type: 'string' } } } },
    { name: 'Grep', input_schema: { type: 'object', properties: { pattern: { type: 'string' } } } },
  ];
  const calls = [
    { name: 'Read', arguments: { path: '/tmp/one.txt' }, callId: 'call_p1' },
    { name: 'Grep', arguments: { pattern: 'needle in a haystack' }, callId: 'call_p2' },
    { name: 'Read', arguments: { path: '/tmp/two.txt' }, callId: 'call_p3' },
  ];
  h.mock.enqueue(functionCalls(calls, { interleave: true, argChunks: 4 }));
  const msg = await h.client.messages.stream(ask('Do three things', { tools })).finalMessage();
  const uses = msg.content.filter((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
  assert.deepEqual(uses.map((u) => [u.id, u.name, u.input]), calls.map((c) => [c.callId, c.name, c.arguments]));
  assert.equal(msg.stop_reason, 'tool_use');
  assert.equal(h.lastUpstream().body.parallel_tool_calls, true);

  h.mock.enqueue(functionCalls(calls, { interleave: true, argChunks: 4 }));
  const whole = await h.client.messages.create(ask('Do three things', { tools }));
  assert.deepEqual(whole.content.filter((b) => b.type === 'tool_use').map((b) => (b as Anthropic.ToolUseBlock).input), calls.map((c) => c.arguments));
});

test('text then a tool call: both blocks, in order', async () => {
  h.mock.enqueue(textThenFunctionCall('Let me check.', { name: 'Bash', arguments: { command: 'pwd' }, callId: 'call_t1' }));
  const tools: Anthropic.Tool[] = [{ name: 'Bash', input_schema: { type: 'object', properties: { command: { type: 'string' } } } }];
  const msg = await h.client.messages.stream(ask('Where am I', { tools })).finalMessage();
  assert.deepEqual(msg.content.map((b) => b.type), ['text', 'tool_use']);
  assert.equal((msg.content[0] as Anthropic.TextBlock).text, 'Let me check.');
  assert.equal(msg.stop_reason, 'tool_use');
});

test('refusal: text of the refusal, stop_reason refusal', async () => {
  h.mock.enqueue(refusal('I cannot help with that.'));
  const msg = await h.client.messages.stream(ask('Something bad')).finalMessage();
  assert.equal(msg.stop_reason, 'refusal');
  assert.equal(msg.content.map((b) => (b.type === 'text' ? b.text : '')).join(''), 'I cannot help with that.');

  h.mock.enqueue(refusal('I cannot help with that.'));
  const whole = await h.client.messages.create(ask('Something bad'));
  assert.equal(whole.stop_reason, 'refusal');
});

test('response.incomplete (max_output_tokens) -> stop_reason max_tokens, partial text kept', async () => {
  h.mock.enqueue(incomplete('max_output_tokens', { text: 'This is cut' }));
  const msg = await h.client.messages.stream(ask('Write a lot')).finalMessage();
  assert.equal(msg.stop_reason, 'max_tokens');
  assert.equal((msg.content[0] as Anthropic.TextBlock).text, 'This is cut');

  h.mock.enqueue(incomplete('max_output_tokens', { text: 'This is cut' }));
  const whole = await h.client.messages.create(ask('Write a lot'));
  assert.equal(whole.stop_reason, 'max_tokens');
  assert.equal((whole.content[0] as Anthropic.TextBlock).text, 'This is cut');
});

test('usage mapping: input_tokens excludes cached tokens, which go to cache_read_input_tokens', async () => {
  const usage = { input_tokens: 9000, input_tokens_details: { cached_tokens: 8192 }, output_tokens: 321, output_tokens_details: { reasoning_tokens: 100 } };
  h.mock.enqueue(text('cached', { usage }));
  const streamed = await h.client.messages.stream(ask('use the cache')).finalMessage();
  h.mock.enqueue(text('cached', { usage }));
  const whole = await h.client.messages.create(ask('use the cache'));
  for (const m of [streamed, whole]) {
    assert.equal(m.usage.input_tokens, 808);
    assert.equal(m.usage.cache_read_input_tokens, 8192);
    assert.equal(m.usage.output_tokens, 321);
  }
});

test('multi-byte text split across upstream chunks byte by byte arrives intact', async () => {
  const words = 'Grüße 你好 🌍🚀 ok';
  const base = text(words, { chunks: ['Grüße ', '你好 ', '🌍🚀', ' ok'] });
  if (base.kind !== 'events') throw new Error('events scenario expected');
  h.mock.enqueue(rawSse(toSse(base.events), { chunkSize: 1 }));
  const msg = await h.client.messages.stream(ask('unicode please')).finalMessage();
  assert.equal((msg.content[0] as Anthropic.TextBlock).text, words);
});

test('an upstream that answers one JSON response object instead of a stream still works', async () => {
  h.mock.enqueue(jsonResponse('Answered as JSON.'));
  const streamed = await h.client.messages.stream(ask('json please')).finalMessage();
  assert.equal((streamed.content[0] as Anthropic.TextBlock).text, 'Answered as JSON.');
  h.mock.enqueue(jsonResponse('Answered as JSON.'));
  const whole = await h.client.messages.create(ask('json please'));
  assert.equal((whole.content[0] as Anthropic.TextBlock).text, 'Answered as JSON.');
  assert.equal(whole.stop_reason, 'end_turn');
});

test('parallel requests, streamed and not, each get their own reply', async () => {
  h.mock.setHandler((req) => {
    const input: any[] = req.body.input;
    const last = input[input.length - 1].content[0].text as string;
    return slow(3, text(`echo ${last} done`, { chunks: 4 }));
  });
  try {
    const n = 12;
    const replies = await Promise.all(Array.from({ length: n }, async (_, i) => {
      const p = ask(`request-${i}`);
      const m = i % 2 === 0 ? await h.client.messages.stream(p).finalMessage() : await h.client.messages.create(p);
      return (m.content[0] as Anthropic.TextBlock).text;
    }));
    assert.deepEqual(replies, Array.from({ length: n }, (_, i) => `echo request-${i} done`));
  } finally {
    h.mock.setHandler(() => text('default'));
  }
});

test('an upstream 200 that is an HTML page (wrong base-url) -> 502 api_error naming what came back', async () => {
  h.mock.enqueue(httpError(200, '<html><body>Welcome to the portal</body></html>', { 'content-type': 'text/html' }));
  await assert.rejects(h.client.messages.create(ask('hi')), (e: unknown) => {
    assert.ok(e instanceof Anthropic.APIError);
    assert.equal(e.status, 502);
    assert.match(e.message, /text\/html/);
    return true;
  });
});
