// Client auth (api-keys), request errors in Anthropic's shape, health routes, and the answer when no
// Packycode is configured. A real gateway on 127.0.0.1 in front of the mock upstream.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { startHarness, rawRequest, userRequest, CLIENT_KEY, type Harness, type RawReply } from '../e2e/sdk-harness.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

function assertAnthropicError(r: RawReply, status: number, type: string): void {
  assert.equal(r.status, status, r.text);
  assert.match(r.headers.get('content-type') ?? '', /application\/json/);
  assert.equal(r.json?.type, 'error');
  assert.equal(r.json.error.type, type);
  assert.equal(typeof r.json.error.message, 'string');
  assert.ok(r.json.error.message.length > 10);
  assert.match(r.headers.get('request-id') ?? '', /^req_[0-9a-f]+$/);
  assert.equal(r.json.request_id, r.headers.get('request-id'));
}

describe('api-keys', () => {
  test('no key -> 401 authentication_error saying how to send one; upstream not called', async () => {
    const before = h.mock.requestCount;
    const r = await rawRequest(`${h.gw.url}/v1/messages`, 'POST', userRequest('hi'));
    assertAnthropicError(r, 401, 'authentication_error');
    assert.match(r.json.error.message, /x-api-key|Authorization/);
    assert.equal(r.headers.get('x-should-retry'), 'false');
    assert.equal(h.mock.requestCount, before);
  });

  test('wrong key -> 401 authentication_error (x-api-key and Bearer); the key is not echoed', async () => {
    for (const headers of [{ 'x-api-key': 'not-the-key' }, { authorization: 'Bearer not-the-key' }] as Array<Record<string, string>>) {
      const r = await rawRequest(`${h.gw.url}/v1/messages`, 'POST', userRequest('hi'), headers);
      assertAnthropicError(r, 401, 'authentication_error');
      assert.ok(!r.text.includes('not-the-key'));
    }
  });

  test('x-api-key and Authorization: Bearer both work', async () => {
    const viaHeader = await rawRequest(`${h.gw.url}/v1/messages`, 'POST', userRequest('hi'), { 'x-api-key': CLIENT_KEY });
    assert.equal(viaHeader.status, 200, viaHeader.text);
    assert.equal(viaHeader.json.type, 'message');
    const viaBearer = await rawRequest(`${h.gw.url}/v1/messages`, 'POST', userRequest('hi'), { authorization: `Bearer ${CLIENT_KEY}` });
    assert.equal(viaBearer.status, 200, viaBearer.text);
    // the SDK with authToken sends Authorization: Bearer
    const bearerClient = new Anthropic({ baseURL: h.gw.url, apiKey: null, authToken: CLIENT_KEY, maxRetries: 0 });
    const msg = await bearerClient.messages.create({ model: 'gpt-5-codex', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(msg.type, 'message');
  });

  test('the SDK with a wrong key gets AuthenticationError', async () => {
    const bad = new Anthropic({ baseURL: h.gw.url, apiKey: 'wrong-key', maxRetries: 0 });
    await assert.rejects(bad.messages.create({ model: 'gpt-5-codex', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] }), Anthropic.AuthenticationError);
  });

  test('every /v1 route needs the key: models, count_tokens, unknown /v1 paths', async () => {
    for (const [method, path, body] of [
      ['GET', '/v1/models', undefined], ['GET', '/v1/models/gpt-5', undefined],
      ['POST', '/v1/messages/count_tokens', userRequest('x')], ['POST', '/v1/messages?beta=true', userRequest('x')],
    ] as const) {
      const r = await rawRequest(`${h.gw.url}${path}`, method, body);
      assertAnthropicError(r, 401, 'authentication_error');
    }
  });

  test('percent-encoded paths that route to /v1 still need the key', async () => {
    const before = h.mock.requestCount;
    for (const path of ['/%761/messages', '/v%31/messages', '/%76%31/messages/count_tokens', '/%761/models']) {
      const method = path.includes('models') ? 'GET' : 'POST';
      const r = await rawRequest(`${h.gw.url}${path}`, method, method === 'POST' ? userRequest('x') : undefined);
      assert.ok(r.status === 401 || r.status === 404, `${path}: HTTP ${r.status} ${r.text.slice(0, 200)}`);
      assert.equal(r.json?.type, 'error');
    }
    assert.equal(h.mock.requestCount, before, 'nothing reached the upstream');
  });
});

describe('health and probes (no key needed)', () => {
  test('HEAD / -> 200', async () => {
    const r = await rawRequest(`${h.gw.url}/`, 'HEAD');
    assert.equal(r.status, 200);
    assert.equal(r.text, '');
  });
  test('GET / -> 200 naming packybridge', async () => {
    const r = await rawRequest(`${h.gw.url}/`, 'GET');
    assert.equal(r.status, 200);
    assert.equal(r.json.name, 'packybridge');
    assert.equal(r.json.status, 'ok');
  });
  test('GET /healthz -> 200, Packycode ready', async () => {
    const r = await rawRequest(`${h.gw.url}/healthz`, 'GET');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { status: 'ok', packycode: 'ready' });
  });
  test('every reply carries a request-id header', async () => {
    const r = await rawRequest(`${h.gw.url}/healthz`, 'GET');
    assert.match(r.headers.get('request-id') ?? '', /^req_/);
  });
});

describe('bad requests -> 400 invalid_request_error with a helpful message', () => {
  const cases: Array<[string, string | object, RegExp, Record<string, string>?]> = [
    ['bad JSON', '{"model": "gpt-5", "messages": [', /not valid JSON/],
    ['JSON array', '[]', /JSON object/],
    ['JSON string', '"hello"', /JSON object/],
    ['JSON null', 'null', /JSON object/],
    ['missing model', { max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }, /model/],
    ['model not a string', { model: 5, max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }, /model/],
    ['missing messages', { model: 'gpt-5', max_tokens: 10 }, /messages/],
    ['unknown block type', { model: 'gpt-5', max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'hologram' }] }] }, /messages\.0\.content\.0/],
    ['empty body', '', /empty/],
    ['text/plain body', JSON.stringify(userRequest('hi')), /application\/json/, { 'content-type': 'text/plain' }],
  ];
  for (const [name, body, message, headers] of cases) {
    for (const path of ['/v1/messages', '/v1/messages/count_tokens']) {
      test(`${name} on ${path}`, async () => {
        const before = h.mock.requestCount;
        const r = await rawRequest(`${h.gw.url}${path}`, 'POST', body, { 'x-api-key': CLIENT_KEY, 'content-type': 'application/json', ...headers });
        assertAnthropicError(r, 400, 'invalid_request_error');
        assert.match(r.json.error.message, message);
        assert.equal(h.mock.requestCount, before);
      });
    }
  }

  test('bad JSON: the message says where the parse failed', async () => {
    const r = await h.post('/v1/messages', '{"model": "gpt-5", oops}');
    assertAnthropicError(r, 400, 'invalid_request_error');
    assert.match(r.json.error.message, /position|line|column|Unexpected|Expected/i);
  });

  test('a body with __proto__ is refused', async () => {
    const r = await h.post('/v1/messages', '{"model": "gpt-5", "max_tokens": 5, "messages": [], "__proto__": {"polluted": true}}');
    assertAnthropicError(r, 400, 'invalid_request_error');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('unsupported content type -> an error naming it', async () => {
    const r = await rawRequest(`${h.gw.url}/v1/messages`, 'POST', 'model=gpt-5', { 'x-api-key': CLIENT_KEY, 'content-type': 'application/x-www-form-urlencoded' });
    assert.ok(r.status === 415 || r.status === 400, String(r.status));
    assert.equal(r.json.type, 'error');
    assert.equal(r.json.error.type, 'invalid_request_error');
    assert.match(r.json.error.message, /application\/json/);
  });

  test('the SDK gets BadRequestError for an invalid body', async () => {
    await assert.rejects(
      h.client.messages.create({ model: 'gpt-5', max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'hologram' } as never] }] }),
      Anthropic.BadRequestError,
    );
  });
});

describe('unknown routes -> 404 in Anthropic\'s shape', () => {
  for (const [method, path] of [['POST', '/v1/nothing'], ['GET', '/v1/messages'], ['GET', '/v2/messages'], ['DELETE', '/v1/models']] as const) {
    test(`${method} ${path}`, async () => {
      const r = await rawRequest(`${h.gw.url}${path}`, method, undefined, { 'x-api-key': CLIENT_KEY });
      assertAnthropicError(r, 404, 'not_found_error');
      assert.ok(r.json.error.message.includes(path), r.json.error.message);
    });
  }
});

describe('no Packycode configuration at all', () => {
  let gw: TestGateway;
  before(async () => { gw = await startTestGateway('', { env: {} }); });
  after(async () => { await gw.stop(); });

  for (const stream of [false, true]) {
    test(`/v1/messages (stream ${stream}) answers an Anthropic error saying what to configure`, async () => {
      const r = await rawRequest(`${gw.url}/v1/messages?beta=true`, 'POST', userRequest('hi', { stream }));
      assert.ok(r.status >= 400 && r.status < 600, String(r.status));
      assert.match(r.headers.get('content-type') ?? '', /application\/json/);
      assert.equal(r.json.type, 'error');
      assert.equal(r.json.error.type, 'api_error');
      const m: string = r.json.error.message;
      assert.match(m, /packycode/i);
      assert.match(m, /config\.yaml/);
      assert.match(m, /PACKYCODE_BASE_URL/);
      assert.match(m, /PACKYCODE_API_KEY/);
      assert.equal(r.headers.get('x-should-retry'), 'false');
    });
  }

  test('the SDK gets an APIError carrying that message', async () => {
    const client = new Anthropic({ baseURL: gw.url, apiKey: 'anything', maxRetries: 0 });
    await assert.rejects(client.messages.create({ model: 'claude-opus-4-8', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
      (e: unknown) => e instanceof Anthropic.APIError && /packycode/i.test(e.message));
  });

  test('healthz says not-configured; models list is empty; count_tokens still works locally', async () => {
    const health = await rawRequest(`${gw.url}/healthz`, 'GET');
    assert.equal(health.status, 200);
    assert.equal(health.json.packycode, 'not-configured');
    const models = await rawRequest(`${gw.url}/v1/models`, 'GET');
    assert.deepEqual(models.json, { object: 'list', data: [] });
    const counted = await rawRequest(`${gw.url}/v1/messages/count_tokens`, 'POST', userRequest('count me'));
    assert.equal(counted.status, 200);
    assert.ok(counted.json.input_tokens > 0);
  });
});
