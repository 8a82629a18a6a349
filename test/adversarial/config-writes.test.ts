// Adversarial: management writes racing an editor that saves config.yaml by rename (vim, most IDEs).
// A write must never create a file holding only the packycode block, never drop api-keys or
// remote-management, and never undo an editor's save: it merges onto the new file or answers 409.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, renameSync, statSync } from 'node:fs';
import { open, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'yaml';
import bcrypt from 'bcryptjs';
import { packycodeYaml, startTestGateway, type TestGateway } from '../support/gateway.ts';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.ts';

const SECRET = 'adversarial-mgmt-secret-0001';
const AUTH = { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' };
const management = `remote-management:\n  secret-key: "${bcrypt.hashSync(SECRET, 4)}"\n`;

let mock: MockUpstream;
before(async () => { mock = await startMockUpstream(); });
after(() => mock.close());

async function send(gw: TestGateway, method: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${gw.url}/v0/management/packycode`, { method, headers: AUTH, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

describe('a management write while config.yaml is missing', () => {
  let gw: TestGateway;
  before(async () => { gw = await startTestGateway(packycodeYaml(mock.url, management), { watch: true }); });
  after(() => gw.stop());

  for (const method of ['PUT', 'PATCH']) {
    test(`${method} after mv config.yaml away: 409, no file created, api-keys and management stay in force`, async () => {
      const away = join(gw.dir, 'moved-away.yaml');
      renameSync(gw.configPath, away);
      try {
        const body = method === 'PUT'
          ? { enabled: true, 'base-url': mock.url, credentials: { 'openai-api-key': 'sk-other-upstream-key-9999' } }
          : { defaults: { model: 'gpt-5' } };
        const r = await send(gw, method, body);
        assert.equal(r.status, 409, JSON.stringify(r.body));
        assert.equal(r.body.error, 'config_changed');
        assert.match(r.body.message, /config\.yaml.*(gone|moved|deleted)/);
        assert.match(r.body.message, /nothing was written/i);
        assert.equal(existsSync(gw.configPath), false, 'no packycode-only file was created');
        assert.deepEqual(gw.runtime.snapshot.apiKeys, ['test-client-key']);
        assert.notEqual(gw.runtime.snapshot.remoteManagement.secretKey, '');
        const status = await fetch(`${gw.url}/v0/management/status`, { headers: AUTH });
        assert.equal(status.status, 200, 'management still answers');
      } finally {
        renameSync(away, gw.configPath);
      }
      // with the file back, the same write goes through and keeps everything else
      const r = await send(gw, 'PATCH', { defaults: { model: 'gpt-5' } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const doc = parse(readFileSync(gw.configPath, 'utf8'));
      assert.deepEqual(doc['api-keys'], ['test-client-key']);
      assert.ok(doc['remote-management']['secret-key']);
      assert.equal(doc.packycode.defaults.model, 'gpt-5');
    });
  }

  test('the file reappearing with an unrelated change during the write: merged onto the new file', async () => {
    const away = join(gw.dir, 'moved-away-2.yaml');
    renameSync(gw.configPath, away);
    const write = send(gw, 'PATCH', { defaults: { 'model-reasoning-effort': 'high' } });
    await sleep(150);
    const text = readFileSync(away, 'utf8').replace('api-keys:\n', 'api-keys:\n  - editor-added-key\n');
    await writeFile(gw.configPath, text);
    await unlink(away);
    const r = await write;
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const doc = parse(readFileSync(gw.configPath, 'utf8'));
    assert.ok(doc['api-keys'].includes('editor-added-key'), 'the editor save is kept');
    assert.ok(doc['api-keys'].includes('test-client-key'));
    assert.equal(doc.packycode.defaults['model-reasoning-effort'], 'high', 'the write is applied');
    assert.ok(doc['remote-management']['secret-key']);
  });

  test('the file reappearing with a change to what the write changes: 409, the editor save stays', async () => {
    const away = join(gw.dir, 'moved-away-3.yaml');
    renameSync(gw.configPath, away);
    const write = send(gw, 'PATCH', { defaults: { model: 'gpt-5-codex' } });
    await sleep(150);
    const edited = parse(readFileSync(away, 'utf8')).packycode.defaults.model === 'gpt-5-mini' ? 'gpt-5' : 'gpt-5-mini';
    const text = readFileSync(away, 'utf8').replace(/model: [\w.-]+\n/, `model: ${edited}\n`);
    await writeFile(gw.configPath, text);
    await unlink(away);
    const r = await write;
    assert.equal(r.status, 409, JSON.stringify(r.body));
    assert.match(r.body.message, /defaults\.model/);
    assert.equal(readFileSync(gw.configPath, 'utf8'), text, 'the editor save is untouched');
  });
});

/**
 * One editor save, vim-style: the buffer is the current file plus one more api key (the editor reloads
 * first, as with autoread); the old file is renamed to a backup, the new one written in two chunks, the
 * backup removed. Every other save is an atomic one (temp file + rename) instead.
 */
async function editorSave(path: string, n: number): Promise<void> {
  let current: string | null = null;
  for (let i = 0; i < 50 && current === null; i++) {
    current = await readFile(path, 'utf8').catch(() => null);
    if (current === null) await sleep(2);
  }
  assert.ok(current !== null, 'config.yaml exists between saves');
  const next = current.replace('api-keys:\n', `api-keys:\n  - editor-save-${n}\n`);
  if (n % 2 === 0) {
    const backup = `${path}~`;
    // the gateway's compare-and-swap moves the file aside for microseconds: like vim, write without a backup then
    const backedUp = await rename(path, backup).then(() => true, (e) => { if (e.code !== 'ENOENT') throw e; return false; });
    const h = await open(path, 'w', 0o600);
    const cut = Math.floor(next.length / 2);
    await h.write(next.slice(0, cut));
    await sleep(1);
    await h.write(next.slice(cut));
    await h.sync();
    await h.close();
    if (backedUp) await unlink(backup);
  } else {
    const tmp = join(path, '..', `.editor-${n}.swp`);
    await writeFile(tmp, next);
    await rename(tmp, path);
  }
}

describe('editor saves racing concurrent PATCHes', () => {
  let gw: TestGateway;
  before(async () => { gw = await startTestGateway(packycodeYaml(mock.url, management), { watch: true }); });
  after(() => gw.stop());

  test('no editor save is lost, api-keys and remote-management are never dropped', { timeout: 60_000 }, async (t) => {
    const SAVES = 60;
    const statuses: number[] = [];
    let editing = true;
    const editor = (async () => {
      try {
        for (let n = 0; n < SAVES; n++) {
          await editorSave(gw.configPath, n);
          await sleep(20 + (n % 4) * 20);
        }
      } finally {
        editing = false;
      }
    })();
    const patcher = async (id: number) => {
      let i = 0;
      while (editing) {
        const body = i++ % 2 === 0 ? { 'forward-sampling-params': id % 2 === 0 } : { defaults: { 'model-reasoning-effort': ['low', 'medium', 'high'][i % 3] } };
        const r = await send(gw, 'PATCH', body);
        statuses.push(r.status);
        assert.ok(r.status === 200 || r.status === 409, `PATCH answered ${r.status}: ${JSON.stringify(r.body)}`);
      }
    };
    await Promise.all([editor, patcher(0), patcher(1), patcher(2)]);

    t.diagnostic(`${SAVES} editor saves; PATCHes: ${statuses.filter((s) => s === 200).length} applied, ${statuses.filter((s) => s === 409).length} refused (409)`);
    const final = readFileSync(gw.configPath, 'utf8');
    const doc = parse(final);
    const lost = Array.from({ length: SAVES }, (_, n) => `editor-save-${n}`).filter((k) => !doc['api-keys'].includes(k));
    assert.deepEqual(lost, [], `${lost.length} of ${SAVES} editor saves were undone`);
    assert.ok(doc['api-keys'].includes('test-client-key'));
    assert.ok(doc['remote-management']['secret-key'], 'remote-management kept');
    assert.equal(doc.packycode.enabled, true);
    assert.ok(statuses.filter((s) => s === 200).length > 0, `some PATCHes went through (${statuses.length} sent)`);
    assert.ok(!existsSync(`${gw.configPath}~`));
    // the gateway ends on the file's configuration (hot reload and writes agree)
    const r = await send(gw, 'PATCH', { enabled: true });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.ok(gw.runtime.snapshot.apiKeys.includes(`editor-save-${SAVES - 1}`));
    assert.notEqual(gw.runtime.snapshot.remoteManagement.secretKey, '');
  });
});

describe('file modes', { skip: process.platform === 'win32' }, () => {
  test('start-up names a readable config.yaml holding keys, with chmod 600, in the banner and the log', async () => {
    const gw = await startTestGateway(packycodeYaml(mock.url, management), { mode: 0o644 });
    try {
      const banner = gw.banner.join('');
      assert.ok(banner.includes(`warning: ${gw.configPath}: holds api-keys, remote-management.secret-key, packycode.credentials.openai-api-key and is readable by every user of this machine (mode 0644); chmod 600 ${gw.configPath}`), banner);
      assert.ok(gw.logLines.some((l) => l.includes(`chmod 600 ${gw.configPath}`) && l.includes('"level":40')), 'logged as a warning');

      // a management write storing the upstream key leaves the file owner-only, with its owner
      const r = await send(gw, 'PATCH', { credentials: { 'openai-api-key': 'sk-stored-by-management-0001' } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(statSync(gw.configPath).mode & 0o777, 0o600);
      assert.equal(statSync(gw.configPath).uid, process.getuid!());
    } finally {
      await gw.stop();
    }
  });
});

describe('a management write that reads config.yaml halfway through an editor\'s save', () => {
  let gw: TestGateway;
  before(async () => { gw = await startTestGateway(packycodeYaml(mock.url, management), { watch: true }); });
  after(() => gw.stop());

  test('waits for the save instead of refusing its body with 422, at whatever moment the save completes', async () => {
    // the save's first half holds the packycode block up to its credentials; the write reads it first, then the
    // rest comes 0-20 ms after the request was sent
    for (const [i, delayMs] of [0, 2, 5, 10, 15, 20].entries()) {
      const whole = readFileSync(gw.configPath, 'utf8');
      const cut = whole.indexOf('  credentials:');
      assert.ok(cut > 0, 'the test config has a credentials section');
      await writeFile(gw.configPath, whole.slice(0, cut));
      const write = send(gw, 'PATCH', { 'forward-sampling-params': i % 2 === 0 });
      await sleep(delayMs);
      await writeFile(gw.configPath, whole);
      const r = await write;
      assert.equal(r.status, 200, `the rest saved ${delayMs} ms after the request: ${JSON.stringify(r.body)}`);
      const doc = parse(readFileSync(gw.configPath, 'utf8'));
      assert.equal(doc.packycode['forward-sampling-params'], i % 2 === 0, 'the write is applied');
      assert.ok(doc.packycode.credentials['openai-api-key'], 'the key the save holds is kept');
      assert.ok(doc['remote-management']['secret-key']);
    }
  });

  test('an in-place save caught between its truncation and its write (the file empty): the write waits for it', async () => {
    // merged onto the empty file, {forward-sampling-params} alone passes the block's check: without the wait the
    // write was based on the empty file (a spurious 409 when the save landed before it, else written alone)
    for (const delayMs of [0, 5, 15]) {
      const whole = readFileSync(gw.configPath, 'utf8');
      const want = parse(whole).packycode['forward-sampling-params'] !== true;
      await writeFile(gw.configPath, '');
      const write = send(gw, 'PATCH', { 'forward-sampling-params': want });
      await sleep(delayMs);
      await writeFile(gw.configPath, whole);
      const r = await write;
      assert.equal(r.status, 200, `the save completed ${delayMs} ms after the request: ${JSON.stringify(r.body)}`);
      const doc = parse(readFileSync(gw.configPath, 'utf8'));
      assert.equal(doc.packycode['forward-sampling-params'], want, 'the write is applied');
      assert.ok(doc.packycode.credentials['openai-api-key'], 'the key the save holds is kept');
      assert.deepEqual(doc['api-keys'], ['test-client-key']);
      assert.ok(doc['remote-management']['secret-key']);
      assert.equal(gw.runtime.snapshot.packycode.forwardSamplingParams, want, 'and in force');
    }
  });
});
