// parseJsonBody: JSON.parse plus the prototype-poisoning rule, on keys only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJsonBody } from '../../src/server/json-body.ts';
import { hasPoisonKey } from '../../src/server/poison-keys.ts';

const refused: Array<[string, string]> = [
  ['__proto__ at the top', '{"__proto__":{"x":1}}'],
  ['__proto__ deep in a message', '{"messages":[{"role":"user","content":[{"type":"text","text":"hi","__proto__":{"polluted":true}}]}]}'],
  ['__proto__ spelled with escapes', '{"\\u005f\\u005fproto\\u005f\\u005f":{"x":1}}'],
  ['constructor.prototype', '{"constructor":{"prototype":{"x":1}}}'],
  ['constructor.prototype inside an array', '{"tools":[{"input_schema":{"constructor":{"prototype":null}}}]}'],
  ['__proto__ with a scalar value', '{"a":{"__proto__":1}}'],
];
const accepted: Array<[string, string]> = [
  ['the words in text', '{"text":"__proto__ and constructor.prototype are fine in a string: class A { constructor() {} }"}'],
  ['a constructor key without prototype', '{"constructor":{"name":"A"}}'],
  ['a constructor key holding a string', '{"constructor":"prototype"}'],
  ['a prototype key alone', '{"prototype":{"x":1}}'],
  ['scalars and arrays', '[1,"two",null,true,{"a":[{}]}]'],
];

for (const [name, text] of refused) {
  test(`refused: ${name}`, () => {
    const r = parseJsonBody(text);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.message, /forbidden key \(__proto__ or constructor\.prototype\)/);
  });
}

for (const [name, text] of accepted) {
  test(`accepted: ${name}`, () => {
    const r = parseJsonBody(text);
    assert.equal(r.ok, true);
    if (r.ok) assert.deepEqual(r.value, JSON.parse(text));
  });
}

test('not JSON: the parser\'s own message', () => {
  const r = parseJsonBody('{"model": ');
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(r.message, /^the request body is not valid JSON: /);
});

test('a value nested far deeper than the call stack is walked without overflowing', () => {
  const depth = 200_000;
  const text = `${'['.repeat(depth)}{"__proto__":1}${']'.repeat(depth)}`;
  let value: unknown;
  try { value = JSON.parse(text); } catch { return; } // an engine that cannot even parse it: nothing to walk
  assert.equal(hasPoisonKey(value as object), true);
});
