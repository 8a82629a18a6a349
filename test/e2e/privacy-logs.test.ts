// What the gateway logs about requests: metadata (request id, model, status, token counts), never the
// prompt, the reply, the upstream key or the client key.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { startHarness, claudeCodeSizedRequest, rawRequest, userRequest, CLIENT_KEY, UPSTREAM_KEY, type Harness } from './sdk-harness.ts';
import { text, functionCalls, reasoningThenText, httpError, streamError, sequence } from '../support/response-scenarios.ts';

const PROMPT = 'PROMPT-MARKER-zebra-quartz-7731 tell me about the secret garden';
const REPLY = 'REPLY-MARKER-otter-basalt-4410 the garden is behind the wall';
const TOOL_ARG = 'TOOLARG-MARKER-heron-1188';
const THOUGHT = 'THOUGHT-MARKER-lynx-5521';
const UPSTREAM_ERR = 'UPSTREAMERR-MARKER-mole-9034';
const WRONG_KEY = 'sk-wrong-client-key-MARKER-2468';

let h: Harness;
const requestIds: string[] = [];

before(async () => {
  h = await startHarness();
  const usage = { input_tokens: 777, input_tokens_details: { cached_tokens: 512 }, output_tokens: 55 };
  const tools: Anthropic.Tool[] = [{ name: 'Bash', input_schema: { type: 'object', properties: { command: { type: 'string' } } } }];
  const ask = (extra: Record<string, unknown> = {}) => ({ model: 'claude-opus-4-8', max_tokens: 1000, messages: [{ role: 'user' as const, content: PROMPT }], ...extra }) as Anthropic.MessageCreateParamsNonStreaming;

  h.mock.enqueue(text(REPLY, { usage }));
  const streamed = h.client.messages.stream(ask());
  const m1 = await streamed.finalMessage();
  requestIds.push((await streamed.withResponse()).request_id ?? '');
  assert.equal((m1.content[0] as Anthropic.TextBlock).text, REPLY);

  h.mock.enqueue(text(REPLY, { usage }));
  const { data: m2, request_id } = await h.client.messages.create(ask({ model: 'gpt-5-codex-high' })).withResponse();
  requestIds.push(request_id ?? '');
  assert.equal((m2.content[0] as Anthropic.TextBlock).text, REPLY);

  h.mock.enqueue(reasoningThenText({ summaries: [THOUGHT], encrypted: `enc-${THOUGHT}`, text: REPLY }));
  await h.client.messages.create(ask());
  h.mock.enqueue(functionCalls([{ name: 'Bash', arguments: { command: TOOL_ARG } }]));
  await h.client.messages.stream(ask({ tools })).finalMessage();

  // failures: upstream error bodies and stream errors can echo the prompt; none of it may be logged
  h.mock.enqueue(httpError(400, { error: { message: `${UPSTREAM_ERR} ${PROMPT}`, type: 'invalid_request_error', code: null } }));
  await assert.rejects(h.client.messages.create(ask()));
  h.mock.enqueue(streamError('server_error', `${UPSTREAM_ERR} ${PROMPT}`));
  await assert.rejects(h.client.messages.create(ask()));
  const s = sequence().start().message(REPLY);
  s.error('server_error', `${UPSTREAM_ERR} mid-stream`);
  h.mock.enqueue({ kind: 'events', events: s.events });
  await assert.rejects(h.client.messages.stream(ask()).finalMessage());

  // a Claude-Code-sized request, a count_tokens call, invalid requests, a wrong key
  const big = claudeCodeSizedRequest(PROMPT, { targetBytes: 30_000 });
  h.mock.enqueue(text(REPLY));
  assert.equal((await h.post('/v1/messages?beta=true', big)).status, 200);
  assert.equal((await h.post('/v1/messages/count_tokens', { ...big, stream: undefined })).status, 200);
  assert.equal((await h.post('/v1/messages', `{"model": "gpt-5", "messages": [{"role": "user", "content": "${PROMPT}"`)).status, 400);
  assert.equal((await h.post('/v1/messages', { model: 'gpt-5', max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'bogus', text: PROMPT }] }] })).status, 400);
  assert.equal((await rawRequest(`${h.gw.url}/v1/messages`, 'POST', userRequest(PROMPT), { 'x-api-key': WRONG_KEY })).status, 401);
  assert.equal((await rawRequest(`${h.gw.url}/v1/messages`, 'POST', userRequest(PROMPT), { authorization: `Bearer ${WRONG_KEY}` })).status, 401);
});
after(async () => { await h.close(); });

const logText = () => h.gw.logLines.join('\n');

test('the log never holds the prompt, the reply, tool arguments, thinking or upstream error texts', () => {
  const all = logText();
  assert.ok(h.gw.logLines.length > 0);
  for (const secret of ['PROMPT-MARKER', 'zebra-quartz', 'secret garden', 'REPLY-MARKER', 'otter-basalt', TOOL_ARG, THOUGHT, UPSTREAM_ERR, 'alpha bravo charlie']) {
    assert.ok(!all.includes(secret), `log contains "${secret}"`);
  }
});

test('the log never holds the upstream key or a client key (right or wrong)', () => {
  const all = logText();
  for (const key of [UPSTREAM_KEY, CLIENT_KEY, WRONG_KEY, 'upstream-key-1234', 'MARKER-2468']) {
    assert.ok(!all.includes(key), `log contains "${key}"`);
  }
  assert.ok(!h.gw.banner.join('').includes(UPSTREAM_KEY), 'start-up banner masks the upstream key');
});

test('each request has one line with request id, models, status and token counts', () => {
  const lines = h.gw.logLines.map((l) => JSON.parse(l)).filter((o) => o.msg === 'request');
  assert.ok(lines.length >= 9, `${lines.length} request lines`);
  for (const id of requestIds) {
    assert.match(id, /^req_/);
    const line = lines.find((o) => o.reqId === id);
    assert.ok(line, `a line for ${id}`);
    assert.equal(line.status, 200);
    assert.equal(line.inputTokens, 265);
    assert.equal(line.cachedTokens, 512);
    assert.equal(line.outputTokens, 55);
    assert.equal(line.route, '/v1/messages');
    assert.equal(line.modelUsed, 'gpt-5-codex');
    assert.equal(typeof line.totalMs, 'number');
  }
  assert.deepEqual(lines.filter((o) => requestIds.includes(o.reqId)).map((o) => o.modelAsked), ['claude-opus-4-8', 'gpt-5-codex-high']);
  assert.ok(lines.some((o) => o.status === 400 && o.modelAsked === undefined), 'invalid requests are logged too');
  assert.ok(lines.some((o) => o.status === 400 && o.route === '/v1/messages' && o.errorKind), 'and bodies that are not JSON');
  assert.equal(lines.filter((o) => o.status === 401).length, 2, 'and refused client keys');
  assert.ok(lines.some((o) => o.status === 500 && o.errorKind), 'with an error kind');
});
