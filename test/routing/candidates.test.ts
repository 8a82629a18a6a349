// The candidates of one request, in order: Packycode while usable, then the fallbacks that serve the model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { candidatesFor, keyId, servesModel } from '../../src/routing/candidates.ts';
import { ModelRegistry } from '../../src/routing/model-registry.ts';
import type { AnthropicFallback, ConfigSnapshot } from '../../src/config/types.ts';

const fb = (name: string, models: string[] = []): AnthropicFallback => ({ name, baseUrl: `https://${name}.example`, apiKey: `sk-${name}-0000`, models });

function snapshot(over: Partial<ConfigSnapshot> = {}, packycodeEnabled = true): ConfigSnapshot {
  return {
    path: null, host: '127.0.0.1', port: 0, apiKeys: [], logLevel: 'info',
    remoteManagement: { secretKey: '', allowRemote: false },
    packycode: {
      enabled: packycodeEnabled, baseUrl: 'https://packy.example/v1', requiresOpenaiAuth: true, wireApi: 'responses',
      privacy: { disableResponseStorage: true }, defaults: { model: 'gpt-5-codex', modelReasoningEffort: 'medium' },
      credentials: { openaiApiKey: 'sk-packy-key-0001' }, modelMap: [], forwardSamplingParams: false,
    },
    effectiveSource: 'config.yaml',
    timeouts: { connectMs: 1000, firstByteMs: 1000, idleMs: 1000 },
    fallbacks: [],
    packycodeProblems: [],
    loadedAt: 0,
    ...over,
  };
}

test('model patterns: empty = any, globs with *, whole name, case-insensitive', () => {
  const table: Array<[string[], string, boolean]> = [
    [[], 'claude-opus-4-8', true],
    [[], 'gpt-5-codex', true],
    [['claude-opus-4-8'], 'claude-opus-4-8', true],
    [['claude-opus-4-8'], 'claude-opus-4-8-20260101', false],
    [['claude-*'], 'claude-sonnet-5', true],
    [['claude-*'], 'Claude-Sonnet-5', true],
    [['claude-*'], 'gpt-5-codex', false],
    [['*haiku*'], 'claude-haiku-4-5-20251001', true],
    [['*haiku*'], 'claude-sonnet-5', false],
    [['gpt-5', 'claude-*-4-*'], 'claude-opus-4-8', true],
    [['gpt-5', 'claude-*-4-*'], 'gpt-5', true],
    [['gpt-5', 'claude-*-4-*'], 'gpt-5-mini', false],
    [['claude.opus'], 'claudeXopus', false],         // a dot is a dot, not "any character"
    [['claude-(opus)'], 'claude-(opus)', true],      // regex characters are literal
    [['*'], '', true],
  ];
  for (const [patterns, model, expected] of table) {
    assert.equal(servesModel(patterns, model), expected, `${JSON.stringify(patterns)} vs ${model}`);
  }
});

test('candidates: Packycode first, then the fallbacks serving the model, in config order', () => {
  const s = snapshot({ fallbacks: [fb('a', ['claude-*']), fb('b', ['gpt-*']), fb('c'), fb('d', ['claude-opus-*'])] });
  const names = (model: string) => candidatesFor(s, new ModelRegistry(), model).candidates.map((c) => c.provider);
  assert.deepEqual(names('claude-opus-4-8'), ['packycode', 'a', 'c', 'd']);
  assert.deepEqual(names('gpt-5-codex'), ['packycode', 'b', 'c']);
  assert.deepEqual(names('mistral-large'), ['packycode', 'c']);
  const [packy, a] = candidatesFor(s, new ModelRegistry(), 'claude-opus-4-8').candidates;
  assert.equal(packy.protocol, 'responses');
  assert.equal(packy.upstreamModel, 'gpt-5-codex');
  assert.equal(packy.keyMask, 'sk-…0001');
  assert.equal(a.protocol, 'anthropic');
  assert.equal(a.fallbackName, 'a');
  assert.equal(a.upstreamModel, 'claude-opus-4-8');
  assert.ok(!JSON.stringify([packy.id, packy.keyId, a.id]).includes('sk-'), 'ids never carry a key');
});

test('candidates: Packycode disabled -> the refusal, and the fallbacks that serve the model', () => {
  const s = snapshot({ fallbacks: [fb('a', ['claude-*'])] }, false);
  const list = candidatesFor(s, new ModelRegistry(), 'claude-opus-4-8');
  assert.deepEqual(list.candidates.map((c) => c.provider), ['a']);
  assert.equal(list.refusal?.status, 503);
  const none = candidatesFor(s, new ModelRegistry(), 'gpt-5');
  assert.deepEqual(none.candidates, []);
  assert.match(none.refusal?.message ?? '', /disabled/);
});

test('keyId: stable, distinct per key, never the key', () => {
  assert.equal(keyId('p', 'sk-one'), keyId('p', 'sk-one'));
  assert.notEqual(keyId('p', 'sk-one'), keyId('p', 'sk-two'));
  assert.ok(!keyId('p', 'sk-one').includes('sk-one'));
});
