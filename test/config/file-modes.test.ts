// Secret-holding files readable by others are warned about at load (start-up, check), naming the fix.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { checkConfig } from '../../src/config/check.ts';
import { secretsInConfigText } from '../../src/config/file-modes.ts';

let dir: string;
before(async () => { dir = await mkdtemp(join(tmpdir(), 'pb-modes-')); });
after(() => rm(dir, { recursive: true, force: true }));

const modeWarnings = (ws: Array<{ path: string; fix: string; message: string }>) => ws.filter((w) => w.fix.startsWith('chmod '));

describe('which settings make config.yaml a secret file', () => {
  const cases: Array<[string, string, string[]]> = [
    ['nothing secret', 'port: 8317\n', []],
    ['empty api-keys', 'api-keys: []\n', []],
    ['api-keys', 'api-keys:\n  - k1\n', ['api-keys']],
    ['management key', 'remote-management:\n  secret-key: "$2a$10$abc"\n', ['remote-management.secret-key']],
    ['Packycode key written in', 'packycode:\n  credentials:\n    openai-api-key: sk-abc\n', ['packycode.credentials.openai-api-key']],
    ['Packycode key as ${VAR}', 'packycode:\n  credentials:\n    openai-api-key: ${PACKYCODE_API_KEY}\n', []],
    ['not YAML', 'a: [\n', []],
  ];
  for (const [name, text, want] of cases) test(name, () => assert.deepEqual(secretsInConfigText(text), want));
});

describe('warnings at load', { skip: process.platform === 'win32' }, () => {
  test('config.yaml with keys, readable by others: a warning naming the file and chmod 600; none at 0600', async () => {
    const p = join(dir, 'config.yaml');
    await writeFile(p, 'api-keys:\n  - client-key\n');
    const opts = { path: p, env: {}, homeDir: dir, codexHome: join(dir, 'none'), persistSecretHash: false };
    for (const [mode, who] of [[0o644, /every user/], [0o640, /its group/]] as const) {
      await chmod(p, mode);
      const ws = modeWarnings((await loadConfig(opts)).warnings);
      assert.equal(ws.length, 1);
      assert.equal(ws[0].path, p);
      assert.match(ws[0].message, /api-keys/);
      assert.match(ws[0].message, who);
      assert.equal(ws[0].fix, `chmod 600 ${p}`);
    }
    await chmod(p, 0o600);
    assert.deepEqual(modeWarnings((await loadConfig(opts)).warnings), []);
    // `packybridge check` shows it
    await chmod(p, 0o644);
    const checked = await checkConfig(opts);
    assert.ok(checked.lines.some((l) => l.includes(`chmod 600 ${p}`)), checked.lines.join('\n'));
  });

  test('a config.yaml without secrets may be readable', async () => {
    const p = join(dir, 'plain.yaml');
    await writeFile(p, 'port: 8317\n');
    await chmod(p, 0o644);
    assert.deepEqual(modeWarnings((await loadConfig({ path: p, env: {}, homeDir: dir, codexHome: join(dir, 'none') })).warnings), []);
  });

  test('the Codex auth.json the key is read from, readable by others: a warning', async () => {
    const codexHome = join(dir, 'codex');
    await mkdir(codexHome);
    await writeFile(join(codexHome, 'config.toml'), 'model_provider = "packycode"\n[model_providers.packycode]\nname = "packycode"\nbase_url = "https://codex-api.packycode.com/v1"\nwire_api = "responses"\nrequires_openai_auth = true\n');
    const auth = join(codexHome, 'auth.json');
    await writeFile(auth, '{"OPENAI_API_KEY": "sk-codex-auth-0000000001"}');
    await chmod(auth, 0o644);
    const r = await loadConfig({ path: null, env: {}, homeDir: dir, codexHome });
    assert.equal(r.snapshot?.effectiveSource, 'codex-cli');
    const ws = modeWarnings(r.warnings);
    assert.equal(ws.length, 1);
    assert.equal(ws[0].path, auth);
    assert.equal(ws[0].fix, `chmod 600 ${auth}`);
    assert.ok(!JSON.stringify(ws).includes('sk-codex-auth'), 'the key itself is not shown');
    await chmod(auth, 0o600);
    assert.deepEqual(modeWarnings((await loadConfig({ path: null, env: {}, homeDir: dir, codexHome })).warnings), []);
  });
});
