// Which model and effort reach the upstream for each client model name, and the shape of the upstream
// request (stream, store, include, no sampling params, prompt_cache_key, bearer key). Real HTTP, SDK client.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import type Anthropic from '@anthropic-ai/sdk';
import { startHarness, claudeCodeUserId, userRequest, UPSTREAM_KEY, type Harness } from './sdk-harness.ts';
import { text } from '../support/response-scenarios.ts';

let h: Harness;
before(async () => {
  h = await startHarness({
    mock: { handler: () => text('routed') },
    extraYaml: [
      '  model-map:',
      '    - match: "team-fast*"',
      '      model: gpt-5.1-codex-mini-low',
      '    - match: "*-legacy"',
      '      model: gpt-5',
    ].join('\n'),
  });
});
after(async () => { await h.close(); });
beforeEach(() => { h.mock.reset(); });

const params = (model: string, extra: Record<string, unknown> = {}) => ({
  model, max_tokens: 1024, messages: [{ role: 'user' as const, content: 'route me' }], ...extra,
}) as Anthropic.MessageCreateParamsNonStreaming;

async function upstreamFor(model: string, extra: Record<string, unknown> = {}): Promise<any> {
  const msg = await h.client.messages.create(params(model, extra));
  assert.equal(msg.model, model, 'the reply names the model asked for');
  return h.lastUpstream().body;
}

// [client model, upstream model, upstream effort (undefined: not checked)]
const ROUTES: Array<[string, string, string | undefined]> = [
  ['gpt-5-codex', 'gpt-5-codex', 'medium'],
  ['gpt-5-codex-high', 'gpt-5-codex', 'high'],
  ['gpt-5-codex-low', 'gpt-5-codex', 'low'],
  ['gpt-5-minimal', 'gpt-5', 'minimal'],
  ['gpt-5.1-codex-max-xhigh', 'gpt-5.1-codex-max', 'xhigh'],
  ['GPT-5-Codex-High', 'gpt-5-codex', 'high'],
  ['claude-opus-4-8', 'gpt-5-codex', undefined],
  ['claude-sonnet-5', 'gpt-5-codex', undefined],
  ['claude-haiku-4-5-20251001', 'gpt-5-codex', undefined],
  ['team-fast', 'gpt-5.1-codex-mini', 'low'],
  ['team-fast-v2', 'gpt-5.1-codex-mini', 'low'],
  ['claude-3-legacy', 'gpt-5', undefined],
  ['gpt-6-preview', 'gpt-6-preview', undefined],
  ['gpt-6-preview-high', 'gpt-6-preview', 'high'],
  ['o9-mini', 'o9-mini', undefined],
];

for (const [asked, upstream, effort] of ROUTES) {
  test(`model ${asked} -> upstream ${upstream}${effort ? ` (effort ${effort})` : ''}`, async () => {
    const body = await upstreamFor(asked);
    assert.equal(body.model, upstream);
    if (effort) assert.equal(body.reasoning.effort, effort);
  });
}

test('an effort suffix wins over the request\'s thinking budget and output_config.effort', async () => {
  const body = await upstreamFor('gpt-5-codex-low', { thinking: { type: 'enabled', budget_tokens: 32000 }, output_config: { effort: 'high' } });
  assert.equal(body.reasoning.effort, 'low');
});

test('streaming request to a Claude name: routed to defaults.model, reply model is the Claude name', async () => {
  const msg = await h.client.messages.stream(params('claude-opus-4-8')).finalMessage();
  assert.equal(msg.model, 'claude-opus-4-8');
  assert.equal(h.lastUpstream().body.model, 'gpt-5-codex');
});

test('upstream request: stream, store:false, encrypted reasoning, no sampling params, bearer key', async () => {
  await h.client.messages.create(params('claude-opus-4-8', { temperature: 0.3, top_p: 0.9, top_k: 5, max_tokens: 64000, stop_sequences: ['END'] }));
  const r = h.lastUpstream();
  assert.equal(r.method, 'POST');
  assert.equal(r.path, '/v1/responses');
  assert.equal(r.headers.authorization, `Bearer ${UPSTREAM_KEY}`);
  assert.equal(r.headers['x-api-key'], undefined, 'the client key is not forwarded');
  const b = r.body;
  assert.equal(b.stream, true);
  assert.equal(b.store, false);
  assert.deepEqual(b.include, ['reasoning.encrypted_content']);
  for (const k of ['temperature', 'top_p', 'top_k', 'max_output_tokens', 'max_tokens', 'stop', 'stop_sequences', 'metadata']) {
    assert.equal(k in b, false, `${k} is not sent upstream`);
  }
  assert.equal(b.input.at(-1).role, 'user');
});

test('prompt_cache_key: stable for one Claude Code session, different for another, absent without metadata', async () => {
  const session = (id: string) => params('claude-opus-4-8', { metadata: { user_id: claudeCodeUserId(id) } });
  await h.client.messages.create(session('11111111-2222-3333-4444-555555555555'));
  const first = h.lastUpstream();
  await h.client.messages.stream(session('11111111-2222-3333-4444-555555555555')).finalMessage();
  const second = h.lastUpstream();
  await h.client.messages.create(session('99999999-2222-3333-4444-555555555555'));
  const other = h.lastUpstream();
  await h.client.messages.create(params('claude-opus-4-8'));
  const none = h.lastUpstream();

  assert.equal(typeof first.body.prompt_cache_key, 'string');
  assert.equal(first.body.prompt_cache_key, second.body.prompt_cache_key);
  assert.notEqual(first.body.prompt_cache_key, other.body.prompt_cache_key);
  assert.equal(none.body.prompt_cache_key, undefined);
  // the raw session id never goes upstream
  assert.ok(!JSON.stringify(first.body).includes('11111111-2222-3333-4444-555555555555'));
  assert.equal(first.headers.session_id, first.body.prompt_cache_key);
});

test('?beta=true is accepted on /v1/messages and /v1/messages/count_tokens', async () => {
  const streamed = await h.post('/v1/messages?beta=true', userRequest('hi', { stream: true }), { 'anthropic-version': '2023-06-01', 'anthropic-beta': 'claude-code-20250219' });
  assert.equal(streamed.status, 200);
  assert.match(streamed.headers.get('content-type') ?? '', /text\/event-stream/);
  assert.match(streamed.text, /event: message_stop/);
  const whole = await h.post('/v1/messages?beta=true', userRequest('hi'));
  assert.equal(whole.status, 200);
  assert.equal(whole.json.type, 'message');
  const before = h.mock.requestCount;
  const counted = await h.post('/v1/messages/count_tokens?beta=true', { model: 'claude-opus-4-8', messages: [{ role: 'user', content: 'count these words please' }] });
  assert.equal(counted.status, 200);
  assert.ok(counted.json.input_tokens > 0);
  assert.equal(h.mock.requestCount, before);
});

test('the upstream connection is kept alive and reused between requests', async () => {
  await h.client.messages.create(params('gpt-5'));
  await h.client.messages.create(params('gpt-5'));
  const [a, b] = h.mock.requests;
  assert.equal(a.remotePort, b.remotePort);
});
