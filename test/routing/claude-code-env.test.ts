// The environment `packybridge claude-env` and the start-up banner give Claude Code: the listen address as a
// local URL, the smallest input window among the models the Claude names route to, discovery on, never a key.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import type { ConfigSnapshot } from '../../src/config/types.ts';
import { ModelRegistry, packycodeModels } from '../../src/routing/model-registry.ts';
import { claudeCodeEnv, clientUrl, commandLine, exportLines } from '../../src/routing/claude-code-env.ts';

let dir: string;
let n = 0;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pb-claude-env-'));
  await mkdir(join(dir, 'home', '.codex'), { recursive: true });
});
after(() => rm(dir, { recursive: true, force: true }));

async function snapshotOf(yaml: string): Promise<ConfigSnapshot> {
  const path = join(dir, `config-${++n}.yaml`);
  await writeFile(path, yaml, { mode: 0o600 });
  const r = await loadConfig({ path, env: {}, homeDir: join(dir, 'home'), persistSecretHash: false });
  assert.deepEqual(r.errors, []);
  return r.snapshot!;
}

const packycode = (extra = '') => `packycode:\n  enabled: true\n  base-url: https://codex.example.test/v1\n  credentials:\n    openai-api-key: sk-secret-upstream-9876\n  defaults:\n    model: gpt-5-codex\n${extra}`;
const registry = () => { const r = new ModelRegistry(); r.register('c', packycodeModels('codex', 'c')); return r; };
const varsOf = (env: NonNullable<ReturnType<typeof claudeCodeEnv>>) => Object.fromEntries(env.vars);

const urls: Array<[string, number, string]> = [
  ['127.0.0.1', 8317, 'http://127.0.0.1:8317'],
  ['0.0.0.0', 8317, 'http://127.0.0.1:8317'],
  ['::', 9000, 'http://[::1]:9000'],
  ['::1', 9000, 'http://[::1]:9000'],
  ['gateway.lan', 80, 'http://gateway.lan:80'],
];
for (const [host, port, want] of urls) test(`clientUrl(${host}, ${port}) = ${want}`, () => assert.equal(clientUrl(host, port), want));

test('every Claude name on gpt-5-codex: window 272000, discovery on, a token that needs no key', async () => {
  const env = claudeCodeEnv(await snapshotOf(packycode()), registry(), 'http://127.0.0.1:8317')!;
  assert.deepEqual(env.vars, [
    ['ANTHROPIC_BASE_URL', 'http://127.0.0.1:8317'],
    ['ANTHROPIC_AUTH_TOKEN', 'packybridge'],
    ['CLAUDE_CODE_AUTO_COMPACT_WINDOW', '272000'],
    ['CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY', '1'],
  ]);
  assert.deepEqual(env.notes, []);
  assert.deepEqual(exportLines(env), [
    'export ANTHROPIC_BASE_URL=http://127.0.0.1:8317',
    'export ANTHROPIC_AUTH_TOKEN=packybridge',
    'export CLAUDE_CODE_AUTO_COMPACT_WINDOW=272000',
    'export CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY=1',
  ]);
  assert.equal(commandLine(env), 'ANTHROPIC_BASE_URL=http://127.0.0.1:8317 ANTHROPIC_AUTH_TOKEN=packybridge CLAUDE_CODE_AUTO_COMPACT_WINDOW=272000 CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY=1 claude');
});

test('a model-map sending haiku to codex-mini-latest: the smallest window (200000), and a note saying so', async () => {
  const env = claudeCodeEnv(await snapshotOf(packycode('  model-map:\n    - { match: "claude-*haiku*", model: codex-mini-latest }\n')), registry(), 'http://127.0.0.1:8317')!;
  assert.equal(varsOf(env).CLAUDE_CODE_AUTO_COMPACT_WINDOW, '200000');
  assert.deepEqual(env.notes, ['the Claude names route to models with windows of 200000, 272000 tokens; the smallest is used']);
  assert.ok(exportLines(env).includes('# the Claude names route to models with windows of 200000, 272000 tokens; the smallest is used'));
});

test('with api-keys: no token is printed (a note asks for one of them); no key appears anywhere', async () => {
  const env = claudeCodeEnv(await snapshotOf(`api-keys:\n  - client-key-abcdef-123456\n${packycode()}`), registry(), 'http://127.0.0.1:8317')!;
  assert.equal(varsOf(env).ANTHROPIC_AUTH_TOKEN, undefined);
  assert.deepEqual(env.notes, ['set ANTHROPIC_AUTH_TOKEN to one of the api-keys in the configuration (not printed here)']);
  const text = exportLines(env).join('\n') + commandLine(env);
  assert.ok(!text.includes('client-key-abcdef') && !text.includes('sk-secret-upstream'));
});

test('an empty registry (the CLI, no server) gives the same windows as the running gateway', async () => {
  const s = await snapshotOf(packycode('  model-map:\n    - { match: "claude-*sonnet*", model: gpt-5-codex-high }\n'));
  assert.deepEqual(claudeCodeEnv(s, new ModelRegistry(), 'u'), claudeCodeEnv(s, registry(), 'u'));
});

test('Packycode not usable: nothing to print', async () => {
  assert.equal(claudeCodeEnv(await snapshotOf('packycode:\n  enabled: false\n'), registry(), 'http://127.0.0.1:8317'), undefined);
});

test('a URL with characters the shell reads is quoted', () => {
  const env = { vars: [['ANTHROPIC_BASE_URL', 'http://h:1/a b'] as [string, string]], notes: [] };
  assert.deepEqual(exportLines(env), [`export ANTHROPIC_BASE_URL='http://h:1/a b'`]);
});
