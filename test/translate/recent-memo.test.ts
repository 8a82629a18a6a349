import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RecentMemo } from '../../src/translate/recent-memo.ts';

describe('RecentMemo', () => {
  it('makes a value once per key, then gives the same one', () => {
    const memo = new RecentMemo<string>({ maxEntries: 4, maxKeyLength: 10 });
    let made = 0;
    const make = (k: string) => { made++; return `v:${k}`; };
    assert.equal(memo.get('a', make), 'v:a');
    assert.equal(memo.get('a', make), 'v:a');
    assert.equal(memo.get('b', make), 'v:b');
    assert.equal(made, 2);
  });

  it('keeps undefined as a value (made once, not again)', () => {
    const memo = new RecentMemo<string | undefined>({ maxEntries: 4, maxKeyLength: 10 });
    let made = 0;
    for (let i = 0; i < 3; i++) assert.equal(memo.get('x', () => { made++; return undefined; }), undefined);
    assert.equal(made, 1);
  });

  it('holds at most maxEntries, the oldest insertion out first', () => {
    const memo = new RecentMemo<number>({ maxEntries: 2, maxKeyLength: 10 });
    let made = 0;
    const make = () => ++made;
    memo.get('a', make);
    memo.get('b', make);
    memo.get('c', make); // a out
    assert.equal(memo.size, 2);
    assert.equal(memo.get('b', make), 2);
    assert.equal(memo.get('a', make), 4, 'a was made again');
  });

  it('never keeps a key longer than maxKeyLength, and still answers for it', () => {
    const memo = new RecentMemo<number>({ maxEntries: 2, maxKeyLength: 3 });
    let made = 0;
    assert.equal(memo.get('long', () => ++made), 1);
    assert.equal(memo.get('long', () => ++made), 2);
    assert.equal(memo.size, 0);
  });
});
