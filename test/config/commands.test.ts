// The functions behind `packybridge import-codex` and `packybridge check`.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { importCodex, NothingToImportError } from '../../src/config/import-codex.ts';
import { checkConfig } from '../../src/config/check.ts';
import { loadConfig } from '../../src/config/load.ts';
import { ConfigValidationError } from '../../src/config/store.ts';
import { writeCodexHome } from '../support/codex-home.ts';
import { basename } from 'node:path';

let dir: string;
let n = 0;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pb-cmd-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const codexHome = (toml: string | null, auth?: unknown) => writeCodexHome(dir, toml, auth);

const TOML = (auth: string) => `model = "gpt-5-codex"
model_provider = "packy"
model_reasoning_effort = "medium"

[model_providers.packy]
name = "Packycode"
base_url = "https://codex.example.test/v1"
${auth}
wire_api = "responses"
`;
const KEY = 'sk-codex-0000000000000abc';

describe('importCodex', () => {
  test('env_key provider: written as a ${VAR} reference, comments of the file kept', async () => {
    const h = await codexHome(TOML('env_key = "PACKY_API_KEY"'));
    const configPath = join(dir, `c${++n}.yaml`);
    await writeFile(configPath, '# mine\nport: 8400 # custom port\npackycode:\n  enabled: false\n  model-map: [{ match: "claude-*", model: gpt-5 }]\n');
    const env = { PACKY_API_KEY: KEY };
    const r = await importCodex({ codexHome: h, configPath, env, homeDir: dir });
    assert.equal(r.created, false);
    const text = await readFile(configPath, 'utf8');
    assert.match(text, /^# mine\nport: 8400 # custom port\n/);
    assert.ok(!text.includes(KEY), 'the key itself is not copied');
    const block = parse(text).packycode;
    assert.equal(block.enabled, true);
    assert.equal(block['base-url'], 'https://codex.example.test/v1');
    assert.equal(block.credentials['openai-api-key'], '${PACKY_API_KEY}');
    assert.deepEqual(block.defaults, { model: 'gpt-5-codex', 'model-reasoning-effort': 'medium' });
    assert.deepEqual(block['model-map'], [{ match: 'claude-*', model: 'gpt-5' }], 'keys Codex does not know are kept');
    const to = Object.fromEntries(r.mapping.map((m) => [m.to, m]));
    assert.equal(to['base-url'].value, 'https://codex.example.test/v1');
    assert.equal(to['base-url'].from, `~/${basename(h)}/config.toml model_providers.packy.base_url`);
    assert.equal(to['credentials.openai-api-key'].value, '${PACKY_API_KEY}');
    assert.equal(to['defaults.model-reasoning-effort'].value, 'medium');
    assert.equal(to.enabled.value, 'true');
    // and it loads as the config.yaml source
    const loaded = await loadConfig({ path: configPath, env, homeDir: dir, codexHome: h });
    assert.deepEqual(loaded.errors, []);
    assert.equal(loaded.snapshot!.effectiveSource, 'config.yaml');
    assert.equal(loaded.snapshot!.packycode.credentials.openaiApiKey, KEY);
  });

  test('auth.json key: copied, masked in the mapping; the file is created', async () => {
    const h = await codexHome(TOML('requires_openai_auth = true'), { OPENAI_API_KEY: KEY });
    const configPath = join(dir, `new-${++n}.yaml`);
    const r = await importCodex({ codexHome: h, configPath, env: {}, homeDir: dir });
    assert.equal(r.created, true);
    const key = r.mapping.find((m) => m.to === 'credentials.openai-api-key')!;
    assert.equal(key.value, 'sk-…0abc');
    assert.match(key.from, /auth\.json OPENAI_API_KEY$/);
    assert.equal(parse(await readFile(configPath, 'utf8')).packycode.credentials['openai-api-key'], KEY);
  });

  test('nothing to import: a clear error, nothing written', async () => {
    const h = await codexHome('model = "gpt-5"\n');
    const configPath = join(dir, `none-${++n}.yaml`);
    await assert.rejects(importCodex({ codexHome: h, configPath, env: {}, homeDir: dir }), (e: unknown) => {
      assert.ok(e instanceof NothingToImportError);
      assert.match(e.message, /built-in "openai" provider/);
      return true;
    });
    await assert.rejects(readFile(configPath));
  });

  test('key variable unset: refused, naming it', async () => {
    const h = await codexHome(TOML('env_key = "PACKY_API_KEY"'));
    await assert.rejects(importCodex({ codexHome: h, configPath: join(dir, `x-${++n}.yaml`), env: {}, homeDir: dir }), (e: unknown) => {
      assert.ok(e instanceof ConfigValidationError);
      assert.equal(e.problems[0].path, '$PACKY_API_KEY');
      return true;
    });
  });

  test('an invalid Codex value is refused by validation, nothing written', async () => {
    const h = await codexHome(TOML('env_key = "PACKY_API_KEY"').replace('"medium"', '"xhigh"'));
    const configPath = join(dir, `bad-${++n}.yaml`);
    await assert.rejects(importCodex({ codexHome: h, configPath, env: { PACKY_API_KEY: KEY }, homeDir: dir }), (e: unknown) => {
      assert.ok(e instanceof ConfigValidationError);
      assert.equal(e.problems[0].path, 'packycode.defaults.model-reasoning-effort');
      return true;
    });
    await assert.rejects(readFile(configPath));
  });
});

describe('checkConfig', () => {
  test('valid: effective config with the key masked, ok', async () => {
    const p = join(dir, `check-${++n}.yaml`);
    await writeFile(p, `api-keys: [client-key-0000000001]\nremote-management: { secret-key: "plain-mgmt" }\npackycode:\n  enabled: true\n  base-url: https://codex-api.packycode.com/v1\n  credentials: { openai-api-key: "${KEY}" }\n`);
    const r = await checkConfig({ path: p, env: {}, homeDir: dir, codexHome: dir });
    assert.equal(r.ok, true);
    const out = r.lines.join('\n');
    assert.ok(!out.includes(KEY));
    assert.ok(!out.includes('client-key-0000000001'));
    assert.match(out, /openai-api-key: sk-…0abc/);
    assert.match(out, /secret-key: \(bcrypt hash\)/);
    assert.match(out, /effective source: config\.yaml/);
    assert.equal(r.lines.at(-1), 'config OK');
    assert.match(await readFile(p, 'utf8'), /plain-mgmt/, 'check never writes');
  });

  test('invalid: each problem with its fix, not ok', async () => {
    const p = join(dir, `check-${++n}.yaml`);
    await writeFile(p, 'port: 99999\npackycode:\n  enabled: true\n  base-url: codex-api.packycode.com/v1\n');
    const r = await checkConfig({ path: p, env: {}, homeDir: dir, codexHome: dir });
    assert.equal(r.ok, false);
    assert.ok(r.lines.includes('  ✗ port: 99999 is above the maximum 65535; write a whole number from 1 to 65535 without quotes, e.g. 8317 (0 picks a free port)'));
  });

  test('packycode problems with a valid file: listed as what Packycode still needs', async () => {
    const r = await checkConfig({ path: null, env: {}, homeDir: dir, codexHome: join(dir, 'none') });
    assert.equal(r.ok, true);
    assert.ok(r.lines.includes('Packycode cannot serve yet:'));
    assert.ok(r.lines.some((l) => l.startsWith('  - packycode: is not configured')));
  });

  test('forcePackycode makes a missing setup an error', async () => {
    const r = await checkConfig({ path: null, env: {}, homeDir: dir, codexHome: join(dir, 'none'), forcePackycode: true });
    assert.equal(r.ok, false);
  });
});
