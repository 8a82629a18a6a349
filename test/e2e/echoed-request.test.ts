// A Responses upstream that echoes the request in its response objects, as the real API does (a Claude Code
// request's 24 tools, ~70 KB, in each of response.created, in_progress and completed): the Anthropic and Chat
// Completions replies are read without the echo (src/upstream/echoed-request.ts) and come out whole; the
// /v1/responses pass-through hands the events on with it.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startHarness, CLIENT_KEY, type Harness } from './sdk-harness.ts';
import { functionCalls, text } from '../support/response-scenarios.ts';
import { claudeCodeRequest } from '../../bench/bodies.ts';
import type { MessagesRequest } from '../../src/wire/anthropic-request.ts';

let h: Harness;
let openai: OpenAI;
before(async () => {
  h = await startHarness({ mock: { echoRequest: true } });
  openai = new OpenAI({ baseURL: `${h.gw.url}/v1`, apiKey: CLIENT_KEY, maxRetries: 0, timeout: 20_000 });
});
after(async () => { await h.close(); });
beforeEach(() => { h.mock.reset(); });

const USAGE = { input_tokens: 21_000, input_tokens_details: { cached_tokens: 20_480 }, output_tokens: 12, output_tokens_details: { reasoning_tokens: 0 } };

/** The events the mock sends for the request it last received, as a client of the mock reads them. */
async function upstreamEvents(body: unknown): Promise<Array<{ type: string; response?: { tools?: unknown[]; instructions?: unknown } }>> {
  h.mock.enqueue(text('Echo check.', { usage: USAGE }));
  const res = await fetch(`${h.mock.url}/responses`, {
    method: 'POST', headers: { authorization: 'Bearer sk-test-upstream-key-1234', 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  const sse = await res.text();
  return sse.split('\n\n').filter((b) => b.includes('data: ')).map((b) => JSON.parse(b.slice(b.indexOf('data: ') + 6)));
}

test('a Claude Code request: the Anthropic stream is whole while every response object echoes ~70 KB of tools', async () => {
  const req = claudeCodeRequest() as MessagesRequest;
  h.mock.enqueue(text('The answer, after the echo.', { usage: USAGE }));
  const stream = h.client.messages.stream({ ...req, stream: true } as never);
  const msg = await stream.finalMessage();
  assert.deepEqual(msg.content.map((b) => [b.type, b.type === 'text' ? b.text : '']), [['text', 'The answer, after the echo.']]);
  assert.equal(msg.stop_reason, 'end_turn');
  assert.equal(msg.usage.output_tokens, 12);
  assert.equal(msg.usage.cache_read_input_tokens, 20_480, 'completed\'s usage is read with the echo cut out of it');
  // what the upstream was sent, and that its reply echoed it: the echo was there to be cut
  const sent = h.lastUpstream().body as { tools: unknown[]; instructions?: unknown };
  assert.equal(sent.tools.length, req.tools!.length);
  const events = await upstreamEvents(sent);
  const withResponse = events.filter((e) => e.response !== undefined);
  assert.deepEqual(withResponse.map((e) => e.type), ['response.created', 'response.in_progress', 'response.completed']);
  for (const e of withResponse) {
    assert.deepEqual(e.response!.tools, sent.tools, `${e.type} echoes the tools`);
    assert.ok(JSON.stringify(e.response!.tools).length > 50_000, 'the echo is a real Claude Code request\'s size');
  }
});

test('a Claude Code request, not streamed: the whole message, tool calls included', async () => {
  const req = claudeCodeRequest() as MessagesRequest;
  h.mock.enqueue(functionCalls([{ name: 'Bash', arguments: { command: 'ls', description: 'List files' } }], { usage: USAGE }));
  const msg = await h.client.messages.create({ ...req, stream: false } as never) as unknown as { content: Array<{ type: string; name?: string; input?: unknown }>; stop_reason: string };
  assert.equal(msg.stop_reason, 'tool_use');
  const use = msg.content.find((b) => b.type === 'tool_use');
  assert.equal(use?.name, 'Bash');
  assert.deepEqual(use?.input, { command: 'ls', description: 'List files' });
});

test('/v1/responses hands the events on with the echo; chat completions read without it', async () => {
  const tools: OpenAI.Responses.FunctionTool[] = Array.from({ length: 30 }, (_, i) => ({
    type: 'function', name: `tool_${i}`, strict: false, description: `Tool ${i} does ${'a careful thing, '.repeat(20)}`,
    parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
  }));
  h.mock.enqueue(text('Passed through.', { usage: USAGE }));
  const stream = await openai.responses.create({ model: 'gpt-5-codex', stream: true, input: 'hi', instructions: 'Be brief.', tools });
  const echoed: Array<[string, unknown, unknown]> = [];
  let out = '';
  for await (const ev of stream) {
    if (ev.type === 'response.created' || ev.type === 'response.in_progress' || ev.type === 'response.completed') {
      echoed.push([ev.type, ev.response.instructions, ev.response.tools.map((t) => (t as { name: string }).name)]);
    }
    if (ev.type === 'response.output_text.delta') out += ev.delta;
  }
  assert.equal(out, 'Passed through.');
  const names = tools.map((t) => t.name);
  assert.deepEqual(echoed, [['response.created', 'Be brief.', names], ['response.in_progress', 'Be brief.', names], ['response.completed', 'Be brief.', names]]);

  h.mock.enqueue(text('Chat answer.', { usage: USAGE }));
  const chat = await openai.chat.completions.create({
    model: 'gpt-5-codex', stream: true, stream_options: { include_usage: true },
    messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hi' }],
    tools: tools.map((t) => ({ type: 'function' as const, function: { name: t.name, description: t.description ?? '', parameters: t.parameters ?? {} } })),
  });
  let chatText = '';
  let usage: OpenAI.CompletionUsage | undefined | null;
  for await (const chunk of chat) {
    chatText += chunk.choices[0]?.delta?.content ?? '';
    if (chunk.usage) usage = chunk.usage;
  }
  assert.equal(chatText, 'Chat answer.');
  assert.equal(usage?.completion_tokens, 12);
  assert.ok(JSON.stringify(h.lastUpstream().body.tools).length > 10_000);
});
