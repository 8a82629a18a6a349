// loadConfig: the three Packycode sources and their precedence, ${VAR} expansion, config file lookup.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, resolveConfigPath, type LoadOptions } from '../../src/config/load.ts';
import { writeCodexHome } from '../support/codex-home.ts';

let dir: string;
let home: string; // a fake home: never the machine's real ~/.codex
let n = 0;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pb-load-'));
  home = join(dir, 'home');
  await mkdir(join(home, '.codex'), { recursive: true });
});
after(() => rm(dir, { recursive: true, force: true }));

async function file(text: string): Promise<string> {
  const p = join(dir, `config-${++n}.yaml`);
  // owner-only, as packybridge writes it: a readable file holding keys adds a warning (test/config/file-modes.test.ts)
  await writeFile(p, text, { mode: 0o600 });
  return p;
}

const codexHome = (toml: string | null, auth?: unknown) => writeCodexHome(dir, toml, auth);

const load = (o: LoadOptions) => loadConfig({ homeDir: home, env: {}, ...o });

const PACKY_TOML = `model = "gpt-5-codex"
model_provider = "packy"
model_reasoning_effort = "medium"

[model_providers.packy]
name = "Packycode"
base_url = "https://codex.example.test/v1"
env_key = "PACKY_API_KEY"
wire_api = "responses"
`;

const BLOCK = `packycode:
  enabled: true
  base-url: https://yaml.example.test/v1/
  credentials:
    openai-api-key: sk-yaml-0000000000001111
`;

describe('defaults', () => {
  test('no file, no sources: defaults and source none, still a snapshot', async () => {
    const r = await load({ path: null, codexHome: join(dir, 'missing-codex') });
    assert.deepEqual(r.errors, []);
    const s = r.snapshot!;
    assert.equal(s.host, '127.0.0.1');
    assert.equal(s.port, 8317);
    assert.deepEqual(s.apiKeys, []);
    assert.equal(s.logLevel, 'info');
    assert.deepEqual(s.timeouts, { connectMs: 10000, firstByteMs: 120000, idleMs: 300000 });
    assert.deepEqual(s.remoteManagement, { secretKey: '', allowRemote: false });
    assert.equal(s.effectiveSource, 'none');
    assert.equal(s.packycode.enabled, false);
    assert.equal(s.path, null);
    assert.equal(s.packycodeProblems.length, 1);
    assert.match(s.packycodeProblems[0].message, /not configured/);
    assert.match(s.packycodeProblems[0].fix, /import-codex/);
    assert.ok(r.notes.some((l) => l.startsWith('effective source: none')));
  });

  test('the snapshot is frozen', async () => {
    const r = await load({ path: null, codexHome: join(dir, 'missing-codex') });
    assert.throws(() => {
      (r.snapshot as { port: number }).port = 1;
    });
    assert.ok(Object.isFrozen(r.snapshot!.packycode.defaults));
  });

  test('a block fills what it leaves out with defaults; trailing slash normalised', async () => {
    const r = await load({ path: await file(BLOCK) });
    assert.deepEqual(r.errors, []);
    const p = r.snapshot!.packycode;
    assert.deepEqual(p, {
      enabled: true,
      baseUrl: 'https://yaml.example.test/v1',
      requiresOpenaiAuth: true,
      wireApi: 'responses',
      privacy: { disableResponseStorage: true },
      defaults: { model: 'gpt-5', modelReasoningEffort: 'high' },
      credentials: { openaiApiKey: 'sk-yaml-0000000000001111' },
      modelMap: [],
      forwardSamplingParams: false,
    });
    assert.equal(r.snapshot!.effectiveSource, 'config.yaml');
    assert.deepEqual(r.snapshot!.packycodeProblems, []);
  });

  test('every file key is read', async () => {
    const p = await file(`host: 0.0.0.0
port: 9000
api-keys: [k-one, "k-two"]
log-level: DEBUG
remote-management: { allow-remote: true, secret-key: "$2a$10$abcdefghijklmnopqrstuuJ2L2rjLJm6ZqWb2ZcbTBVn4.rjZ2Ge2" }
timeouts: { connect-ms: 1, first-byte-ms: 2, idle-ms: 3 }
fallbacks:
  - name: anthropic
    base-url: https://api.anthropic.example.test/
    api-key: ak-1
    models: [claude-x]
packycode:
  enabled: true
  base-url: https://p.example.test/v1
  requires-openai-auth: false
  wire-api: responses
  privacy: { disable-response-storage: false }
  defaults: { model: gpt-5-codex, model-reasoning-effort: low }
  model-map:
    - { match: "claude-*haiku*", model: gpt-5-codex-low }
  forward-sampling-params: true
`);
    const r = await load({ path: p });
    assert.deepEqual(r.errors, []);
    const s = r.snapshot!;
    assert.equal(s.host, '0.0.0.0');
    assert.equal(s.port, 9000);
    assert.deepEqual(s.apiKeys, ['k-one', 'k-two']);
    assert.equal(s.logLevel, 'debug');
    assert.equal(s.remoteManagement.allowRemote, true);
    assert.match(s.remoteManagement.secretKey, /^\$2a\$10\$/);
    assert.deepEqual(s.timeouts, { connectMs: 1, firstByteMs: 2, idleMs: 3 });
    assert.deepEqual(s.fallbacks, [{ name: 'anthropic', baseUrl: 'https://api.anthropic.example.test', apiKey: 'ak-1', models: ['claude-x'] }]);
    assert.equal(s.packycode.requiresOpenaiAuth, false);
    assert.equal(s.packycode.privacy.disableResponseStorage, false);
    assert.deepEqual(s.packycode.defaults, { model: 'gpt-5-codex', modelReasoningEffort: 'low' });
    assert.deepEqual(s.packycode.modelMap, [{ match: 'claude-*haiku*', model: 'gpt-5-codex-low' }]);
    assert.equal(s.packycode.forwardSamplingParams, true);
    assert.equal(s.packycode.credentials.openaiApiKey, '');
  });
});

describe('precedence: config.yaml > env > codex-cli > none', () => {
  const env = { PACKYCODE_BASE_URL: 'https://env.example.test/v1', PACKYCODE_API_KEY: 'sk-env-000000000000222', PACKY_API_KEY: 'sk-codex-0000000003333' };

  test('config.yaml block wins over env and Codex files, and supplies the whole block', async () => {
    const codex = await codexHome(PACKY_TOML);
    const r = await load({ path: await file(BLOCK), env: { ...env, PACKYCODE_MODEL: 'from-env' }, codexHome: codex });
    assert.equal(r.snapshot!.effectiveSource, 'config.yaml');
    assert.equal(r.snapshot!.packycode.baseUrl, 'https://yaml.example.test/v1');
    assert.equal(r.snapshot!.packycode.defaults.model, 'gpt-5', 'env does not fill keys the block leaves out');
    assert.ok(r.notes.some((l) => l.startsWith('not a source: PACKYCODE_BASE_URL, PACKYCODE_API_KEY, PACKYCODE_MODEL')));
  });

  test('a disabled block still wins (Packycode stays off)', async () => {
    const codex = await codexHome(PACKY_TOML);
    const r = await load({ path: await file('packycode:\n  enabled: false\n'), env, codexHome: codex });
    assert.deepEqual(r.errors, []);
    assert.equal(r.snapshot!.effectiveSource, 'config.yaml');
    assert.equal(r.snapshot!.packycode.enabled, false);
  });

  test('an empty `packycode:` counts as absent', async () => {
    const r = await load({ path: await file('port: 8400\npackycode:\n'), env, codexHome: join(dir, 'none') });
    assert.equal(r.snapshot!.effectiveSource, 'env');
  });

  test('env wins over Codex files when PACKYCODE_BASE_URL or PACKYCODE_API_KEY is set', async () => {
    const codex = await codexHome(PACKY_TOML);
    const r = await load({
      path: await file('port: 8400\n'),
      env: { ...env, PACKYCODE_MODEL: 'gpt-5-codex', PACKYCODE_REASONING_EFFORT: 'low', PACKYCODE_REQUIRES_OPENAI_AUTH: 'true', PACKYCODE_DISABLE_RESPONSE_STORAGE: 'false' },
      codexHome: codex,
    });
    assert.deepEqual(r.errors, []);
    const s = r.snapshot!;
    assert.equal(s.effectiveSource, 'env');
    assert.equal(s.packycode.enabled, true);
    assert.equal(s.packycode.baseUrl, 'https://env.example.test/v1');
    assert.equal(s.packycode.credentials.openaiApiKey, 'sk-env-000000000000222');
    assert.deepEqual(s.packycode.defaults, { model: 'gpt-5-codex', modelReasoningEffort: 'low' });
    assert.equal(s.packycode.privacy.disableResponseStorage, false);
    assert.ok(r.notes.includes('effective source: env (PACKYCODE_BASE_URL, PACKYCODE_API_KEY, PACKYCODE_MODEL, PACKYCODE_REASONING_EFFORT, PACKYCODE_REQUIRES_OPENAI_AUTH, PACKYCODE_DISABLE_RESPONSE_STORAGE)'));
  });

  test('env source with PACKYCODE_ENABLED=false: source env, Packycode off, no error', async () => {
    const r = await load({ path: null, env: { ...env, PACKYCODE_ENABLED: 'false' }, codexHome: join(dir, 'none') });
    assert.deepEqual(r.errors, []);
    assert.equal(r.snapshot!.effectiveSource, 'env');
    assert.equal(r.snapshot!.packycode.enabled, false);
  });

  test('PACKYCODE_MODEL alone does not make env a source', async () => {
    const r = await load({ path: null, env: { PACKYCODE_MODEL: 'gpt-5' }, codexHome: join(dir, 'none') });
    assert.equal(r.snapshot!.effectiveSource, 'none');
  });

  test('env source with only the key: the missing base URL is named by its variable', async () => {
    const r = await load({ path: null, env: { PACKYCODE_API_KEY: 'sk-env-000000000000222' }, codexHome: join(dir, 'none') });
    assert.equal(r.snapshot!.effectiveSource, 'env');
    assert.deepEqual(r.errors, [
      { path: 'PACKYCODE_BASE_URL', message: 'is missing (Packycode needs its endpoint)', fix: 'export PACKYCODE_BASE_URL=https://codex-api.packycode.com/v1' },
    ]);
  });

  test('env source: bad values name the variable', async () => {
    const r = await load({
      path: null,
      env: { PACKYCODE_BASE_URL: 'codex-api.packycode.com/v1', PACKYCODE_API_KEY: 'sk-x-0000000000000000', PACKYCODE_ENABLED: 'maybe' },
      codexHome: join(dir, 'none'),
    });
    const byPath = Object.fromEntries(r.errors.map((e) => [e.path, e]));
    assert.equal(byPath.PACKYCODE_BASE_URL.message, '"codex-api.packycode.com/v1" is not an http(s) URL');
    assert.equal(byPath.PACKYCODE_BASE_URL.fix, 'write https://codex-api.packycode.com/v1');
    assert.equal(byPath.PACKYCODE_ENABLED.message, '"maybe" is not true or false');
  });

  test('Codex CLI files when nothing else is set (CODEX_HOME honoured)', async () => {
    const codex = await codexHome(PACKY_TOML);
    const r = await loadConfig({ path: null, env: { CODEX_HOME: codex, PACKY_API_KEY: 'sk-codex-0000000003333' }, homeDir: home });
    assert.deepEqual(r.errors, []);
    const s = r.snapshot!;
    assert.equal(s.effectiveSource, 'codex-cli');
    assert.equal(s.packycode.enabled, true);
    assert.equal(s.packycode.baseUrl, 'https://codex.example.test/v1');
    assert.equal(s.packycode.credentials.openaiApiKey, 'sk-codex-0000000003333');
    assert.deepEqual(s.packycode.defaults, { model: 'gpt-5-codex', modelReasoningEffort: 'medium' });
    assert.ok(r.notes.includes(`effective source: codex-cli (${codex}/config.toml, provider packy)`));
  });

  test('Codex CLI files under <homeDir>/.codex are shown as ~/.codex', async () => {
    await writeFile(join(home, '.codex', 'config.toml'), PACKY_TOML);
    try {
      const r = await loadConfig({ path: null, env: { PACKY_API_KEY: 'sk-codex-0000000003333' }, homeDir: home });
      assert.equal(r.snapshot!.effectiveSource, 'codex-cli');
      assert.ok(r.notes.includes('effective source: codex-cli (~/.codex/config.toml, provider packy)'));
    } finally {
      await rm(join(home, '.codex', 'config.toml'));
    }
  });

  test('Codex source with its key variable unset: fatal, naming the variable', async () => {
    const codex = await codexHome(PACKY_TOML);
    const r = await load({ path: null, codexHome: codex });
    assert.equal(r.snapshot!.effectiveSource, 'codex-cli');
    assert.equal(r.errors.length, 1);
    assert.equal(r.errors[0].path, '$PACKY_API_KEY');
    assert.match(r.errors[0].fix, /export PACKY_API_KEY=/);
  });
});

describe('forcePackycode (--packycode)', () => {
  test('turns a disabled block on', async () => {
    const p = await file(BLOCK.replace('enabled: true', 'enabled: false'));
    const r = await load({ path: p, forcePackycode: true });
    assert.deepEqual(r.errors, []);
    assert.equal(r.snapshot!.packycode.enabled, true);
    assert.ok(r.notes.includes('packycode: turned on for this run (--packycode)'));
  });

  test('with nothing configured: a fatal error saying what to configure', async () => {
    const r = await load({ path: null, forcePackycode: true, codexHome: join(dir, 'none') });
    assert.equal(r.errors.length, 1);
    assert.equal(r.errors[0].path, 'packycode');
    assert.match(r.errors[0].fix, /PACKYCODE_BASE_URL/);
  });

  test('a disabled incomplete block becomes fatal', async () => {
    const r = await load({ path: await file('packycode:\n  enabled: false\n'), forcePackycode: true });
    assert.deepEqual(r.errors.map((e) => e.path), ['packycode.base-url', 'packycode.credentials.openai-api-key']);
  });
});

describe('enabled vs disabled invalid blocks', () => {
  test('enabled + invalid: errors, not served', async () => {
    const r = await load({ path: await file('packycode:\n  enabled: true\n  base-url: ftp://x.example.test\n  credentials: { openai-api-key: sk-k-000000000000 }\n') });
    assert.equal(r.errors.length, 1);
    assert.equal(r.errors[0].path, 'packycode.base-url');
    assert.ok(r.snapshot, 'the file itself is usable');
    assert.equal(r.snapshot!.packycode.enabled, false);
    assert.equal(r.snapshot!.packycodeProblems.length, 1);
  });

  test('disabled + invalid value: warning + packycodeProblems, start-up continues', async () => {
    const r = await load({ path: await file('packycode:\n  enabled: false\n  wire-api: chat\n  base-url: https://p.example.test/v1\n  credentials: { openai-api-key: sk-k-000000000000 }\n') });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.warnings.map((w) => w.path), ['packycode.wire-api']);
    assert.deepEqual(r.snapshot!.packycodeProblems.map((w) => w.path), ['packycode.wire-api']);
  });

  test('disabled + incomplete: packycodeProblems lists what enabling needs, no warning', async () => {
    const r = await load({ path: await file('packycode:\n  enabled: false\n  defaults: { model: gpt-5-codex }\n') });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(r.snapshot!.packycodeProblems.map((p) => p.path), ['packycode.base-url', 'packycode.credentials.openai-api-key']);
    assert.equal(r.snapshot!.packycode.defaults.model, 'gpt-5-codex', 'the configured values are kept');
  });
});

describe('${VAR} expansion', () => {
  test('expands in any string value, with :- fallback and $${ escape', async () => {
    const p = await file(`host: \${PB_HOST}
port: \${PB_PORT}
api-keys: ["\${PB_CLIENT}", "lit-$\${NOT_A_VAR}"]
log-level: \${PB_LEVEL:-warn}
packycode:
  enabled: \${PB_ON}
  base-url: https://\${PB_DOMAIN}/v1
  credentials:
    openai-api-key: \${PACKYCODE_API_KEY}
`);
    const r = await load({
      path: p,
      env: { PB_HOST: 'localhost', PB_PORT: '9001', PB_CLIENT: 'client-k', PB_ON: 'true', PB_DOMAIN: 'codex-api.packycode.com', PACKYCODE_API_KEY: 'sk-var-00000000000444' },
    });
    assert.deepEqual(r.errors, []);
    const s = r.snapshot!;
    assert.equal(s.host, 'localhost');
    assert.equal(s.port, 9001);
    assert.deepEqual(s.apiKeys, ['client-k', 'lit-${NOT_A_VAR}']);
    assert.equal(s.logLevel, 'warn');
    assert.equal(s.packycode.enabled, true);
    assert.equal(s.packycode.baseUrl, 'https://codex-api.packycode.com/v1');
    assert.equal(s.packycode.credentials.openaiApiKey, 'sk-var-00000000000444');
  });

  test('an unset variable where the value is needed: a clear error naming it', async () => {
    const r = await load({ path: await file('api-keys: ["${PB_MISSING}"]\n') });
    assert.equal(r.snapshot, null);
    assert.deepEqual(r.errors, [
      {
        path: 'api-keys[0]',
        message: 'refers to ${PB_MISSING}, but PB_MISSING is not set in the environment',
        fix: 'set PB_MISSING before starting packybridge (export PB_MISSING=...), or write the value itself',
      },
    ]);
  });

  test('unset in an enabled block: fatal; in a disabled block: only a packycodeProblem', async () => {
    const text = (on: boolean) => `packycode:\n  enabled: ${on}\n  base-url: https://p.example.test/v1\n  credentials:\n    openai-api-key: \${PB_KEY_UNSET}\n`;
    const on = await load({ path: await file(text(true)) });
    assert.deepEqual(on.errors.map((e) => [e.path, e.message]), [['packycode.credentials.openai-api-key', 'refers to ${PB_KEY_UNSET}, but PB_KEY_UNSET is not set in the environment']]);
    const off = await load({ path: await file(text(false)) });
    assert.deepEqual(off.errors, []);
    assert.deepEqual(off.warnings, []);
    assert.equal(off.snapshot!.packycodeProblems[0].path, 'packycode.credentials.openai-api-key');
  });

  test('an unset variable in an unknown (ignored) key is no error', async () => {
    const r = await load({ path: await file('colour: ${PB_UNSET_TOO}\n') });
    assert.deepEqual(r.errors, []);
    assert.equal(r.warnings[0].path, 'colour');
  });
});

describe('config file location', () => {
  test('explicit > PACKYBRIDGE_CONFIG > ./config.yaml > none', async () => {
    const cwd = join(dir, `cwd-${++n}`);
    await mkdir(cwd);
    assert.equal(resolveConfigPath(undefined, {}, cwd), null);
    await writeFile(join(cwd, 'config.yaml'), 'port: 1\n');
    assert.equal(resolveConfigPath(undefined, {}, cwd), join(cwd, 'config.yaml'));
    assert.equal(resolveConfigPath(undefined, { PACKYBRIDGE_CONFIG: 'other.yaml' }, cwd), join(cwd, 'other.yaml'));
    assert.equal(resolveConfigPath('x/explicit.yaml', { PACKYBRIDGE_CONFIG: 'other.yaml' }, cwd), join(cwd, 'x/explicit.yaml'));
    assert.equal(resolveConfigPath('/abs/c.yaml', {}, cwd), '/abs/c.yaml');
  });

  test('path undefined: looked up from env and cwd', async () => {
    const cwd = join(dir, `cwd-${++n}`);
    await mkdir(cwd);
    await writeFile(join(cwd, 'config.yaml'), 'port: 8555\n');
    const r = await load({ cwd, codexHome: join(dir, 'none') });
    assert.equal(r.snapshot!.port, 8555);
    assert.equal(r.snapshot!.path, join(cwd, 'config.yaml'));
  });

  test('an explicit file that does not exist is fatal', async () => {
    const r = await load({ path: join(dir, 'nope.yaml') });
    assert.equal(r.snapshot, null);
    assert.equal(r.errors[0].message, 'config file not found');
  });
});

describe('config.example.yaml', () => {
  const example = new URL('../../config.example.yaml', import.meta.url).pathname;

  test('loads with no error and no warning; Packycode off until a key is set', async () => {
    const r = await load({ path: example, persistSecretHash: false });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.warnings, []);
    assert.equal(r.snapshot!.packycode.enabled, false);
    assert.deepEqual(r.snapshot!.packycodeProblems.map((p) => p.path), ['packycode.credentials.openai-api-key']);
  });

  test('with PACKYCODE_API_KEY and --packycode it is usable', async () => {
    const r = await load({ path: example, env: { PACKYCODE_API_KEY: 'sk-example-000000000001' }, forcePackycode: true, persistSecretHash: false });
    assert.deepEqual(r.errors, []);
    assert.equal(r.snapshot!.packycode.enabled, true);
    assert.equal(r.snapshot!.packycode.baseUrl, 'https://codex-api.packycode.com/v1');
  });
});
