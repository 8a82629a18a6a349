// DNS rebinding and browsers of other origins (issue 8, item 2). The probe: `Host: evil.example` was served,
// so any web page could drive a gateway on 127.0.0.1 with empty api-keys. Now a loopback gateway answers only
// loopback names and the names in allowed-hosts (hot-reloaded), CORS preflights get a 403 without
// Access-Control-Allow-Origin on every route, and cross-origin requests never reach the upstream.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { closeUpstreamPools } from '../../src/upstream/responses-client.ts';
import { send, isAnthropicError } from './edge-client.ts';

const UPSTREAM_KEY = 'sk-test-upstream-key-1234';
const BODY = JSON.stringify({ model: 'gpt-5-codex', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] });
const JSON_HEADERS = { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' };

// empty api-keys on loopback: the case the probe exploited
function yaml(mockUrl: string, extra = ''): string {
  return [
    'remote-management:',
    '  secret-key: "edge-test-management-key"',
    extra,
    'packycode:',
    '  enabled: true',
    `  base-url: ${mockUrl}`,
    '  credentials:',
    `    openai-api-key: ${UPSTREAM_KEY}`,
    '',
  ].join('\n');
}

let mock: MockUpstream;
let gw: TestGateway;
let port: number;
before(async () => {
  mock = await startMockUpstream({ apiKey: UPSTREAM_KEY });
  gw = await startTestGateway(yaml(mock.url), { watch: true });
  port = Number(new URL(gw.url).port);
});
after(async () => {
  await gw.stop();
  await mock.close();
  await closeUpstreamPools(200);
});

describe('Host header on a loopback gateway', () => {
  test('a foreign Host is refused with 403 in each route\'s error shape; nothing reaches the upstream', async () => {
    const before = mock.requestCount;
    for (const host of ['evil.example', `evil.example:${port}`, 'attacker.example.:80', '192.168.1.20', 'localhost.evil.example']) {
      const r = await send(`${gw.url}/v1/messages`, 'POST', { ...JSON_HEADERS, host }, BODY);
      assert.equal(isAnthropicError(r, 403, 'permission_error'), undefined, host);
      assert.match(r.json.error.message, /allowed-hosts/);
      assert.match(r.json.error.message, /DNS rebinding/);
      assert.equal(r.headers['access-control-allow-origin'], undefined);
    }
    const ct = await send(`${gw.url}/v1/messages/count_tokens`, 'POST', { ...JSON_HEADERS, host: 'evil.example' }, BODY);
    assert.equal(isAnthropicError(ct, 403, 'permission_error'), undefined);
    const models = await send(`${gw.url}/v1/models`, 'GET', { host: 'evil.example' });
    assert.equal(isAnthropicError(models, 403, 'permission_error'), undefined);
    // management answers in its own shape, and a wrong Host is refused before the key is even looked at
    const mgmt = await send(`${gw.url}/v0/management/status`, 'GET', { host: 'evil.example', authorization: 'Bearer edge-test-management-key' });
    assert.equal(mgmt.status, 403);
    assert.equal(mgmt.json?.error, 'forbidden');
    assert.match(mgmt.json?.message, /allowed-hosts/);
    // the OpenAI-shaped routes answer in OpenAI's shape
    const openai = await send(`${gw.url}/v1/chat/completions`, 'POST', { ...JSON_HEADERS, host: 'evil.example' }, '{}');
    assert.equal(openai.status, 403);
    assert.equal(typeof openai.json?.error?.message, 'string');
    assert.equal(openai.json?.error?.type, 'invalid_request_error');
    assert.equal(openai.json?.error?.code, 'permission_denied');
    assert.equal(mock.requestCount, before, 'the upstream received nothing');
  });

  test('loopback names with any port are served', async () => {
    for (const host of [`localhost:${port}`, 'localhost', `127.0.0.1:${port}`, '127.0.0.1', `[::1]:${port}`, `LOCALHOST:${port}`, `app.localhost:${port}`, `localhost.:${port}`]) {
      const r = await send(`${gw.url}/healthz`, 'GET', { host });
      assert.equal(r.status, 200, `${host}: ${r.text}`);
    }
    const msg = await send(`${gw.url}/v1/messages`, 'POST', { ...JSON_HEADERS, host: `localhost:${port}` }, BODY);
    assert.equal(msg.status, 200, msg.text);
    assert.equal(msg.json?.type, 'message');
  });

  test('allowed-hosts lists more names, applies on reload, and an invalid entry is refused with a fix', async () => {
    const original = readFileSync(gw.configPath, 'utf8');
    try {
      assert.equal((await send(`${gw.url}/healthz`, 'GET', { host: 'gateway.lan' })).status, 403);
      writeFileSync(gw.configPath, yaml(mock.url, 'allowed-hosts: [gateway.lan, "*.corp.example"]'));
      const deadline = Date.now() + 10_000;
      while ((gw.runtime.snapshot.allowedHosts ?? []).length === 0) {
        assert.ok(Date.now() < deadline, 'the edit was applied');
        await sleep(25);
      }
      assert.equal((await send(`${gw.url}/healthz`, 'GET', { host: `gateway.lan:${port}` })).status, 200);
      assert.equal((await send(`${gw.url}/healthz`, 'GET', { host: 'build.corp.example' })).status, 200);
      assert.equal((await send(`${gw.url}/healthz`, 'GET', { host: 'corp.example.evil' })).status, 403);
      assert.equal((await send(`${gw.url}/healthz`, 'GET', { host: 'evil.example' })).status, 403);

      // a URL is not a host name: refused, the last good list stays
      const loadedAt = gw.runtime.snapshot.loadedAt;
      const outcome = await (async () => {
        writeFileSync(gw.configPath, yaml(mock.url, 'allowed-hosts: ["https://gateway.lan:8317/"]'));
        return gw.controller.reload('file');
      })();
      assert.equal(outcome.applied, false);
      const problem = outcome.result.errors.find((e) => e.path.startsWith('allowed-hosts'));
      assert.ok(problem, JSON.stringify(outcome.result.errors));
      assert.match(problem.fix, /gateway\.lan/);
      assert.equal(gw.runtime.snapshot.loadedAt, loadedAt);
      assert.equal((await send(`${gw.url}/healthz`, 'GET', { host: 'gateway.lan' })).status, 200);
    } finally {
      writeFileSync(gw.configPath, original);
      await gw.controller.reload('file');
    }
    assert.deepEqual(gw.runtime.snapshot.allowedHosts, []);
    // the last Host allowed (gateway.lan, just above) is refused again once the reload has taken it off the list
    assert.equal((await send(`${gw.url}/healthz`, 'GET', { host: 'gateway.lan' })).status, 403);
    assert.equal((await send(`${gw.url}/healthz`, 'GET', { host: 'gateway.lan' })).status, 403);
  });
});

describe('browsers of other origins', () => {
  test('a CORS preflight on every route gets 403 without Access-Control-Allow-Origin', async () => {
    for (const path of ['/v1/messages', '/v1/messages/count_tokens', '/v1/models', '/v0/management/packycode', '/metrics', '/healthz', '/', '/no/such/route']) {
      const r = await send(`${gw.url}${path}`, 'OPTIONS', {
        origin: 'https://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-api-key',
      });
      assert.equal(r.status, 403, `${path}: ${r.text}`);
      assert.equal(r.headers['access-control-allow-origin'], undefined, path);
      assert.equal(r.headers['access-control-allow-methods'], undefined, path);
      const message = r.json?.error?.message ?? r.json?.message;
      assert.match(message, /cross-origin request refused/, path);
    }
  });

  test('a cross-origin "simple" POST (no preflight) is refused before it runs', async () => {
    const before = mock.requestCount;
    for (const origin of ['https://evil.example', 'null', `http://localhost:${port + 1}`]) {
      const r = await send(`${gw.url}/v1/messages`, 'POST', { 'content-type': 'text/plain', origin, host: `127.0.0.1:${port}` }, BODY);
      assert.equal(isAnthropicError(r, 403, 'permission_error'), undefined, origin);
      assert.match(r.json.error.message, /cross-origin/);
    }
    assert.equal(mock.requestCount, before);
  });

  test('same-origin requests (a page the gateway serves) work, and no response carries Access-Control-Allow-Origin', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`]) {
      const r = await send(`${gw.url}/v1/messages`, 'POST', { ...JSON_HEADERS, origin: `http://${host}`, host }, BODY);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers['access-control-allow-origin'], undefined);
    }
    const plain = await send(`${gw.url}/v1/models`, 'GET', {});
    assert.equal(plain.status, 200);
    assert.equal(plain.headers['access-control-allow-origin'], undefined);
  });
});
