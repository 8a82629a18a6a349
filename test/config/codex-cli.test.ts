// Codex CLI pick-up: files shaped like the captured Codex configs (custom provider, wire_api = "responses").
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCodexCli } from '../../src/config/codex-cli.ts';
import { loadConfig } from '../../src/config/load.ts';
import { writeCodexHome } from '../support/codex-home.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pb-codex-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const codexHome = (toml: string | null, auth?: unknown) => writeCodexHome(dir, toml, auth);

// Shapes of /work/shared/fixtures/captured/codex-config/*.toml (hosts and ports are our own).
const ENV_KEY_TOML = `model = "gpt-5-codex"
model_provider = "packy"
model_reasoning_effort = "medium"
check_for_update_on_startup = false

[analytics]
enabled = false

[model_providers.packy]
name = "Packycode"
base_url = "http://127.0.0.1:18900/v1"
env_key = "PACKY_API_KEY"
wire_api = "responses"
request_max_retries = 0
stream_max_retries = 0

[tui]
screen_reader_detection_done = true
`;

const AUTH_TOML = `model = "gpt-5-codex"
model_provider = "packy"
model_reasoning_effort = "medium"

[model_providers.packy]
name = "Packycode"
base_url = "http://127.0.0.1:18901/v1"
requires_openai_auth = true
wire_api = "responses"
`;

const OLD_TOML = `model = "gpt-5-codex"
model_provider = "packy"
model_reasoning_effort = "medium"
disable_response_storage = true

[model_providers.packy]
name = "Packycode"
base_url = "http://127.0.0.1:18903/v1"
env_key = "PACKY_API_KEY"
wire_api = "responses"
`;

const BUILTIN_TOML = `model = "gpt-5.5"
openai_base_url = "http://127.0.0.1:18902/v1"
check_for_update_on_startup = false
[analytics]
enabled = false
`;

const KEY = 'sk-codex-00000000000000ab';

describe('readCodexCli', () => {
  test('env_key provider (0.169.0 shape)', async () => {
    const h = await codexHome(ENV_KEY_TOML);
    const r = await readCodexCli(h, { PACKY_API_KEY: KEY });
    assert.equal(r.found, true);
    assert.deepEqual(r.problems, []);
    assert.equal(r.providerId, 'packy');
    assert.equal(r.keyEnvVar, 'PACKY_API_KEY');
    assert.deepEqual(r.block, {
      enabled: true,
      'wire-api': 'responses',
      'base-url': 'http://127.0.0.1:18900/v1',
      'requires-openai-auth': true,
      defaults: { model: 'gpt-5-codex', 'model-reasoning-effort': 'medium' },
      credentials: { 'openai-api-key': KEY },
    });
    assert.ok(!r.notes.join('\n').includes(KEY), 'notes never carry the key');
  });

  test('requires_openai_auth provider: key from auth.json OPENAI_API_KEY', async () => {
    const h = await codexHome(AUTH_TOML, JSON.stringify({ OPENAI_API_KEY: KEY, tokens: null }));
    const r = await readCodexCli(h, {});
    assert.equal(r.found, true);
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.block!.credentials, { 'openai-api-key': KEY });
    assert.equal(r.block!['requires-openai-auth'], true);
    assert.ok(r.origins.some((o) => o.to === 'credentials.openai-api-key' && o.from.endsWith('auth.json OPENAI_API_KEY')));
  });

  test('older shape: disable_response_storage picked up', async () => {
    const h = await codexHome(OLD_TOML);
    const r = await readCodexCli(h, { PACKY_API_KEY: KEY });
    assert.deepEqual(r.block!.privacy, { 'disable-response-storage': true });
  });

  test('built-in openai provider: not picked up, with a note why', async () => {
    const h = await codexHome(BUILTIN_TOML);
    const r = await readCodexCli(h, {});
    assert.equal(r.found, false);
    assert.deepEqual(r.problems, []);
    assert.match(r.notes[0], /built-in "openai" provider/);
  });

  test('provider with wire_api = "chat": not picked up', async () => {
    const h = await codexHome(ENV_KEY_TOML.replace('wire_api = "responses"', 'wire_api = "chat"'));
    const r = await readCodexCli(h, { PACKY_API_KEY: KEY });
    assert.equal(r.found, false);
    assert.match(r.notes[0], /wire_api = "chat"; packybridge picks up only wire_api = "responses"/);
  });

  test('model_provider without its table: a problem', async () => {
    const h = await codexHome('model_provider = "packy"\n');
    const r = await readCodexCli(h, {});
    assert.equal(r.found, false);
    assert.match(r.problems[0].message, /no \[model_providers\.packy\] table/);
  });

  test('no config.toml', async () => {
    const h = await codexHome(null);
    const r = await readCodexCli(h, {});
    assert.equal(r.found, false);
    assert.deepEqual(r.problems, []);
  });

  test('TOML syntax error: line and column', async () => {
    const h = await codexHome('model = "gpt-5\nmodel_provider = packy\n');
    const r = await readCodexCli(h, {});
    assert.equal(r.found, false);
    assert.match(r.problems[0].path, /config\.toml:\d+:\d+$/);
    assert.match(r.problems[0].message, /^TOML syntax error/);
  });

  test('auth.json with a ChatGPT sign-in only', async () => {
    const h = await codexHome(AUTH_TOML, JSON.stringify({ OPENAI_API_KEY: null, tokens: { access_token: 'x' } }));
    const r = await readCodexCli(h, {});
    assert.equal(r.found, true);
    assert.match(r.problems[0].message, /ChatGPT sign-in, not an API key/);
    assert.match(r.problems[0].fix, /codex login --with-api-key/);
  });

  test('active profile overrides provider and model', async () => {
    const toml = `model = "gpt-5"
model_provider = "openai"
profile = "packy"

[profiles.packy]
model_provider = "packy"
model = "gpt-5-codex"
model_reasoning_effort = "low"

[model_providers.packy]
base_url = "https://codex.example.test/v1"
env_key = "PACKY_API_KEY"
wire_api = "responses"
`;
    const r = await readCodexCli(await codexHome(toml), { PACKY_API_KEY: KEY });
    assert.equal(r.found, true);
    assert.deepEqual(r.block!.defaults, { model: 'gpt-5-codex', 'model-reasoning-effort': 'low' });
  });
});

describe('Codex source through loadConfig', () => {
  test('values are validated and problems name the Codex setting', async () => {
    const h = await codexHome(ENV_KEY_TOML.replace('model_reasoning_effort = "medium"', 'model_reasoning_effort = "xhigh"').replace('http://127.0.0.1:18900/v1', 'http://127.0.0.1:18900/v1/responses'));
    const r = await loadConfig({ path: null, env: { PACKY_API_KEY: KEY }, codexHome: h, homeDir: dir });
    assert.equal(r.snapshot!.effectiveSource, 'codex-cli');
    const paths = r.errors.map((e) => e.path);
    const shown = h.replace(dir, '~'); // homeDir is `dir`, so paths are shown from ~
    assert.deepEqual(paths, [`${shown}/config.toml model_providers.packy.base_url`, `${shown}/config.toml model_reasoning_effort`]);
    assert.match(r.errors[0].fix, /write http:\/\/127\.0\.0\.1:18900\/v1/);
    assert.match(r.errors[1].message, /"xhigh" is not accepted by gpt-5-codex \(it accepts low, medium, high\)/);
    assert.match(r.errors[1].fix, /write one of: low, medium, high; or choose a model that accepts xhigh, e\.g\. gpt-5\.1-codex-max/);
  });

  test('xhigh from config.toml is taken for a model that accepts it', async () => {
    const h = await codexHome(ENV_KEY_TOML.replace('model = "gpt-5-codex"', 'model = "gpt-5.2-codex"').replace('model_reasoning_effort = "medium"', 'model_reasoning_effort = "xhigh"'));
    const r = await loadConfig({ path: null, env: { PACKY_API_KEY: KEY }, codexHome: h, homeDir: dir });
    assert.deepEqual(r.errors, []);
    assert.equal(r.snapshot!.packycode.defaults.modelReasoningEffort, 'xhigh');
  });

  test('an effort outside every model\'s list names all of them', async () => {
    const h = await codexHome(ENV_KEY_TOML.replace('model_reasoning_effort = "medium"', 'model_reasoning_effort = "ultra"'));
    const r = await loadConfig({ path: null, env: { PACKY_API_KEY: KEY }, codexHome: h, homeDir: dir });
    assert.match(r.errors[0].fix, /none, minimal, low, medium, high, xhigh/);
  });

  test('a key containing ${ is taken literally', async () => {
    const h = await codexHome(ENV_KEY_TOML);
    const r = await loadConfig({ path: null, env: { PACKY_API_KEY: 'sk-${ODD}-000000000000' }, codexHome: h, homeDir: dir });
    assert.equal(r.snapshot!.packycode.credentials.openaiApiKey, 'sk-${ODD}-000000000000');
  });

  test('a broken Codex file while nothing is configured: warning + packycodeProblems, not fatal', async () => {
    const h = await codexHome('model_provider = "packy"\n');
    const r = await loadConfig({ path: null, env: {}, codexHome: h, homeDir: dir });
    assert.deepEqual(r.errors, []);
    assert.equal(r.snapshot!.effectiveSource, 'none');
    assert.equal(r.warnings.length, 1);
    assert.equal(r.snapshot!.packycodeProblems.length, 2);
  });
});
