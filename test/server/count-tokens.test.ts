// POST /v1/messages/count_tokens: answered locally (o200k), never calling the upstream.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, claudeCodeSizedRequest, userRequest, type Harness } from '../e2e/sdk-harness.ts';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

test('a Claude-Code-sized request (~100 KB, 24 tools, 3 system blocks) -> {input_tokens} > 0, upstream untouched', async () => {
  const body = claudeCodeSizedRequest('How many tokens is this?');
  delete body.stream;
  const size = JSON.stringify(body).length;
  assert.ok(size > 90_000 && size < 130_000, `body is ${size} bytes`);
  assert.equal(body.tools.length, 24);
  const before = h.mock.requestCount;
  const r = await h.post('/v1/messages/count_tokens?beta=true', body, { 'anthropic-version': '2023-06-01', 'anthropic-beta': 'token-counting-2024-11-01' });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(Object.keys(r.json), ['input_tokens']);
  assert.equal(typeof r.json.input_tokens, 'number');
  // ~4 bytes a token for English-like text: a loose plausibility band, not an exact count
  assert.ok(r.json.input_tokens > size / 20 && r.json.input_tokens < size, `input_tokens ${r.json.input_tokens} for ${size} bytes`);
  assert.equal(h.mock.requestCount, before, 'count_tokens never calls the upstream');
});

test('more content counts more tokens; the same request counts the same', async () => {
  const small = await h.post('/v1/messages/count_tokens', userRequest('short'));
  const large = await h.post('/v1/messages/count_tokens', userRequest('a much longer prompt than the other one, with many more words in it to count'));
  const again = await h.post('/v1/messages/count_tokens', userRequest('short'));
  assert.ok(small.json.input_tokens > 0);
  assert.ok(large.json.input_tokens > small.json.input_tokens);
  assert.equal(again.json.input_tokens, small.json.input_tokens);
  const withTools = await h.post('/v1/messages/count_tokens', userRequest('short', {
    tools: [{ name: 'Bash', description: 'run a shell command', input_schema: { type: 'object', properties: { command: { type: 'string' } } } }],
  }));
  assert.ok(withTools.json.input_tokens > small.json.input_tokens, 'tools count');
});

test('the SDK: messages.countTokens()', async () => {
  const before = h.mock.requestCount;
  const r = await h.client.messages.countTokens({ model: 'claude-sonnet-5', messages: [{ role: 'user', content: 'count me please' }], system: 'be brief' });
  assert.ok(r.input_tokens > 0);
  assert.equal(h.mock.requestCount, before);
});
