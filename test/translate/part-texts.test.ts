import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PartTexts } from '../../src/translate/output-slot.ts';

test('PartTexts.rest: the piece of the full text that was not streamed yet, once', () => {
  const cases: Array<{ name: string; deltas: string[]; full: string; rest: string | null }> = [
    { name: 'nothing streamed: all of it', deltas: [], full: 'Hello', rest: 'Hello' },
    { name: 'streamed a prefix: the rest', deltas: ['Hel'], full: 'Hello', rest: 'lo' },
    { name: 'streamed all of it: nothing', deltas: ['Hel', 'lo'], full: 'Hello', rest: null },
    { name: 'full shorter than streamed: nothing', deltas: ['Hello!'], full: 'Hello', rest: null },
    { name: 'same length prefix, other text: diverges, nothing', deltas: ['Hex'], full: 'Hello', rest: null },
    { name: 'differs in the last streamed character only: nothing', deltas: ['Hella'], full: 'Hello world', rest: null },
    { name: 'surrogate pairs and other scripts', deltas: ['日本', '🎉'], full: '日本🎉 done', rest: ' done' },
  ];
  for (const c of cases) {
    const p = new PartTexts();
    for (const d of c.deltas) p.append(0, d);
    assert.equal(p.rest(0, c.full), c.rest, c.name);
  }
});

test('PartTexts: after rest() the full text counts as streamed; parts are independent', () => {
  const p = new PartTexts();
  p.append(0, 'ab');
  assert.equal(p.rest(0, 'abc'), 'c');
  assert.equal(p.rest(0, 'abc'), null, 'a repeated done event adds nothing');
  assert.equal(p.rest(0, 'abcd'), 'd');
  assert.equal(p.length(0), 4);
  p.append(3, 'x');
  assert.equal(p.length(3), 1);
  assert.equal(p.length(1), 0);
  assert.equal(p.rest(1, 'other part'), 'other part');
  assert.equal(p.rest(3, 'xyz'), 'yz');
});

test('PartTexts: a huge part index is fine (sparse)', () => {
  const p = new PartTexts();
  p.append(1_000_000_000, 'x');
  assert.equal(p.rest(1_000_000_000, 'xy'), 'y');
});
