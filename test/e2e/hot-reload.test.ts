// Hot reload through real files: edits (in place and save-by-rename) apply to new requests, invalid edits
// are refused with the last good configuration kept, a stream in flight keeps the configuration it started
// with, and the audit trail records it all without a key, a secret or a prompt.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import bcrypt from 'bcryptjs';
import { packycodeYaml, startTestGateway, type TestGateway } from '../support/gateway.ts';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.ts';
import { httpError, slow, text } from '../support/response-scenarios.ts';

const UPSTREAM_KEY = 'sk-test-upstream-key-1234'; // packycodeYaml's key
const CLIENT = { 'x-api-key': 'test-client-key', 'content-type': 'application/json', 'anthropic-version': '2023-06-01' };

/** Polls until `check` holds; fails after a generous deadline (reloads normally land within ~150 ms). */
async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await sleep(20);
  }
}

async function models(gw: TestGateway): Promise<string[]> {
  const r = await fetch(gw.url + '/v1/models', { headers: CLIENT });
  return ((await r.json()) as { data: Array<{ id: string }> }).data.map((m) => m.id);
}

function message(gw: TestGateway, model: string, prompt: string, stream = false) {
  return fetch(gw.url + '/v1/messages', {
    method: 'POST', headers: CLIENT,
    body: JSON.stringify({ model, max_tokens: 100, stream, messages: [{ role: 'user', content: prompt }] }),
  });
}

/** Replaces one line of config.yaml in place (a plain write, as `echo >` or most tools do). */
function edit(gw: TestGateway, from: RegExp, to: string): void {
  const before = readFileSync(gw.configPath, 'utf8');
  const after = before.replace(from, to);
  assert.notEqual(after, before, `the edit ${from} applies`);
  writeFileSync(gw.configPath, after);
}

let mock: MockUpstream;
before(async () => { mock = await startMockUpstream({ apiKey: UPSTREAM_KEY }); });
after(() => mock.close());

describe('hot reload', () => {
  let gw: TestGateway;
  before(async () => { gw = await startTestGateway(packycodeYaml(mock.url), { watch: true }); });
  after(() => gw.stop());

  test('a valid edit applies to new requests', async () => {
    mock.reset();
    const loaded = gw.runtime.snapshot.loadedAt;
    edit(gw, /model: gpt-5-codex\n/, 'model: gpt-5\n');
    await waitFor('the new default model', () => gw.runtime.snapshot.packycode.defaults.model === 'gpt-5');
    assert.ok(gw.runtime.snapshot.loadedAt > loaded);
    // a client model name packybridge does not know goes to the default model
    const r = await message(gw, 'claude-sonnet-4-5', 'which model?');
    assert.equal(r.status, 200);
    assert.equal(mock.requests.at(-1)!.body.model, 'gpt-5');
    const change = gw.runtime.audit.recent(20).findLast((e) => e.kind === 'config-change')!;
    assert.equal(change.trigger, 'file');
    assert.deepEqual(change.keys, ['packycode.defaults.model']);
  });

  test('an edit saved by rename (write a copy, rename it over) applies', async () => {
    const next = readFileSync(gw.configPath, 'utf8').replace('model-reasoning-effort: medium', 'model-reasoning-effort: low');
    const tmp = join(gw.dir, 'config.yaml.swp');
    writeFileSync(tmp, next);
    renameSync(tmp, gw.configPath);
    await waitFor('effort low', () => gw.runtime.snapshot.packycode.defaults.modelReasoningEffort === 'low');
  });

  test('/v1/models follows enable and disable; registering again changes nothing', async () => {
    const all = await models(gw);
    assert.ok(all.includes('gpt-5-codex-high'));
    edit(gw, /enabled: true/, 'enabled: false');
    await waitFor('models unregistered', async () => (await models(gw)).length === 0);
    assert.equal(gw.runtime.registry.clients().length, 0);
    edit(gw, /enabled: false/, 'enabled: true');
    await waitFor('models registered', async () => (await models(gw)).length > 0);
    assert.deepEqual(await models(gw), all);
    // a change that leaves Packycode as it is (a comment) reloads without touching the registry
    const loaded = gw.runtime.snapshot.loadedAt;
    const clients = gw.runtime.registry.clients();
    writeFileSync(gw.configPath, readFileSync(gw.configPath, 'utf8') + '# a comment\n');
    await waitFor('the comment-only edit reloaded', () => gw.runtime.snapshot.loadedAt > loaded);
    assert.deepEqual(gw.runtime.registry.clients(), clients);
    assert.deepEqual(await models(gw), all);
    const kinds = gw.runtime.audit.recent(10).map((e) => e.kind);
    assert.deepEqual(kinds.slice(-4), ['disable', 'config-change', 'enable', 'config-change'], 'no event for the comment');
  });

  test('an invalid edit is refused: the last good configuration stays, the error is logged with its fix and audited', async () => {
    const good = gw.runtime.snapshot;
    edit(gw, new RegExp(`base-url: ${mock.url.replace(/[./]/g, '\\$&')}`), 'base-url: codex-api.packycode.com/v1');
    await waitFor('the refusal', () => gw.runtime.audit.recent(1)[0]?.kind === 'config-refused');
    assert.equal(gw.runtime.snapshot, good, 'the same snapshot in force');
    const refused = gw.runtime.audit.recent(1)[0];
    assert.equal(refused.trigger, 'file');
    assert.deepEqual(refused.problems, [{
      path: 'packycode.base-url',
      message: '"codex-api.packycode.com/v1" is not an http(s) URL',
      fix: 'write https://codex-api.packycode.com/v1',
    }]);
    const line = gw.logLines.find((l) => l.includes('config refused'));
    assert.ok(line, 'logged');
    assert.match(line, /packycode\.base-url: \\"codex-api\.packycode\.com\/v1\\" is not an http\(s\) URL; write https:\/\/codex-api\.packycode\.com\/v1/);
    assert.equal(JSON.parse(line).level, 50, 'at error level');
    // requests go on with the last good configuration
    assert.equal((await message(gw, 'gpt-5-codex', 'still there?')).status, 200);
    assert.ok(readFileSync(gw.configPath, 'utf8').includes('codex-api.packycode.com/v1'), 'the file is left as written');
    // fixing the file applies it
    edit(gw, /base-url: codex-api\.packycode\.com\/v1/, `base-url: ${mock.url}/`);
    await waitFor('the fix applied', () => gw.runtime.snapshot !== good);
    assert.equal(gw.runtime.snapshot.packycode.baseUrl, mock.url);
  });

  test('a YAML syntax error is refused too', async () => {
    const good = gw.runtime.snapshot;
    const before = readFileSync(gw.configPath, 'utf8');
    const refusals = () => gw.runtime.audit.recent(500).filter((e) => e.kind === 'config-refused').length;
    const seen = refusals();
    writeFileSync(gw.configPath, before.replace('packycode:', 'packycode: [oops'));
    await waitFor('the refusal', () => refusals() > seen);
    assert.equal(gw.runtime.snapshot, good);
    assert.match(String((gw.runtime.audit.recent(1)[0].problems as Array<{ message: string }>)[0].message), /YAML syntax error/);
    writeFileSync(gw.configPath, before);
  });
});

describe('disabling while a stream is in flight', () => {
  let gw: TestGateway;
  before(async () => { gw = await startTestGateway(packycodeYaml(mock.url), { watch: true }); });
  after(() => gw.stop());

  test('the next request is refused at once; the stream in flight completes on the configuration it started with', async () => {
    const words = 'one two three four five';
    mock.reset();
    mock.enqueue(slow(90, text(words)));
    const res = await message(gw, 'gpt-5-codex', 'tell me a slow story', true);
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let sse = decoder.decode((await reader.read()).value);
    assert.match(sse, /event: message_start/);
    const upstream = mock.requests.at(-1)!;
    let upstreamDone = false;
    void upstream.finished.then(() => { upstreamDone = true; });

    edit(gw, /enabled: true/, 'enabled: false');
    await waitFor('Packycode off', () => !gw.runtime.packycodeUsable());
    const next = await message(gw, 'gpt-5-codex', 'are you there?');
    assert.equal(next.status, 503);
    assert.match(((await next.json()) as { error: { message: string } }).error.message, /disabled/);
    assert.equal(upstreamDone, false, 'the first stream was still in flight');

    for (let r = await reader.read(); !r.done; r = await reader.read()) sse += decoder.decode(r.value, { stream: true });
    assert.match(sse, /event: message_stop/);
    assert.doesNotMatch(sse, /event: error/);
    const textOut = [...sse.matchAll(/"text_delta","text":"([^"]*)"/g)].map((m) => m[1]).join('');
    assert.equal(textOut, words);
    assert.equal(mock.requests.length, 1, 'the refused request never went upstream');
  });
});

describe('the audit trail', () => {
  const SECRET = 'mgmt-secret-never-logged-77';
  const PROMPT = 'PROMPT-MARKER: the secret recipe is 42 parts basil';
  const NEW_KEY = 'sk-rotated-upstream-key-99887766';
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway(`remote-management:\n  secret-key: "${SECRET}"\n${packycodeYaml(mock.url)}`, { watch: true });
  });
  after(() => gw.stop());
  const mgmt = (method: string, path: string, body?: unknown, key = SECRET) => fetch(gw.url + path, {
    method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });

  test('records start-up, changes, refusals, error bursts and denied access, and never a key, a secret or a prompt', async () => {
    // a request with a prompt, streamed and not
    assert.equal((await message(gw, 'gpt-5-codex', PROMPT, true).then((r) => r.text())).includes('message_stop'), true);
    assert.equal((await message(gw, 'gpt-5-codex', PROMPT)).status, 200);
    // a wrong management key
    assert.equal((await mgmt('GET', '/v0/management/status', undefined, 'not-the-secret-123')).status, 401);
    // rotate the upstream key through the API (the mock accepts only its own key: rotate back after)
    assert.equal((await mgmt('PATCH', '/v0/management/packycode', { credentials: { 'openai-api-key': NEW_KEY } })).status, 200);
    assert.equal((await mgmt('PATCH', '/v0/management/packycode', { credentials: { 'openai-api-key': UPSTREAM_KEY } })).status, 200);
    // an invalid file edit that carries a key
    const good = readFileSync(gw.configPath, 'utf8');
    writeFileSync(gw.configPath, good.replace(`openai-api-key: ${UPSTREAM_KEY}`, `openai-api-key: [${NEW_KEY}]`));
    await waitFor('the refusal', () => gw.runtime.audit.recent(1)[0]?.kind === 'config-refused');
    writeFileSync(gw.configPath, good.replace('model-reasoning-effort: medium', 'model-reasoning-effort: high'));
    await waitFor('the fix', () => gw.runtime.snapshot.packycode.defaults.modelReasoningEffort === 'high');
    // an upstream error burst: five failures in a row
    mock.setHandler(() => httpError(500));
    try {
      for (let i = 0; i < 5; i++) assert.equal((await message(gw, 'gpt-5-codex', PROMPT)).status, 500);
    } finally {
      mock.setHandler(() => text('ok again'));
    }
    // disable and enable through the file
    edit(gw, /enabled: true/, 'enabled: false');
    await waitFor('disabled', () => !gw.runtime.packycodeUsable());
    edit(gw, /enabled: false/, 'enabled: true');
    await waitFor('enabled', () => gw.runtime.packycodeUsable());

    const events = gw.runtime.audit.recent(500);
    const kinds = events.map((e) => e.kind);
    for (const k of ['startup', 'management-denied', 'config-change', 'config-refused', 'upstream-error-burst', 'disable', 'enable'] as const) {
      assert.ok(kinds.includes(k), `${k} recorded: ${kinds.join(', ')}`);
    }
    assert.equal(events.find((e) => e.kind === 'startup')!.effectiveSource, 'config.yaml');
    const rotation = events.find((e) => e.kind === 'config-change' && e.trigger === 'management')!;
    assert.deepEqual(rotation.keys, ['packycode.credentials.openai-api-key']);
    assert.deepEqual(rotation.secretsChanged, ['packycode.credentials.openai-api-key']);
    const burst = events.find((e) => e.kind === 'upstream-error-burst')!;
    assert.equal(burst.errors, 5);
    // the same events are in the log, as `audit: <kind>` lines
    assert.ok(gw.logLines.some((l) => l.includes('"audit: upstream-error-burst"')));

    const everything = [JSON.stringify(events), ...gw.logLines, ...gw.banner];
    for (const [what, s] of [['the upstream key', UPSTREAM_KEY], ['the rotated key', NEW_KEY], ['the management secret', SECRET], ['the wrong management key', 'not-the-secret-123'], ['the prompt', 'PROMPT-MARKER'], ['the prompt', 'basil']]) {
      const hit = everything.find((l) => l.includes(s));
      assert.equal(hit, undefined, `${what} appears in: ${hit?.slice(0, 200)}`);
    }
    // and the management API shows the same audit
    const api = (await (await mgmt('GET', '/v0/management/audit?limit=500')).json()) as { events: unknown[] };
    assert.equal(api.events.length, events.length);
  });
});

describe('remote-management.secret-key in plaintext', () => {
  test('is hashed on first load without counting as an edit; a new plaintext key is hashed on reload', async () => {
    const gw = await startTestGateway(`remote-management:\n  secret-key: "plain-secret-000111"\n${packycodeYaml(mock.url)}`, { watch: true });
    try {
      assert.ok(bcrypt.getRounds(/secret-key: "([^"]+)"/.exec(readFileSync(gw.configPath, 'utf8'))![1]) > 0);
      edit(gw, /model-reasoning-effort: medium/, 'model-reasoning-effort: low');
      await waitFor('the edit applied', () => gw.runtime.snapshot.packycode.defaults.modelReasoningEffort === 'low');
      const changes = gw.runtime.audit.recent(50).filter((e) => e.kind === 'config-change');
      assert.deepEqual(changes.map((e) => e.keys), [['packycode.defaults.model-reasoning-effort']]);
      // a new plaintext key written into the file is hashed in turn, and replaces the old one at once
      const hashBefore = gw.runtime.snapshot.remoteManagement.secretKey;
      edit(gw, /secret-key: "[^"]+"/, 'secret-key: "another-plain-secret-222"');
      await waitFor('the new key in force', () => gw.runtime.snapshot.remoteManagement.secretKey !== hashBefore);
      assert.match(readFileSync(gw.configPath, 'utf8'), /secret-key: "\$2[aby]\$/);
      const status = (key: string) => fetch(gw.url + '/v0/management/status', { headers: { 'x-management-key': key } }).then((r) => r.status);
      assert.equal(await status('another-plain-secret-222'), 200);
      assert.equal(await status('plain-secret-000111'), 401);
      assert.deepEqual(gw.runtime.audit.recent(10).findLast((e) => e.kind === 'config-change')!.secretsChanged, ['remote-management.secret-key']);
      assert.ok(!readFileSync(gw.configPath, 'utf8').includes('another-plain-secret-222'));
    } finally {
      await gw.stop();
    }
  });
});
