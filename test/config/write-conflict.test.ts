// When may a management write be merged onto a config.yaml someone else changed meanwhile? Table-driven.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { conflictingPaths, differingPaths, patchPaths } from '../../src/config-control/write-conflict.ts';

describe('patchPaths: the leaves a merge patch sets or removes', () => {
  const cases: Array<[string, Record<string, unknown>, string[]]> = [
    ['one key', { enabled: false }, ['enabled']],
    ['nested', { defaults: { model: 'gpt-5', 'model-reasoning-effort': 'high' } }, ['defaults.model', 'defaults.model-reasoning-effort']],
    ['a list is one leaf', { 'model-map': [{ match: 'a', model: 'b' }] }, ['model-map']],
    ['null removes', { credentials: null }, ['credentials']],
    ['an empty object is a leaf', { privacy: {} }, ['privacy']],
  ];
  for (const [name, patch, want] of cases) test(name, () => assert.deepEqual(patchPaths(patch), want));
});

describe('differingPaths', () => {
  test('equal values: none', () => assert.deepEqual(differingPaths({ a: { b: 1 } }, { a: { b: 1 } }), []));
  test('a changed leaf, an added and a removed key', () => {
    assert.deepEqual(differingPaths({ a: { b: 1 }, c: 1 }, { a: { b: 2 }, d: 1 }).sort(), ['a.b', 'c', 'd']);
  });
});

describe('conflictingPaths: settings both the other change and the write change', () => {
  const file = (model: string, effort = 'medium', extra = '') => `api-keys:\n  - k\n${extra}packycode:\n  enabled: true\n  defaults:\n    model: ${model}\n    model-reasoning-effort: ${effort}\n`;
  const cases: Array<[string, string | null, string | null, string[] | null, string[]]> = [
    ['a change outside the block', file('gpt-5'), file('gpt-5', 'medium', 'port: 9000\n'), ['defaults.model'], []],
    ['another key of the block', file('gpt-5'), file('gpt-5', 'high'), ['defaults.model'], []],
    ['the key the write changes', file('gpt-5'), file('gpt-5-mini'), ['defaults.model'], ['defaults.model']],
    ['the write changes a parent of it', file('gpt-5'), file('gpt-5-mini'), ['defaults'], ['defaults.model']],
    ['a PUT (whole block) against any block change', file('gpt-5'), file('gpt-5', 'high'), null, ['defaults.model-reasoning-effort']],
    ['a PUT against a change elsewhere', file('gpt-5'), file('gpt-5', 'medium', 'port: 9000\n'), null, []],
    ['no file before, one with a block now', null, file('gpt-5'), null, ['enabled', 'defaults']],
  ];
  for (const [name, before, now, touched, want] of cases) test(name, () => assert.deepEqual(conflictingPaths(before, now, touched), want));
});
