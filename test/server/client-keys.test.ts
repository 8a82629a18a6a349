// Named client keys through a real gateway and a real config.yaml: names in logs (never keys), sha256-written
// and ${ENV} keys, model globs (403), limits (429 + retry-after), expiry (401), and live management
// (create -> shown once, list masked, change limits, revoke) with comments kept and audit by name.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.ts';
import { rawRequest, userRequest, UPSTREAM_KEY } from '../e2e/sdk-harness.ts';
import { evaluateFileText } from '../../src/config/file-config.ts';
import { closeUpstreamPools } from '../../src/upstream/responses-client.ts';

const SECRET = 'mgmt-secret-for-client-keys';
const SECRET_HASH = bcrypt.hashSync(SECRET, 4);
const MGMT = { authorization: `Bearer ${SECRET}` };
const ALICE = 'pb-alice-0123456789abcdefghijklmnop';
const BOB = 'pb-bob-0123456789abcdefghijklmnopqr';
const CAROL = 'pb-carol-from-the-environment-000001';
const OLD = 'pb-old-key-000000000000000000000000';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

const yaml = (url: string) => `# team gateway
api-keys:
  - name: alice          # alice's laptop
    key: ${ALICE}
    models: ["gpt-5*"]
  - name: bob
    key: sha256:${sha(BOB)}
    limits: { requests-per-minute: 2 }
  - { name: carol, key: "\${CAROL_KEY}", limits: { tokens-per-minute: 1 } }
  - { name: old, key: ${OLD}, expires: 2020-01-31 }
remote-management:
  secret-key: "${SECRET_HASH}"
packycode:
  enabled: true
  base-url: ${url}
  credentials:
    openai-api-key: ${UPSTREAM_KEY}
  defaults:
    model: gpt-5-codex
`;

const ask = (gw: TestGateway, key: string, model = 'gpt-5-codex') =>
  rawRequest(`${gw.url}/v1/messages`, 'POST', { ...userRequest('hi'), model }, { 'x-api-key': key });
const mgmt = (gw: TestGateway, method: string, path: string, body?: unknown) => rawRequest(`${gw.url}/v0/management${path}`, method, body, MGMT);

let mock: MockUpstream;
let gw: TestGateway;
before(async () => {
  mock = await startMockUpstream({ apiKey: UPSTREAM_KEY });
  gw = await startTestGateway(yaml(mock.url), { env: { CAROL_KEY: CAROL } });
});
after(async () => {
  await gw.stop();
  await mock.close();
  await closeUpstreamPools(200);
});

describe('api-keys entries in the file', () => {
  test('validation: names, digests, limits, dates, unknown keys', () => {
    const problems = (text: string) => {
      const e = evaluateFileText(text, {});
      return [...e.errors, ...e.warnings].map((p) => `${p.path}: ${p.message}`);
    };
    assert.deepEqual(problems('api-keys: [{ name: a, key: k1 }, { name: a, key: k2 }]'), ['api-keys[1].name: "a" is also the name of api-keys[0]']);
    assert.deepEqual(problems('api-keys: [{ name: a, key: "sha256:abc" }]'), ['api-keys[0].key: starts with sha256: but is not followed by 64 hex digits']);
    assert.deepEqual(problems('api-keys: [{ name: a, key: k1, limits: { requests-per-minute: 0 } }]'), ['api-keys[0].limits.requests-per-minute: 0 is below the minimum 1']);
    assert.deepEqual(problems('api-keys: [{ name: a, key: k1, expires: soon }]'), ['api-keys[0].expires: "soon" is not a date']);
    assert.deepEqual(problems('api-keys: [{ name: "a b", key: k1 }]'), ['api-keys[0].name: "a b" is not a usable name']);
    assert.deepEqual(problems('api-keys: [{ key: k1 }]'), ['api-keys[0].name: is missing']);
    assert.deepEqual(problems('api-keys: [{ name: a, key: k1, limits: { request-per-minute: 5 } }]'),
      ['api-keys[0].limits.request-per-minute: unknown key "request-per-minute" (ignored)']);
    assert.deepEqual(problems('state: { backend: redis }'), ['state.url: is missing while state.backend is redis']);
    assert.deepEqual(problems('state: { backend: redis, url: "http://x:6379" }'), ['state.url: is not a redis:// or rediss:// URL']);
    assert.deepEqual(problems('api-keys: [12345]'), ['api-keys[0]: a number is not a string'], 'a bare entry keeps its own message');
    const ok = evaluateFileText(`api-keys: [plain-key-1, { name: z, key: "sha256:${sha('x')}", models: ["gpt-5*"], limits: { tokens-per-day: "100" }, expires: 2030-01-01 }]`, {});
    assert.deepEqual(ok.errors, []);
    const keys = ok.settings!.clientKeys;
    assert.deepEqual(keys.map((k) => [k.name, k.digest, k.masked]), [['key-1', sha('plain-key-1'), '****'], ['z', sha('x'), `sha256:…${sha('x').slice(-4)}`]]);
    assert.deepEqual(keys[1].limits, { requestsPerMinute: undefined, tokensPerMinute: undefined, tokensPerDay: 100 });
    assert.equal(keys[1].expires, Date.parse('2030-01-01T23:59:59.999Z'));
  });

  test('a named key works; its name (never the key) is logged', async () => {
    const r = await ask(gw, ALICE);
    assert.equal(r.status, 200, r.text);
    const line = gw.logLines.map((l) => JSON.parse(l)).find((l) => l.reqId === r.headers.get('request-id') && l.msg === 'request');
    assert.equal(line?.client, 'alice');
    assert.ok(!gw.logLines.some((l) => l.includes(ALICE)), 'the key is never logged');
  });

  test('a key written as sha256:<hex> and one from ${ENV} work', async () => {
    assert.equal((await ask(gw, BOB)).status, 200);
    assert.equal((await ask(gw, CAROL)).status, 200);
    assert.equal((await ask(gw, `sha256:${sha(BOB)}`)).status, 401, 'the digest itself is not a key');
  });

  test('a model outside the key\'s globs: 403 permission_error naming the allowed ones; upstream not called', async () => {
    const before = mock.requestCount;
    const r = await ask(gw, ALICE, 'claude-sonnet-4-5');
    assert.equal(r.status, 403, r.text);
    assert.equal(r.json.error.type, 'permission_error');
    assert.match(r.json.error.message, /"alice" may not use model "claude-sonnet-4-5"; it may use: gpt-5\*/);
    assert.equal(mock.requestCount, before);
  });

  test('requests-per-minute: 429 rate_limit_error with retry-after once the minute is used', async () => {
    // bob used one request above; at most one more fits unless the minute turned meanwhile
    let r = await ask(gw, BOB);
    for (let i = 0; i < 3 && r.status === 200; i++) r = await ask(gw, BOB);
    assert.equal(r.status, 429, r.text);
    assert.equal(r.json.error.type, 'rate_limit_error');
    assert.match(r.json.error.message, /"bob" reached its limit of 2 requests per minute/);
    const retry = Number(r.headers.get('retry-after'));
    assert.ok(retry >= 1 && retry <= 60, `retry-after ${retry}`);
    assert.equal((await ask(gw, ALICE)).status, 200, 'other keys are not affected');
  });

  test('tokens-per-minute: the request that used the tokens ends the minute for that key', async () => {
    let r = await ask(gw, CAROL);
    for (let i = 0; i < 2 && r.status === 200; i++) r = await ask(gw, CAROL);
    assert.equal(r.status, 429, r.text);
    assert.match(r.json.error.message, /"carol" reached its limit of 1 tokens per minute/);
  });

  test('an expired key: 401 naming the key and the date', async () => {
    const r = await ask(gw, OLD);
    assert.equal(r.status, 401);
    assert.equal(r.json.error.type, 'authentication_error');
    assert.match(r.json.error.message, /"old" expired on 2020-01-31T23:59:59.999Z/);
  });
});

describe('/v0/management/api-keys', () => {
  test('lists keys masked, with limits and what they used', async () => {
    let r = await mgmt(gw, 'GET', '/api-keys');
    assert.equal(r.status, 200);
    if (r.json.keys[1]['in-window']['requests-this-minute'] === 0) {
      // the minute turned since bob's requests above (fixed UTC minutes): one now is counted in this one
      assert.equal((await ask(gw, BOB)).status, 200);
      r = await mgmt(gw, 'GET', '/api-keys');
    }
    assert.deepEqual(r.json.keys.map((k: any) => k.name), ['alice', 'bob', 'carol', 'old']);
    for (const k of [ALICE, BOB, CAROL, OLD, sha(BOB)]) assert.ok(!r.text.includes(k), 'no key in the answer');
    const bob = r.json.keys[1];
    assert.deepEqual(bob.limits, { 'requests-per-minute': 2 });
    assert.equal(bob.key, `sha256:…${sha(BOB).slice(-4)}`);
    assert.ok(bob['in-window']['requests-this-minute'] >= 1);
    assert.equal(r.json.keys[3].expired, true);
  });

  test('create: the key is shown once, the file keeps its digest and its comments; it works at once', async () => {
    const before = readFileSync(gw.configPath, 'utf8');
    const r = await mgmt(gw, 'POST', '/api-keys', { name: 'dave', models: ['gpt-5*'], limits: { 'requests-per-minute': 1 } });
    assert.equal(r.status, 201, r.text);
    const key: string = r.json.key;
    assert.match(key, /^pb-[A-Za-z0-9_-]{43}$/);
    const text = readFileSync(gw.configPath, 'utf8');
    assert.ok(!text.includes(key), 'the file does not hold the key');
    assert.ok(text.includes(`sha256:${sha(key)}`));
    assert.ok(text.startsWith(before.slice(0, before.indexOf('  - { name: old'))), 'the entries before, comments included, as they were');
    assert.ok(text.includes('# alice\'s laptop'));
    assert.equal((await ask(gw, key)).status, 200);
    const list = await mgmt(gw, 'GET', '/api-keys');
    assert.ok(!list.text.includes(key));
    const audit = await mgmt(gw, 'GET', '/audit');
    const created = audit.json.events.find((e: any) => e.kind === 'client-key-created');
    assert.equal(created?.name, 'dave');
    assert.ok(!audit.text.includes(key));
  });

  test('invalid input changes nothing: 422 naming the key path; a clash is 409', async () => {
    const before = readFileSync(gw.configPath, 'utf8');
    const bad = await mgmt(gw, 'POST', '/api-keys', { name: 'erin', limits: { 'requests-per-minute': -1 } });
    assert.equal(bad.status, 422, bad.text);
    assert.match(bad.json.details[0].path, /^api-keys\[\d+\]\.limits\.requests-per-minute$/);
    const typo = await mgmt(gw, 'POST', '/api-keys', { name: 'erin', limit: {} });
    assert.equal(typo.status, 422);
    assert.match(typo.json.details[0].fix, /did you mean "limits"/);
    const clash = await mgmt(gw, 'POST', '/api-keys', { name: 'alice' });
    assert.equal(clash.status, 409);
    assert.equal(readFileSync(gw.configPath, 'utf8'), before);
  });

  test('change limits, then revoke: applied at once, audited by name', async () => {
    const changed = await mgmt(gw, 'PATCH', '/api-keys/alice', { limits: { 'requests-per-minute': 1 }, models: null });
    assert.equal(changed.status, 200, changed.text);
    assert.deepEqual(changed.json.limits, { 'requests-per-minute': 1 });
    assert.equal(changed.json.models, null);
    // alice may now use any model, and only one request this minute (she may have used it already)
    const first = await ask(gw, ALICE, 'claude-sonnet-4-5');
    const second = await ask(gw, ALICE, 'claude-sonnet-4-5');
    assert.ok(first.status !== 403);
    assert.equal(second.status, 429, second.text);
    assert.ok(readFileSync(gw.configPath, 'utf8').includes('# alice\'s laptop'), 'the entry\'s comment stays');

    const revoked = await mgmt(gw, 'DELETE', '/api-keys/carol');
    assert.equal(revoked.status, 200);
    assert.equal((await ask(gw, CAROL)).status, 401);
    assert.ok(!readFileSync(gw.configPath, 'utf8').includes('CAROL_KEY'));
    assert.equal((await mgmt(gw, 'DELETE', '/api-keys/carol')).status, 404);
    const kinds = (await mgmt(gw, 'GET', '/audit')).json.events.map((e: any) => `${e.kind}:${e.name ?? ''}`);
    assert.ok(kinds.includes('client-key-changed:alice') && kinds.includes('client-key-revoked:carol'), kinds.join(' '));
  });

  test('an edit of the file applies on reload, validated the same way', async () => {
    const text = readFileSync(gw.configPath, 'utf8');
    writeFileSync(gw.configPath, text.replace('    limits: { requests-per-minute: 2 }', '    limits: { requests-per-minute: 1000 }'));
    const ok = await gw.controller.reload('file');
    assert.equal(ok.applied, true);
    assert.equal(gw.runtime.snapshot.clientKeys.find((k) => k.name === 'bob')?.limits.requestsPerMinute, 1000);
    assert.equal((await ask(gw, BOB)).status, 200);
    writeFileSync(gw.configPath, text.replace('    limits: { requests-per-minute: 2 }', '    limits: { requests-per-minute: lots }'));
    const refused = await gw.controller.reload('file');
    assert.equal(refused.applied, false);
    assert.equal(gw.runtime.snapshot.clientKeys.find((k) => k.name === 'bob')?.limits.requestsPerMinute, 1000, 'the last good configuration stays');
  });
});
