// Every validation problem names the key path and the bad value, and says what to write instead.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { validatePackycodeBlock } from '../../src/config/packycode.ts';
import { evaluateFileText } from '../../src/config/file-config.ts';
import { formatProblem, didYouMean } from '../../src/config/problems.ts';

let dir: string;
let n = 0;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pb-valid-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const KEY = 'sk-test-000000000000abcd';
const block = (extra: Record<string, unknown>) => ({ enabled: true, 'base-url': 'https://codex-api.packycode.com/v1', credentials: { 'openai-api-key': KEY }, ...extra });

describe('packycode block: one problem per bad value, with its fix', () => {
  const cases: Array<{ name: string; raw: Record<string, unknown>; line: string }> = [
    {
      name: 'base-url without scheme',
      raw: block({ 'base-url': 'codex-api.packycode.com/v1' }),
      line: 'base-url: "codex-api.packycode.com/v1" is not an http(s) URL; write https://codex-api.packycode.com/v1',
    },
    {
      name: 'base-url ending in /responses',
      raw: block({ 'base-url': 'https://codex-api.packycode.com/v1/responses' }),
      line: 'base-url: "https://codex-api.packycode.com/v1/responses" ends with /responses; drop /responses: write https://codex-api.packycode.com/v1 (the gateway appends /responses itself)',
    },
    {
      name: 'base-url ending in /responses/',
      raw: block({ 'base-url': 'https://codex-api.packycode.com/v1/responses/' }),
      line: 'base-url: "https://codex-api.packycode.com/v1/responses/" ends with /responses; drop /responses: write https://codex-api.packycode.com/v1 (the gateway appends /responses itself)',
    },
    {
      name: 'base-url with another scheme',
      raw: block({ 'base-url': 'ftp://codex-api.packycode.com/v1' }),
      line: 'base-url: "ftp://codex-api.packycode.com/v1" is not an http(s) URL (scheme ftp); write https://codex-api.packycode.com/v1',
    },
    {
      name: 'base-url with a query string',
      raw: block({ 'base-url': 'https://codex-api.packycode.com/v1?x=1' }),
      line: 'base-url: "https://codex-api.packycode.com/v1?x=1" carries a query string or fragment; write https://codex-api.packycode.com/v1',
    },
    {
      name: 'wire-api other than responses',
      raw: block({ 'wire-api': 'chat' }),
      line: 'wire-api: "chat" is not supported; only "responses" is; write responses (packybridge speaks only the OpenAI Responses API) or remove the key',
    },
    {
      name: 'effort outside the list',
      raw: block({ defaults: { 'model-reasoning-effort': 'extreme' } }),
      line: 'defaults.model-reasoning-effort: "extreme" is not one of the allowed values (none, minimal, low, medium, high, xhigh); write one of: none, minimal, low, medium, high, xhigh',
    },
    {
      name: 'effort the default model does not accept',
      raw: block({ defaults: { model: 'gpt-5-codex', 'model-reasoning-effort': 'xhigh' } }),
      line: 'defaults.model-reasoning-effort: "xhigh" is not accepted by gpt-5-codex (it accepts low, medium, high); write one of: low, medium, high; or choose a model that accepts xhigh, e.g. gpt-5.1-codex-max, gpt-5.2, gpt-5.2-codex',
    },
    {
      name: 'none for a model without it',
      raw: block({ defaults: { model: 'gpt-5', 'model-reasoning-effort': 'none' } }),
      line: 'defaults.model-reasoning-effort: "none" is not accepted by gpt-5 (it accepts minimal, low, medium, high); write one of: minimal, low, medium, high; or choose a model that accepts none, e.g. gpt-5.1, gpt-5.2, gpt-5.4',
    },
    {
      name: 'enabled not a boolean',
      raw: block({ enabled: 'yes please' }),
      line: 'enabled: "yes please" is not true or false; write true or false (without quotes)',
    },
    {
      name: 'empty default model',
      raw: block({ defaults: { model: '' } }),
      line: 'defaults.model: is empty; write the upstream model name, e.g. gpt-5 or gpt-5-codex',
    },
    {
      name: 'model-map entry without model',
      raw: block({ 'model-map': [{ match: 'claude-*' }] }),
      line: 'model-map[0].model: is missing; write the upstream model name, e.g. gpt-5-codex-low',
    },
    {
      name: 'model-map not a list',
      raw: block({ 'model-map': 'claude=gpt-5' }),
      line: 'model-map: "claude=gpt-5" is not a list; write a list, e.g. - { match: "claude-*haiku*", model: gpt-5-codex-low }',
    },
    {
      name: 'key not a string (shown masked)',
      raw: block({ credentials: { 'openai-api-key': 12345 } }),
      line: 'credentials.openai-api-key: a number is not a string; write the key as a quoted string, or "${PACKYCODE_API_KEY}" to read it from the environment',
    },
    {
      name: 'a masked key written back',
      raw: block({ credentials: { 'openai-api-key': 'sk-…abcd' } }),
      line: 'credentials.openai-api-key: "sk-…abcd" is a masked key, not the key itself; write the full key (or "${PACKYCODE_API_KEY}")',
    },
    {
      name: 'enabled without base-url',
      raw: { enabled: true, credentials: { 'openai-api-key': KEY } },
      line: 'base-url: is missing (Packycode needs its endpoint); write base-url: https://codex-api.packycode.com/v1',
    },
    {
      name: 'enabled without key while requires-openai-auth',
      raw: { enabled: true, 'base-url': 'https://codex-api.packycode.com/v1' },
      line: 'credentials.openai-api-key: is missing (requires-openai-auth is true); write credentials: { openai-api-key: "${PACKYCODE_API_KEY}" } and set PACKYCODE_API_KEY, or requires-openai-auth: false if the endpoint needs no key',
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const r = validatePackycodeBlock(c.raw, {});
      assert.equal(r.value, null);
      assert.deepEqual(r.problems.map(formatProblem), [c.line]);
    });
  }

  const efforts: Array<[string, string, string]> = [
    ['xhigh for a model that accepts it', 'gpt-5.1-codex-max', 'XHIGH'],
    ['none for a model that accepts it', 'gpt-5.2', 'none'],
    ['any effort for a model the catalog does not know', 'gpt-9-experimental', 'xhigh'],
    ['any effort when the model name carries its own (suffix)', 'gpt-5-codex-high', 'xhigh'],
  ];
  for (const [name, model, effort] of efforts) {
    test(`effort: ${name}`, () => {
      const r = validatePackycodeBlock(block({ defaults: { model, 'model-reasoning-effort': effort } }), {});
      assert.deepEqual(r.problems, []);
      assert.equal(r.value!.defaults.modelReasoningEffort, effort.toLowerCase());
    });
  }

  test('a valid block: value, no problems; trailing slash and case normalised', () => {
    const r = validatePackycodeBlock(block({ 'base-url': 'https://codex-api.packycode.com/v1///', defaults: { 'model-reasoning-effort': 'HIGH' } }), {});
    assert.deepEqual(r.problems, []);
    assert.equal(r.value!.baseUrl, 'https://codex-api.packycode.com/v1');
    assert.equal(r.value!.defaults.modelReasoningEffort, 'high');
  });

  test('requires-openai-auth: false needs no key', () => {
    const r = validatePackycodeBlock({ enabled: true, 'base-url': 'http://127.0.0.1:9/v1', 'requires-openai-auth': false }, {});
    assert.deepEqual(r.problems, []);
  });

  test('disabled: what is missing is not a problem (listed apart), bad values still are', () => {
    const r = validatePackycodeBlock({ enabled: false }, {});
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.missing.map((p) => p.path), ['base-url', 'credentials.openai-api-key']);
    assert.equal(r.value!.enabled, false);
    const bad = validatePackycodeBlock({ enabled: false, 'wire-api': 'chat' }, {});
    assert.deepEqual(bad.problems.map((p) => p.path), ['wire-api']);
  });

  test('an empty base-url counts as missing (the management API sends "" for unset)', () => {
    const r = validatePackycodeBlock({ enabled: false, 'base-url': '' }, {});
    assert.deepEqual(r.problems, []);
  });

  test('unknown keys are warnings with did-you-mean', () => {
    const r = validatePackycodeBlock(block({ base_url: 'x', model: 'gpt-5' }), {});
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.warnings.map(formatProblem), [
      'base_url: unknown key "base_url" (ignored); did you mean "base-url"? rename it (keys are kebab-case)',
      'model: unknown key "model" (ignored); it belongs under defaults (defaults.model): move it there',
    ]);
  });

  test('${VAR} in the block is expanded from the given env', () => {
    const r = validatePackycodeBlock(block({ credentials: { 'openai-api-key': '${MY_KEY}' } }), { MY_KEY: KEY });
    assert.equal(r.value!.credentials.openaiApiKey, KEY);
  });
});

describe('config.yaml: file-level problems', () => {
  const cases: Array<{ name: string; text: string; line: string }> = [
    { name: 'port out of range', text: 'port: 70000', line: 'port: 70000 is above the maximum 65535; write a whole number from 1 to 65535 without quotes, e.g. 8317 (0 picks a free port)' },
    { name: 'port not a number', text: 'port: http', line: 'port: "http" is not a number; write a whole number from 1 to 65535 without quotes, e.g. 8317 (0 picks a free port)' },
    { name: 'port not whole', text: 'port: 80.5', line: 'port: 80.5 is not a whole number; write a whole number from 1 to 65535 without quotes, e.g. 8317 (0 picks a free port)' },
    { name: 'host as URL', text: 'host: http://localhost:8317', line: 'host: "http://localhost:8317" is a URL, not a host; write only the host: localhost' },
    { name: 'host with port', text: 'host: 127.0.0.1:8317', line: 'host: "127.0.0.1:8317" includes a port; write host: 127.0.0.1 and port: 8317' },
    { name: 'host with spaces', text: 'host: my host', line: 'host: "my host" is not an IP address or host name; write e.g. 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)' },
    { name: 'api-keys as one string', text: 'api-keys: abc', line: 'api-keys: "****" is not a list; write it as a list: api-keys: ["your-key"], or one "- key" line per key' },
    { name: 'api-key entry a number (masked)', text: 'api-keys: [12345]', line: 'api-keys[0]: a number is not a string; quote the key so it is a string, e.g. - "123456"' },
    { name: 'api-key entry empty', text: 'api-keys: [""]', line: 'api-keys[0]: is empty; remove the empty entry' },
    { name: 'log level', text: 'log-level: verbose', line: 'log-level: "verbose" is not one of the allowed values (fatal, error, warn, info, debug, trace, silent); write one of: fatal, error, warn, info, debug, trace, silent' },
    { name: 'timeout zero', text: 'timeouts: { idle-ms: 0 }', line: 'timeouts.idle-ms: 0 is below the minimum 1; write a whole number of milliseconds above 0, e.g. 300000' },
    { name: 'broken bcrypt hash', text: 'remote-management: { secret-key: "$2b$10$short" }', line: 'remote-management.secret-key: starts like a bcrypt hash but is not a whole one; paste the whole hash (60 characters), or write a new plaintext key to be hashed' },
    { name: 'fallback URL', text: 'fallbacks: [{ name: a, base-url: "api.anthropic.com", api-key: k }]', line: 'fallbacks[0].base-url: "api.anthropic.com" is not an http(s) URL; write https://api.anthropic.com' },
    { name: 'fallback URL with /v1/messages', text: 'fallbacks: [{ name: a, base-url: "https://api.anthropic.com/v1/messages", api-key: k }]', line: 'fallbacks[0].base-url: "https://api.anthropic.com/v1/messages" ends with /v1/messages; drop /v1/messages: write https://api.anthropic.com (the gateway appends /v1/messages itself)' },
    { name: 'fallback without key', text: 'fallbacks: [{ name: a, base-url: "https://x.example.test" }]', line: 'fallbacks[0].api-key: is missing; write the provider key, e.g. api-key: "${ANTHROPIC_API_KEY}"' },
    { name: 'fallback names twice', text: 'fallbacks: [{ name: a, base-url: "https://x.example.test", api-key: k }, { name: a, base-url: "https://y.example.test", api-key: k }]', line: 'fallbacks[1].name: "a" is used twice; give each fallback its own name' },
    { name: 'saturation queue below 0', text: 'limits: { saturation-queue-at: -1 }', line: 'limits.saturation-queue-at: -1 is below the minimum 0; write a whole number of requests in flight (default 16); 0 turns the saturation queue off' },
    { name: 'saturation queue not whole', text: 'limits: { saturation-queue-at: 2.5 }', line: 'limits.saturation-queue-at: 2.5 is not a whole number; write a whole number of requests in flight (default 16); 0 turns the saturation queue off' },
    { name: 'top level not a mapping', text: '- a\n- b', line: '(top level): ["a","b"] is not a mapping of settings; write one "key: value" per line, e.g. port: 8317 (see config.example.yaml)' },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const r = evaluateFileText(c.text + '\n', {});
      assert.equal(r.settings, null);
      assert.deepEqual(r.errors.map(formatProblem), [c.line]);
    });
  }

  test('limits.saturation-queue-at: 16 unless set; 0 turns it off', () => {
    assert.equal(evaluateFileText('port: 8317\n', {}).settings?.saturationQueueAt, 16);
    assert.equal(evaluateFileText('limits: { saturation-queue-at: 4 }\n', {}).settings?.saturationQueueAt, 4);
    assert.equal(evaluateFileText('limits: { saturation-queue-at: 0 }\n', {}).settings?.saturationQueueAt, 0);
  });

  test('a secret in a message is masked', () => {
    const r = evaluateFileText('fallbacks: [{ name: a, base-url: "https://x.example.test", api-key: ["sk-secret-0000000000009999"] }]\napi-keys: [""]\n', {});
    assert.equal(formatProblem(r.errors[1]), 'fallbacks[0].api-key: a list is not a string; write the provider key, e.g. api-key: "${ANTHROPIC_API_KEY}"');
    assert.ok(!r.errors.map(formatProblem).join('\n').includes('sk-secret'));
  });

  test('warnings: unknown keys, duplicates, exposed without api-keys', () => {
    const r = evaluateFileText('host: 0.0.0.0\nbase_url: x\nlog_level: info\napi-key: [a]\ngemini-api-key: []\ntimeouts: { idle_ms: 5 }\nfallbacks: [{ name: a, base-url: "https://x.example.test/v1", api-key: k }]\n', {});
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.warnings.map(formatProblem), [
      'base_url: unknown key "base_url" (ignored); it belongs under packycode (packycode.base-url): move it there',
      'log_level: unknown key "log_level" (ignored); did you mean "log-level"? rename it (keys are kebab-case)',
      'api-key: unknown key "api-key" (ignored); did you mean "api-keys"? rename it',
      'gemini-api-key: unknown key "gemini-api-key" (ignored); packybridge does not use this CLIProxyAPI key; remove it',
      'timeouts.idle_ms: unknown key "idle_ms" (ignored); did you mean "idle-ms"? rename it (keys are kebab-case)',
      'fallbacks[0].base-url: "https://x.example.test/v1" ends with /v1; write https://x.example.test (as for ANTHROPIC_BASE_URL; /v1/messages is appended)',
      'api-keys: is empty while host is 0.0.0.0 (every network interface); add api-keys, or listen on 127.0.0.1 only',
    ]);
  });

  test('did you mean', () => {
    assert.equal(didYouMean('baseUrl', ['base-url', 'enabled']), 'base-url');
    assert.equal(didYouMean('enabeld', ['base-url', 'enabled']), 'enabled');
    assert.equal(didYouMean('colour', ['base-url', 'enabled']), null);
  });
});

describe('YAML syntax errors: line and column', () => {
  test('bad indentation', async () => {
    const p = join(dir, `c${++n}.yaml`);
    await writeFile(p, 'port: 8317\npackycode:\n  enabled: true\n base-url: x\n');
    const r = await loadConfig({ path: p, env: {}, homeDir: dir, codexHome: dir });
    assert.equal(r.snapshot, null);
    assert.ok(r.errors.length >= 1);
    assert.match(r.errors[0].path, /^c\d+\.yaml:4:\d+$/);
    assert.match(r.errors[0].message, /^YAML syntax error: /);
  });

  test('an unquoted ${VAR} in a flow mapping: the fix says to quote it', () => {
    const r = evaluateFileText('packycode:\n  credentials: { openai-api-key: ${PACKYCODE_API_KEY} }\n', {}, '/x/config.yaml');
    assert.equal(r.settings, null);
    assert.match(r.errors[0].path, /^config\.yaml:2:\d+$/);
    assert.match(r.errors[0].fix, /quote the \$\{VAR\} reference/);
  });

  test('duplicate keys', () => {
    const r = evaluateFileText('port: 1\nport: 2\n', {});
    assert.equal(r.errors[0].path, 'config.yaml:2:1');
    assert.equal(r.errors[0].fix, 'keep only one of the duplicate keys');
  });

  test('tabs', () => {
    const r = evaluateFileText('packycode:\n\tenabled: true\n', {});
    assert.match(r.errors[0].path, /^config\.yaml:2:/);
  });
});
