// Who may use /v0/management and /metrics: the secret-key (bcrypt, hashed in the file on first load),
// loopback-only unless allow-remote, lockout after repeated wrong keys, 404 when no key is configured.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import bcrypt from 'bcryptjs';
import { packycodeYaml, startTestGateway, type TestGateway } from '../support/gateway.ts';
import { MAX_FAILURES } from '../../src/server/management-auth.ts';

const SECRET = 'mgmt-plaintext-secret-0042';
const MOCK_URL = 'http://127.0.0.1:9/v1'; // never called here

const rm = (secret: string, allowRemote = false) => `remote-management:\n  secret-key: "${secret}"   # management key\n  allow-remote: ${allowRemote}\n`;

async function get(gw: TestGateway, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(gw.url + path, { headers });
  return { status: res.status, body: await res.json().catch(() => null), headers: res.headers };
}

/** A request as if from another machine (fastify inject sets the peer address). */
function remote(gw: TestGateway, method: 'GET' | 'PATCH', url: string, headers: Record<string, string> = {}, remoteAddress = '10.1.2.3') {
  return gw.app.inject({ method, url, headers, remoteAddress, ...(method === 'PATCH' ? { payload: { enabled: false } } : {}) });
}

describe('no secret-key configured', () => {
  let gw: TestGateway;
  before(async () => { gw = await startTestGateway(packycodeYaml(MOCK_URL)); });
  after(() => gw.stop());

  test('every management route answers 404, with or without a key; nothing is written', async () => {
    const before = readFileSync(gw.configPath, 'utf8');
    for (const path of ['/v0/management/packycode', '/v0/management/config', '/v0/management/status', '/v0/management/audit']) {
      const r = await get(gw, path, { authorization: 'Bearer anything' });
      assert.equal(r.status, 404, path);
      assert.match(r.body.message, /remote-management\.secret-key/);
    }
    const patch = await fetch(gw.url + '/v0/management/packycode', { method: 'PATCH', headers: { 'content-type': 'application/json', authorization: 'Bearer x' }, body: '{"enabled": false}' });
    assert.equal(patch.status, 404);
    assert.equal(readFileSync(gw.configPath, 'utf8'), before);
  });

  test('/metrics stays open on loopback; from elsewhere it is 404 like management', async () => {
    const local = await fetch(gw.url + '/metrics');
    assert.equal(local.status, 200);
    assert.match(await local.text(), /packybridge_requests_total/);
    assert.equal((await remote(gw, 'GET', '/metrics')).statusCode, 404);
  });
});

describe('secret-key, loopback only (allow-remote false)', () => {
  let gw: TestGateway;
  let original: string;
  before(async () => {
    original = `# comment on top\n${rm(SECRET)}${packycodeYaml(MOCK_URL)}`;
    gw = await startTestGateway(original);
  });
  after(() => gw.stop());

  test('the plaintext key in the file is replaced by its bcrypt hash on first load; comments stay', () => {
    const text = readFileSync(gw.configPath, 'utf8');
    assert.ok(!text.includes(SECRET), 'plaintext gone');
    const hash = /secret-key: "(\$2[aby]\$\d\d\$[./A-Za-z0-9]{53})" +# management key/.exec(text)?.[1];
    assert.ok(hash, text);
    assert.ok(bcrypt.compareSync(SECRET, hash));
    // only that line changed (the spacing before its comment is re-done by the YAML writer)
    const norm = (t: string) => t.replace(/(secret-key: "[^"]*") +#/, '$1 #');
    assert.equal(norm(text.replace(hash, SECRET)), norm(original));
  });

  test('the key works as Authorization: Bearer and as X-Management-Key', async () => {
    assert.equal((await get(gw, '/v0/management/status', { authorization: `Bearer ${SECRET}` })).status, 200);
    assert.equal((await get(gw, '/v0/management/status', { 'x-management-key': SECRET })).status, 200);
  });

  test('missing or wrong key: 401, audited as management-denied without the key', async () => {
    const missing = await get(gw, '/v0/management/packycode');
    assert.equal(missing.status, 401);
    assert.match(missing.body.message, /X-Management-Key/);
    const wrong = await get(gw, '/v0/management/packycode', { authorization: 'Bearer wrong-guess-123' });
    assert.equal(wrong.status, 401);
    const denied = gw.runtime.audit.recent(10).filter((e) => e.kind === 'management-denied');
    assert.deepEqual(denied.map((e) => e.reason), ['missing key', 'wrong key']);
    assert.equal(denied[1].path, '/v0/management/packycode');
    assert.ok(!JSON.stringify(denied).includes('wrong-guess-123'));
    assert.ok(!gw.logLines.some((l) => l.includes('wrong-guess-123') || l.includes(SECRET)));
  });

  test('a non-loopback client gets 403 even with the right key; audited', async () => {
    for (const method of ['GET', 'PATCH'] as const) {
      const r = await remote(gw, method, '/v0/management/packycode', { authorization: `Bearer ${SECRET}` });
      assert.equal(r.statusCode, 403, method);
      assert.match(r.json().message, /allow-remote: true/);
    }
    const last = gw.runtime.audit.recent(1)[0];
    assert.equal(last.kind, 'management-denied');
    assert.equal(last.ip, '10.1.2.3');
    assert.equal(last.reason, 'remote not allowed');
    assert.equal(gw.runtime.snapshot.packycode.enabled, true, 'the PATCH did nothing');
  });

  test('/metrics: open on loopback without a key; 403 from elsewhere', async () => {
    assert.equal((await fetch(gw.url + '/metrics')).status, 200);
    assert.equal((await remote(gw, 'GET', '/metrics', { authorization: `Bearer ${SECRET}` })).statusCode, 403);
  });
});

describe('a bcrypt hash in the file', () => {
  test('is used as is: the file is not rewritten', async () => {
    const hash = bcrypt.hashSync(SECRET, 4);
    const text = `${rm(hash)}${packycodeYaml(MOCK_URL)}`;
    const gw = await startTestGateway(text);
    try {
      assert.equal(readFileSync(gw.configPath, 'utf8'), text);
      assert.equal((await get(gw, '/v0/management/status', { authorization: `Bearer ${SECRET}` })).status, 200);
      assert.equal((await get(gw, '/v0/management/status', { authorization: `Bearer ${hash}` })).status, 401, 'the hash itself is not the key');
    } finally {
      await gw.stop();
    }
  });
});

describe('allow-remote: true', () => {
  let gw: TestGateway;
  before(async () => { gw = await startTestGateway(`${rm(bcrypt.hashSync(SECRET, 4), true)}${packycodeYaml(MOCK_URL)}`); });
  after(() => gw.stop());

  test('a remote client with the key gets in; without it, 401', async () => {
    const ok = await remote(gw, 'GET', '/v0/management/status', { 'x-management-key': SECRET }, '10.0.0.5');
    assert.equal(ok.statusCode, 200);
    assert.equal((await remote(gw, 'GET', '/v0/management/status', {}, '10.0.0.5')).statusCode, 401);
  });

  test('/metrics from elsewhere needs the key', async () => {
    assert.equal((await remote(gw, 'GET', '/metrics', {}, '10.0.0.6')).statusCode, 401);
    const ok = await remote(gw, 'GET', '/metrics', { authorization: `Bearer ${SECRET}` }, '10.0.0.6');
    assert.equal(ok.statusCode, 200);
    assert.match(ok.body, /packybridge_requests_total/);
  });

  test(`${MAX_FAILURES} wrong keys lock that address out (429 + retry-after), even for the right key; others are not affected`, async () => {
    const ip = '10.9.9.9';
    for (let i = 0; i < MAX_FAILURES; i++) {
      // wrong keys on /metrics and management count together
      const path = i % 2 ? '/metrics' : '/v0/management/packycode';
      assert.equal((await remote(gw, 'GET', path, { authorization: `Bearer guess-${i}` }, ip)).statusCode, 401, `attempt ${i}`);
    }
    const locked = await remote(gw, 'GET', '/v0/management/packycode', { authorization: `Bearer ${SECRET}` }, ip);
    assert.equal(locked.statusCode, 429);
    const retry = Number(locked.headers['retry-after']);
    assert.ok(Number.isInteger(retry) && retry > 0, `retry-after ${locked.headers['retry-after']}`);
    assert.match(locked.json().message, /try again in \d+ s/);
    assert.equal((await remote(gw, 'GET', '/v0/management/packycode', { authorization: `Bearer ${SECRET}` }, '10.9.9.10')).statusCode, 200);
    assert.equal((await get(gw, '/v0/management/status', { authorization: `Bearer ${SECRET}` })).status, 200);
    const lock = gw.runtime.audit.recent(50).find((e) => e.kind === 'management-locked');
    assert.equal(lock?.ip, ip);
    assert.ok(!JSON.stringify(gw.runtime.audit.recent(50)).includes('guess-'));
  });
});
