// Routing on the OpenAI routes: model names map as on /v1/messages, only Responses upstreams serve them (the
// Anthropic-compatible fallbacks are never sent an OpenAI request), a Packycode failure is answered in
// OpenAI's shape, and the requests show in the metrics.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.ts';
import { startMockAnthropic, type MockAnthropic } from '../support/mock-anthropic.ts';
import { startTestGateway, packycodeYaml, type TestGateway } from '../support/gateway.ts';
import { httpError, openaiErrorBody, text } from '../support/response-scenarios.ts';
import { relayTuning } from '../../src/relay/relay.ts';
import { closeUpstreamPools } from '../../src/upstream/responses-client.ts';
import { rawRequest, CLIENT_KEY, UPSTREAM_KEY } from './sdk-harness.ts';

let packy: MockUpstream;
let fb: MockAnthropic;
let gw: TestGateway;
let noPacky: TestGateway;
let openai: OpenAI;

const fallbacksYaml = (url: string) => ['fallbacks:', '  - name: anthropic', `    base-url: ${url}`, '    api-key: fb-test-key-0000', '    models: []'].join('\n');

const savedRetry = relayTuning.retry;
before(async () => {
  relayTuning.retry = { delaysMs: [], maxRetryAfterMs: 0 };
  packy = await startMockUpstream({ apiKey: UPSTREAM_KEY });
  fb = await startMockAnthropic();
  const modelMap = ['  model-map:', '    - match: "team-*"', '      model: gpt-5.1-codex-high'].join('\n');
  gw = await startTestGateway(packycodeYaml(packy.url, `${modelMap}\n${fallbacksYaml(fb.url)}`));
  noPacky = await startTestGateway(['api-keys:', `  - ${CLIENT_KEY}`, fallbacksYaml(fb.url)].join('\n'));
  openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: CLIENT_KEY, maxRetries: 0, timeout: 20_000 });
});
after(async () => {
  relayTuning.retry = savedRetry;
  await gw.stop();
  await noPacky.stop();
  await packy.close();
  await fb.close();
  await closeUpstreamPools(200);
});
beforeEach(() => { packy.reset(); fb.requests.length = 0; });

test('model names map as on /v1/messages: Claude names to the default, model-map globs, suffixes to effort', async () => {
  const cases: Array<[string, string, string]> = [
    ['claude-sonnet-5', 'gpt-5-codex', 'medium'],       // any Claude name -> packycode.defaults
    ['team-alpha', 'gpt-5.1-codex', 'high'],              // model-map, its suffix becomes the effort
    ['gpt-5-codex-low', 'gpt-5-codex', 'low'],            // a registered name with an effort suffix
    ['gpt-5.4-mini', 'gpt-5.4-mini', 'medium'],           // an OpenAI name passes
  ];
  for (const [asked, upstream, effort] of cases) {
    packy.enqueue(text('ok'));
    const c = await openai.chat.completions.create({ model: asked, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(c.model, asked, 'the reply names the model asked for');
    const body = packy.requests.at(-1)!.body;
    assert.equal(body.model, upstream, asked);
    assert.equal(body.reasoning.effort, effort, asked);
  }
});

test('a Packycode failure is answered in OpenAI\'s shape; the Anthropic fallback is never sent an OpenAI request', async () => {
  packy.enqueue(httpError(503, openaiErrorBody(503)));
  await assert.rejects(openai.chat.completions.create({ model: 'gpt-5', messages: [{ role: 'user', content: 'x' }] }), (e: unknown) => {
    assert.ok(e instanceof OpenAI.APIError);
    assert.equal(e.status, 503);
    assert.equal(e.type, 'service_unavailable_error');
    assert.match(e.message, /Packycode is overloaded/);
    return true;
  });
  assert.equal(fb.requests.length, 0);
  // the same failure on /v1/messages does go to the fallback: the difference is the protocol, not the failure
  packy.enqueue(httpError(503, openaiErrorBody(503)));
  const m = await rawRequest(`${gw.url}/v1/messages`, 'POST', { model: 'claude-x', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }, { 'x-api-key': CLIENT_KEY });
  assert.equal(m.status, 200);
  assert.equal(fb.requests.length, 1);
});

test('without a Responses upstream the OpenAI routes explain what to configure (503, OpenAI shape)', async () => {
  const r = await rawRequest(`${noPacky.url}/v1/responses`, 'POST', { model: 'gpt-5', input: 'x' }, { authorization: `Bearer ${CLIENT_KEY}` });
  assert.equal(r.status, 503);
  assert.equal(r.json.error.type, 'server_error');
  assert.match(r.json.error.message, /Packycode/);
  assert.equal(r.headers.get('x-should-retry'), 'false');
  assert.equal(fb.requests.length, 0);
});

test('the OpenAI routes are counted in /metrics by route and status', async () => {
  packy.enqueue(text('ok'));
  await openai.responses.create({ model: 'gpt-5', input: 'x' });
  const m = await rawRequest(`${gw.url}/metrics`, 'GET');
  assert.match(m.text, /packybridge_requests_total\{route="\/v1\/responses",model="gpt-5",status="200"\} 1/);
  assert.match(m.text, /packybridge_requests_total\{route="\/v1\/chat\/completions",model="gpt-5",status="503"\} 1/);
});
