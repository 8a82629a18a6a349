// ConfigStore: comment-preserving, validated, atomic, serialised writes; secret-key hashing.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { parse } from 'yaml';
import { ConfigStore, ConfigValidationError, hashPlaintextSecretKey } from '../../src/config/store.ts';
import { loadConfig } from '../../src/config/load.ts';
import { tempPathFor } from '../../src/config/atomic-write.ts';

let dir: string;
let n = 0;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pb-store-'));
});
after(() => rm(dir, { recursive: true, force: true }));

async function file(text: string): Promise<string> {
  const p = join(dir, `config-${++n}.yaml`);
  await writeFile(p, text);
  return p;
}

const load = (path: string) => loadConfig({ path, env: {}, homeDir: dir, codexHome: join(dir, 'no-codex'), persistSecretHash: false });

/** Indices of the lines that differ between two texts of the same line count. */
function differingLines(a: string, b: string): number[] {
  const la = a.split('\n');
  const lb = b.split('\n');
  assert.equal(la.length, lb.length, 'same number of lines');
  return la.flatMap((l, i) => (l === lb[i] ? [] : [i]));
}

// Deliberately irregular layout: 4-space indent, unindented list, odd comment spacing, flow maps, quotes.
const ORIGINAL = `# packybridge config for my laptop
#   (hand-written; keep these comments)

host:    127.0.0.1     # loopback only
port: 8317
api-keys:
- "client-key-one"    # laptop
- 'client-key-two'

timeouts: { connect-ms: 10000,   idle-ms: 300000 }

# ---- Packycode ----
packycode:
    enabled: false          # flip to true when ready
    base-url: https://codex-api.packycode.com/v1
    # the key comes from the environment
    credentials:
        openai-api-key: sk-file-0000000000000001
    defaults:
        model: gpt-5        # default model
        model-reasoning-effort: high
    model-map:
    -   match: "claude-*haiku*"
        model: gpt-5-codex-low
    forward-sampling-params: true

# trailing comment, two blank lines above the end


`;

describe('comment preservation', () => {
  test('a merge changes only the changed line; every other byte stays', async () => {
    const p = await file(ORIGINAL);
    await new ConfigStore(p).setPackycode({ enabled: true }, 'merge');
    const after = await readFile(p, 'utf8');
    const diff = differingLines(ORIGINAL, after);
    assert.equal(diff.length, 1);
    assert.match(after.split('\n')[diff[0]], /^ {4}enabled: true +# flip to true when ready$/);
    const r = await load(p);
    assert.deepEqual(r.errors, []);
    assert.equal(r.snapshot!.packycode.enabled, true);
  });

  test('a nested change and an added key touch only their own lines', async () => {
    const p = await file(ORIGINAL);
    await new ConfigStore(p).setPackycode({ defaults: { model: 'gpt-5-codex', 'model-reasoning-effort': 'high' }, privacy: { 'disable-response-storage': true } }, 'merge');
    const after = await readFile(p, 'utf8');
    const a = ORIGINAL.split('\n');
    const b = after.split('\n');
    assert.equal(b.length, a.length + 2, 'two lines added (privacy block)');
    const kept = b.filter((l) => a.includes(l));
    assert.equal(kept.length, a.length - 1, 'all original lines but the model line are still there, byte for byte');
    assert.ok(b.includes('        model: gpt-5-codex        # default model') || b.some((l) => /^ {8}model: gpt-5-codex +# default model$/.test(l)));
    assert.ok(b.includes('    privacy:'));
    assert.ok(b.includes('        disable-response-storage: true'));
    const r = await load(p);
    assert.equal(r.snapshot!.packycode.defaults.model, 'gpt-5-codex');
  });

  test('update() keeps unrelated keys and comments; a top-level change is local', async () => {
    const p = await file(ORIGINAL);
    await new ConfigStore(p).update((doc) => doc.set('port', 9999));
    const after = await readFile(p, 'utf8');
    const diff = differingLines(ORIGINAL, after);
    assert.deepEqual(diff.map((i) => after.split('\n')[i]), ['port: 9999']);
  });

  test('CRLF files keep CRLF', async () => {
    const crlf = ORIGINAL.replace(/\n/g, '\r\n');
    const p = await file(crlf);
    await new ConfigStore(p).setPackycode({ enabled: true }, 'merge');
    const after = await readFile(p, 'utf8');
    assert.equal(after.split('\r\n').length, crlf.split('\r\n').length);
    assert.ok(!/[^\r]\n/.test(after), 'no bare LF');
  });

  test('unchanged content is not rewritten', async () => {
    const p = await file(ORIGINAL);
    const before = (await stat(p)).mtimeMs;
    await new ConfigStore(p).setPackycode({ enabled: false }, 'merge');
    assert.equal(await readFile(p, 'utf8'), ORIGINAL);
    assert.equal((await stat(p)).mtimeMs, before);
  });
});

describe('setPackycode: merge vs replace', () => {
  test('merge is deep: other keys and list entries stay; null removes a key', async () => {
    const p = await file(ORIGINAL);
    const store = new ConfigStore(p);
    await store.setPackycode({ defaults: { 'model-reasoning-effort': 'low' }, 'forward-sampling-params': null }, 'merge');
    const block = parse(await readFile(p, 'utf8')).packycode;
    assert.deepEqual(block.defaults, { model: 'gpt-5', 'model-reasoning-effort': 'low' });
    assert.equal(block['base-url'], 'https://codex-api.packycode.com/v1');
    assert.equal(block['model-map'].length, 1);
    assert.ok(!('forward-sampling-params' in block));
  });

  test('replace: the block becomes exactly the input; comments of kept keys survive', async () => {
    const p = await file(ORIGINAL);
    const { created } = await new ConfigStore(p).setPackycode(
      { enabled: true, 'base-url': 'https://codex-api.packycode.com/v1', credentials: { 'openai-api-key': 'sk-new-00000000000000002' } },
      'replace',
    );
    assert.equal(created, false);
    const text = await readFile(p, 'utf8');
    assert.deepEqual(parse(text).packycode, {
      enabled: true,
      'base-url': 'https://codex-api.packycode.com/v1',
      credentials: { 'openai-api-key': 'sk-new-00000000000000002' },
    });
    assert.match(text, /enabled: true +# flip to true when ready/);
    assert.match(text, /# the key comes from the environment/);
    assert.match(text, /^# packybridge config for my laptop$/m);
    assert.match(text, /^host: {4}127\.0\.0\.1 {5}# loopback only$/m);
  });

  test('a masked key sent back is never written; the stored key stays', async () => {
    const p = await file(ORIGINAL);
    await new ConfigStore(p).setPackycode({ credentials: { 'openai-api-key': 'sk-…0001' }, enabled: true }, 'merge');
    assert.equal(parse(await readFile(p, 'utf8')).packycode.credentials['openai-api-key'], 'sk-file-0000000000000001');
  });

  test('creates the block when missing', async () => {
    const p = await file('# my settings\nport: 8400\n');
    const { created } = await new ConfigStore(p).setPackycode({ enabled: false, 'base-url': 'https://codex-api.packycode.com/v1' }, 'merge');
    assert.equal(created, true);
    const text = await readFile(p, 'utf8');
    assert.ok(text.startsWith('# my settings\nport: 8400\n'));
    assert.deepEqual(parse(text).packycode, { enabled: false, 'base-url': 'https://codex-api.packycode.com/v1' });
  });

  test('creates the file (owner-only) when missing', async () => {
    const p = join(dir, `fresh-${++n}.yaml`);
    const block = { enabled: true, 'base-url': 'https://codex-api.packycode.com/v1', credentials: { 'openai-api-key': '${PB_TEST_KEY}' } };
    // validated against the store's env: the reference must resolve
    await assert.rejects(new ConfigStore(p, { env: {} }).setPackycode(block, 'replace'), /PB_TEST_KEY is not set/);
    const { created } = await new ConfigStore(p, { env: { PB_TEST_KEY: 'sk-t-000000000000' } }).setPackycode(block, 'replace');
    assert.equal(created, true);
    assert.equal((await stat(p)).mode & 0o777, 0o600);
    const text = await readFile(p, 'utf8');
    assert.match(text, /^# packybridge configuration/);
    assert.match(text, /openai-api-key: \$\{PB_TEST_KEY\}/);
  });

  test('an invalid change is refused and nothing is written', async () => {
    const p = await file(ORIGINAL);
    await assert.rejects(
      new ConfigStore(p).setPackycode({ enabled: true, 'base-url': 'codex-api.packycode.com/v1' }, 'merge'),
      (e: unknown) => {
        assert.ok(e instanceof ConfigValidationError);
        assert.deepEqual(e.problems.map((q) => q.path), ['packycode.base-url']);
        assert.equal(e.problems[0].fix, 'write https://codex-api.packycode.com/v1');
        return true;
      },
    );
    assert.equal(await readFile(p, 'utf8'), ORIGINAL);
  });

  test('a file with a YAML syntax error is not overwritten', async () => {
    const bad = 'port: 1\n  host: x\n';
    const p = await file(bad);
    await assert.rejects(new ConfigStore(p).setPackycode({ enabled: false }, 'merge'), ConfigValidationError);
    assert.equal(await readFile(p, 'utf8'), bad);
  });
});

describe('one writer at a time', () => {
  test('20 concurrent setPackycode calls (separate stores) all apply, in call order', async () => {
    const p = await file(ORIGINAL);
    // Each call adds its own key, so a lost update would show as a missing key; all set defaults.model,
    // so the last call's value must win.
    const calls = Array.from({ length: 20 }, (_, i) =>
      new ConfigStore(p).setPackycode({ [`note-${i}`]: `call ${i}`, defaults: { model: `gpt-5-m${i}` } }, 'merge'),
    );
    await Promise.all(calls);
    const text = await readFile(p, 'utf8');
    const block = parse(text).packycode;
    for (let i = 0; i < 20; i++) assert.equal(block[`note-${i}`], `call ${i}`, `call ${i} applied`);
    assert.equal(block.defaults.model, 'gpt-5-m19');
    assert.match(text, /# flip to true when ready/);
    const leftovers = (await readdir(dir)).filter((f) => f.endsWith('.tmp'));
    assert.deepEqual(leftovers, []);
  });

  test('a failing update does not block the next one', async () => {
    const p = await file(ORIGINAL);
    const store = new ConfigStore(p);
    const bad = store.update(() => {
      throw new Error('boom');
    });
    const good = store.update((doc) => doc.set('port', 8500));
    await assert.rejects(bad, /boom/);
    await good;
    assert.equal(parse(await readFile(p, 'utf8')).port, 8500);
  });
});

describe('atomic writes', () => {
  test('a crash between temp write and rename leaves the old file intact and loadable', async () => {
    const p = await file(ORIGINAL);
    // What a crash mid-write leaves: a half-written temp file beside the untouched config.
    const tmp = tempPathFor(p);
    await writeFile(tmp, ORIGINAL.slice(0, 120));
    assert.equal(await readFile(p, 'utf8'), ORIGINAL);
    const r = await load(p);
    assert.deepEqual(r.errors, []);
    assert.equal(r.snapshot!.packycode.defaults.model, 'gpt-5');
    // and the next write still works, next to the stray temp file
    await new ConfigStore(p).setPackycode({ enabled: true }, 'merge');
    assert.equal((await load(p)).snapshot!.packycode.enabled, true);
    assert.equal(await readFile(tmp, 'utf8'), ORIGINAL.slice(0, 120));
  });

  test('the file ends owner-only (it holds keys): a looser mode is tightened, a stricter one kept', async () => {
    const { chmod } = await import('node:fs/promises');
    for (const [before, after] of [[0o644, 0o600], [0o640, 0o600], [0o666, 0o600], [0o600, 0o600], [0o400, 0o400]]) {
      const p = await file(ORIGINAL);
      await chmod(p, before);
      await new ConfigStore(p).setPackycode({ enabled: true }, 'merge');
      assert.equal((await stat(p)).mode & 0o777, after, `0${before.toString(8)} -> 0${after.toString(8)}`);
    }
    const created = join(dir, `new-${++n}.yaml`);
    await new ConfigStore(created).setPackycode({ enabled: false }, 'merge');
    assert.equal((await stat(created)).mode & 0o777, 0o600, 'a new file is 0600');
  });

  test('a write over a file changed since it was read is refused, and the other change stays', async () => {
    const { readVersioned } = await import('../../src/config/file-version.ts');
    const { FileChangedError } = await import('../../src/config/atomic-write.ts');
    const p = await file(ORIGINAL);
    const read = await readVersioned(p);
    const edited = ORIGINAL.replace('port: 8317', 'port: 8318');
    await writeFile(p, edited);
    await assert.rejects(new ConfigStore(p).setPackycode({ enabled: true }, 'merge', { expect: read.version }), FileChangedError);
    assert.equal(await readFile(p, 'utf8'), edited);
    // gone: refused, and no file holding only the change is created
    await rm(p);
    await assert.rejects(new ConfigStore(p).setPackycode({ enabled: true }, 'merge', { expect: read.version }), (e: any) => e instanceof FileChangedError && e.change === 'gone');
    await assert.rejects(readFile(p, 'utf8'), { code: 'ENOENT' });
    const { basename } = await import('node:path');
    assert.deepEqual((await readdir(dir)).filter((f) => f.startsWith(`.${basename(p)}.`)), [], 'no temp file left');
  });

  test('replaceFileIfUnchanged: a save landing between read and write is put back, not overwritten', async () => {
    const { readVersioned } = await import('../../src/config/file-version.ts');
    const { replaceFileIfUnchanged, FileChangedError } = await import('../../src/config/atomic-write.ts');
    const p = await file('a: 1\n');
    const read = await readVersioned(p);
    // an editor's rename-save: a new inode with new content
    const tmp = `${p}.editor`;
    await writeFile(tmp, 'a: 2\n');
    const { rename } = await import('node:fs/promises');
    await rename(tmp, p);
    await assert.rejects(replaceFileIfUnchanged(p, 'a: 3\n', read.version), (e: any) => e instanceof FileChangedError && e.change === 'changed');
    assert.equal(await readFile(p, 'utf8'), 'a: 2\n');
    // unchanged: written
    const now = await readVersioned(p);
    const v = await replaceFileIfUnchanged(p, 'a: 4\n', now.version);
    assert.equal(await readFile(p, 'utf8'), 'a: 4\n');
    assert.deepEqual(v, (await readVersioned(p)).version);
    // expected absent, but a file is there: refused
    await assert.rejects(replaceFileIfUnchanged(p, 'a: 5\n', null), (e: any) => e instanceof FileChangedError && e.change === 'appeared');
    assert.equal(await readFile(p, 'utf8'), 'a: 4\n');
  });
});

describe('remote-management.secret-key', () => {
  const withSecret = (secret: string) => `# management\nremote-management:\n  secret-key: "${secret}"   # set once\n  allow-remote: false\nport: 8317\n`;

  test('plaintext is replaced by a bcrypt hash that verifies; comments stay', async () => {
    const p = await file(withSecret('my-management-secret'));
    assert.equal(await hashPlaintextSecretKey(p), true);
    const text = await readFile(p, 'utf8');
    assert.ok(!text.includes('my-management-secret'));
    const hash = parse(text)['remote-management']['secret-key'] as string;
    assert.match(hash, /^\$2[aby]\$10\$/);
    assert.equal(await bcrypt.compare('my-management-secret', hash), true);
    assert.equal(await bcrypt.compare('other', hash), false);
    assert.match(text, /^# management$/m);
    assert.match(text, /# set once$/m);
    assert.equal(await hashPlaintextSecretKey(p), false, 'a hash is used as is');
  });

  test('loadConfig hashes on first load (persist) and check-style loads do not write', async () => {
    const p = await file(withSecret('another-secret'));
    const memory = await loadConfig({ path: p, env: {}, homeDir: dir, codexHome: dir, persistSecretHash: false });
    assert.match(memory.snapshot!.remoteManagement.secretKey, /^\$2/);
    assert.match(await readFile(p, 'utf8'), /another-secret/);
    const persisted = await loadConfig({ path: p, env: {}, homeDir: dir, codexHome: dir });
    assert.ok(persisted.notes.some((l) => l.includes('replaced by its bcrypt hash')));
    const text = await readFile(p, 'utf8');
    assert.ok(!text.includes('another-secret'));
    assert.equal(persisted.fileText, text);
    assert.equal(await bcrypt.compare('another-secret', persisted.snapshot!.remoteManagement.secretKey), true);
  });

  test('a ${VAR} secret-key is never written; hashed in memory', async () => {
    const p = await file(withSecret('${PB_MGMT}'));
    assert.equal(await hashPlaintextSecretKey(p), false);
    const r = await loadConfig({ path: p, env: { PB_MGMT: 'from-env-secret' }, homeDir: dir, codexHome: dir });
    assert.equal(await bcrypt.compare('from-env-secret', r.snapshot!.remoteManagement.secretKey), true);
    assert.match(await readFile(p, 'utf8'), /\$\{PB_MGMT\}/);
  });

  test('empty and missing keys are left alone', async () => {
    assert.equal(await hashPlaintextSecretKey(await file(withSecret(''))), false);
    assert.equal(await hashPlaintextSecretKey(await file('port: 1\n')), false);
    assert.equal(await hashPlaintextSecretKey(join(dir, 'nope.yaml')), false);
  });
});
