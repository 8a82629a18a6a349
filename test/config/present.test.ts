// Masking and kebab-case presentation; the line merge behind comment-preserving writes.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { maskSecret, packycodeToYamlShape, looksMasked } from '../../src/config/present.ts';
import { disabledPackycode } from '../../src/config/packycode.ts';
import { detectStyle, mergeLines } from '../../src/config/yaml-layout.ts';
import { expandString, type UnsetReference } from '../../src/config/env-expand.ts';

describe('maskSecret', () => {
  const cases: Array<[string, string]> = [
    ['sk-test-0000-fake-abcd', 'sk-…abcd'],
    ['sk-proj-abcdefghijklmnop9876', 'sk-…9876'],
    ['plainkeywithoutprefix1234', '…1234'],
    ['short', '****'],
    ['elevenchars', '****'],
    ['', ''],
  ];
  for (const [input, want] of cases) test(JSON.stringify(input), () => assert.equal(maskSecret(input), want));
  test('masked values are recognised', () => {
    assert.equal(looksMasked(maskSecret('sk-test-0000-fake-abcd')), true);
    assert.equal(looksMasked('****'), true);
    assert.equal(looksMasked('sk-test-0000-fake-abcd'), false);
  });
});

describe('packycodeToYamlShape', () => {
  const p = { ...disabledPackycode(), enabled: true, baseUrl: 'https://x.example.test/v1', credentials: { openaiApiKey: 'sk-test-0000-fake-abcd' }, modelMap: [{ match: 'a*', model: 'b' }] };
  test('kebab-case, key masked', () => {
    assert.deepEqual(packycodeToYamlShape(p, { reveal: false }), {
      enabled: true,
      'base-url': 'https://x.example.test/v1',
      'requires-openai-auth': true,
      'wire-api': 'responses',
      privacy: { 'disable-response-storage': true },
      defaults: { model: 'gpt-5', 'model-reasoning-effort': 'high' },
      credentials: { 'openai-api-key': 'sk-…abcd' },
      'model-map': [{ match: 'a*', model: 'b' }],
      'forward-sampling-params': false,
    });
  });
  test('reveal shows the key', () => {
    assert.equal((packycodeToYamlShape(p, { reveal: true }).credentials as Record<string, string>)['openai-api-key'], 'sk-test-0000-fake-abcd');
  });
});

describe('${VAR} references', () => {
  const cases: Array<[string, Record<string, string>, string, string[]]> = [
    ['${A}', { A: 'x' }, 'x', []],
    ['pre-${A}-${B}', { A: '1', B: '2' }, 'pre-1-2', []],
    ['${A:-dflt}', {}, 'dflt', []],
    ['${A:-dflt}', { A: '' }, 'dflt', []],
    ['${A}', { A: '' }, '', []],
    ['$${A}', { A: 'x' }, '${A}', []],
    ['${MISSING}', {}, '', ['MISSING']],
    ['$A and ${ not a ref', {}, '$A and ${ not a ref', []],
  ];
  for (const [input, env, want, unsetNames] of cases) {
    test(`${input} -> ${JSON.stringify(want)}`, () => {
      const unset: UnsetReference[] = [];
      assert.equal(expandString(input, env, 'k', unset), want);
      assert.deepEqual(unset.map((u) => u.name), unsetNames);
    });
  }
});

describe('yaml layout', () => {
  test('detectStyle reads indentation and sequence style', () => {
    assert.deepEqual(detectStyle('a:\n    b: 1\nl:\n- x\n'), { lineWidth: 0, indent: 4, indentSeq: false });
    assert.deepEqual(detectStyle('a:\n  b: 1\nl:\n  - x\n'), { lineWidth: 0, indent: 2, indentSeq: true });
  });

  test('mergeLines keeps original bytes where the re-print did not change', () => {
    const original = 'a:   1    # one\nb: 2\nc:    3\n';
    const roundTrip = 'a: 1 # one\nb: 2\nc: 3\n';
    const next = 'a: 1 # one\nb: 20\nc: 3\n';
    assert.equal(mergeLines(original, roundTrip, next), 'a:   1    # one\nb: 20\nc:    3\n');
  });

  test('mergeLines: insertions and deletions', () => {
    const original = 'x:  1\ny:  2\nz:  3\n';
    const roundTrip = 'x: 1\ny: 2\nz: 3\n';
    assert.equal(mergeLines(original, roundTrip, 'x: 1\nz: 3\n'), 'x:  1\nz:  3\n');
    assert.equal(mergeLines(original, roundTrip, 'x: 1\ny: 2\nw: 9\nz: 3\n'), 'x:  1\ny:  2\nw: 9\nz:  3\n');
  });
});
