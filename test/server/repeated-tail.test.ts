// The repeated-tail cache: a body ending with a tail seen before is parsed up to it and shares the tail's frozen
// values. Whatever the body, the result must be what JSON.parse gives (values and key order), or the same refusal.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { parseJsonBytes, tailOf } from '../../src/server/json-body.ts';
import { RepeatedTailCache } from '../../src/server/repeated-tail.ts';
import { sharedFixture } from '../support/shared-fixtures.ts';
import { validateCountTokensRequest, validateMessagesRequest } from '../../src/wire/anthropic-validate.ts';

// the project's own captures (always there) and the shared ones when present
const capturedDirs = [fileURLToPath(new URL('../fixtures/captured/claude-code-2.1.332/', import.meta.url)), sharedFixture('captured/claude-code-2.1.332')]
  .filter((d): d is string => d !== null && existsSync(d));
const capturedBodies = (): Array<{ name: string; body: Record<string, unknown> }> =>
  capturedDirs.flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => ({ name: f, body: JSON.parse(readFileSync(join(dir, f), 'utf8')).body })))
    .filter((c) => typeof c.body === 'object' && c.body !== null && Array.isArray(c.body.messages));

/** the same key order as JSON.parse gives, at every level */
function sameJson(actual: unknown, expected: unknown): void {
  assert.deepEqual(actual, expected);
  assert.equal(JSON.stringify(actual), JSON.stringify(expected));
}

/** a Claude Code-shaped body: messages first, then a large tail */
function body(messages: unknown[], tail: Record<string, unknown> = defaultTail()): string {
  return JSON.stringify({ model: 'claude-sonnet-4-5', messages, ...tail });
}
function defaultTail(): Record<string, unknown> {
  return {
    system: [{ type: 'text', text: 'S'.repeat(3000) }],
    tools: [{ name: 'Bash', description: 'runs a command', input_schema: { type: 'object', properties: { command: { type: 'string' } } } }],
    max_tokens: 32000,
    stream: true,
  };
}
const user = (text: string) => ({ role: 'user', content: text });

function parse(cache: RepeatedTailCache, text: string | Buffer) {
  return parseJsonBytes(Buffer.isBuffer(text) ? text : Buffer.from(text), cache);
}

describe('repeated tails', () => {
  test('the third sighting on: the same value as JSON.parse, the tail shared and frozen', () => {
    const cache = new RepeatedTailCache();
    const texts = [body([user('one')]), body([user('one'), { role: 'assistant', content: 'two' }, user('three')]), body([user('four ✓ 𝄞')])];
    const values = texts.map((t) => parse(cache, t));
    for (let i = 0; i < texts.length; i++) {
      assert.equal(values[i].ok, true);
      if (values[i].ok) sameJson((values[i] as { value: unknown }).value, JSON.parse(texts[i]));
    }
    const [, second, third] = values.map((v) => (v as { value: Record<string, unknown> }).value);
    assert.equal(tailOf(values[0].ok ? values[0].value : undefined), undefined, 'first sighting: bytes only');
    assert.ok(tailOf(second), 'second sighting: parsed and shared');
    assert.equal(second.tools, third.tools, 'one shared tools array');
    assert.ok(Object.isFrozen(third.tools) && Object.isFrozen((third.tools as object[])[0]));
    assert.throws(() => { ((third.system as Array<{ text: string }>)[0]).text = 'changed'; }, TypeError);
    assert.equal(Object.isFrozen(third.messages), false, 'the head is the request\'s own');
    assert.deepEqual(cache.stats(), { entries: 1, bytes: cache.stats().bytes, hits: 2, misses: 1, learned: 1, heads: 1, headBytes: cache.stats().headBytes, headHits: 0 });
  });

  test('every captured Claude Code 2.1.332 request, sent three times with other messages: JSON.parse\'s value', () => {
    const cache = new RepeatedTailCache();
    const cases = capturedBodies();
    assert.ok(cases.length >= 5, `${cases.length} captured requests`);
    for (const { name, body: b } of cases) {
      for (const turn of [0, 1, 2]) {
        const messages = turn === 0 ? b.messages : [...(b.messages as unknown[]), { role: 'assistant', content: `turn ${turn}` }, user(`next ${turn}`)];
        const text = JSON.stringify({ ...b, messages });
        const r = parse(cache, text);
        assert.equal(r.ok, true, name);
        if (r.ok) sameJson(r.value, JSON.parse(text));
      }
    }
    assert.ok(cache.stats().hits >= cases.length, `hits ${cache.stats().hits}`);
  });

  // bodies that end with a known tail but must not be read through it, or must be read exactly as JSON.parse does
  const tailText = JSON.stringify(defaultTail()).slice(1); // "system":...}
  const known = `{"model":"m","messages":[{"role":"user","content":"x"}],${tailText}`;
  const cases: Array<[string, string, 'same' | RegExp]> = [
    ['no members before the tail: not JSON', `{,${tailText}`, /not valid JSON/],
    ['whitespace only before the tail', `{ ,${tailText}`, /not valid JSON/],
    ['a head that is not a prefix of an object', `[1,${tailText}`, /not valid JSON/],
    ['a head cut inside a string', `{"model":"m","messages":"abc,${tailText}`, /not valid JSON/],
    ['a head with the tail\'s key too: the tail\'s value wins', `{"model":"m","system":"first","messages":[],${tailText}`, 'same'],
    ['__proto__ in the head', `{"model":"m","messages":[{"__proto__":{"x":1}}],${tailText}`, /forbidden key/],
    ['constructor.prototype in the head', `{"constructor":{"prototype":{}},"messages":[],${tailText}`, /forbidden key/],
    ['whitespace around the head\'s members', `{ "model" : "m" , "messages" : [ ] ,${tailText}`, 'same'],
    ['non-ASCII in the head', `{"model":"m","messages":[{"role":"user","content":"ünïcödé 日本 🙂"}],${tailText}`, 'same'],
  ];
  for (const [name, text, expect] of cases) {
    test(`a known tail after ${name}`, () => {
      const cache = new RepeatedTailCache();
      parse(cache, known);
      parse(cache, known); // learned
      const r = parse(cache, text);
      if (expect === 'same') {
        assert.equal(r.ok, true);
        if (r.ok) sameJson(r.value, JSON.parse(text));
      } else {
        assert.equal(r.ok, false);
        if (!r.ok) assert.match(r.message, expect);
      }
    });
  }

  test('bad UTF-8 in the head: refused as a whole body would be', () => {
    const cache = new RepeatedTailCache();
    parse(cache, known);
    parse(cache, known);
    const bad = Buffer.concat([Buffer.from('{"model":"m\xff'.slice(0, 11)), Buffer.from([0xff, 0x22]), Buffer.from(`,"messages":[],${tailText}`)]);
    const r = parse(cache, bad);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.message, /not valid UTF-8/);
  });

  test('a "system" key nested in messages before the real one: the tail is not taken from there', () => {
    const cache = new RepeatedTailCache();
    const tricky = (n: number) => body([{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: 'x' }], extra: { a: n, system: 'S'.repeat(2500) } }]);
    for (let i = 0; i < 4; i++) {
      const r = parse(cache, tricky(i));
      assert.equal(r.ok, true);
      if (r.ok) sameJson(r.value, JSON.parse(tricky(i)));
    }
  });

  test('a tail holding a forbidden key is never learned; the body is refused every time', () => {
    const cache = new RepeatedTailCache();
    const poisoned = body([user('x')], { system: 'S'.repeat(3000), tools: [{ name: 'a', input_schema: { type: 'object', constructor: { prototype: {} } } }] });
    for (let i = 0; i < 3; i++) {
      const r = parse(cache, poisoned);
      assert.equal(r.ok, false);
    }
    assert.equal(cache.stats().learned, 0);
  });

  test('small tails, messages last, and other routes\' bodies are not kept', () => {
    const cache = new RepeatedTailCache();
    parse(cache, body([user('x')], { max_tokens: 10 }));
    parse(cache, JSON.stringify({ model: 'm', system: 'S'.repeat(5000), messages: [user('x')] }));
    parse(cache, JSON.stringify({ model: 'm', input: [], tools: 'T'.repeat(5000) }));
    assert.equal(cache.stats().entries, 0);
  });

  test('bounded: the least recently used tails go first', () => {
    const cache = new RepeatedTailCache({ maxEntries: 3 });
    const tails = [0, 1, 2, 3].map((i) => ({ ...defaultTail(), system: `${i}`.repeat(3000) }));
    for (const t of tails) parse(cache, body([user('x')], t));
    assert.equal(cache.stats().entries, 3);
    parse(cache, body([user('y')], tails[0]));
    assert.equal(cache.stats().hits, 0, 'the oldest was dropped');
    parse(cache, body([user('y')], tails[3]));
    assert.equal(cache.stats().hits, 1);
  });
});

describe('validation of a shared tail', () => {
  const tail = { ...defaultTail(), tools: [{ name: 'Bash', description: 'd', input_schema: { type: 'object' } }] };
  test('checked in full once; later bodies check their own fields with the same messages', () => {
    const cache = new RepeatedTailCache();
    const ok = (m: unknown[]) => parse(cache, body(m, tail));
    const first = [ok([user('a')]), ok([user('b')]), ok([user('c')])].map((r) => (r as { value: object }).value);
    for (const b of first) assert.equal(validateMessagesRequest(b, tailOf(b)).ok, true);
    assert.deepEqual([...tailOf(first[2])!.validFor], ['messages']);
    const bad = (parse(cache, body([{ role: 'user', content: [{ type: 'nope' }] }], tail)) as { value: object }).value;
    assert.ok(tailOf(bad));
    const viaTail = validateMessagesRequest(bad, tailOf(bad));
    const whole = validateMessagesRequest(JSON.parse(body([{ role: 'user', content: [{ type: 'nope' }] }], tail)));
    assert.equal(viaTail.ok, false);
    assert.deepEqual(viaTail, whole, 'the same message');
    // count_tokens has its own schema: checked in full the first time
    const counted = (ok([user('d')]) as { value: object }).value;
    assert.equal(validateCountTokensRequest(counted, tailOf(counted)).ok, true);
    assert.deepEqual([...tailOf(counted)!.validFor].sort(), ['count_tokens', 'messages']);
  });

  test('a tail that failed validation is checked again every time', () => {
    const cache = new RepeatedTailCache();
    const badTail = { ...tail, max_tokens: 0 };
    for (let i = 0; i < 3; i++) {
      const b = (parse(cache, body([user(`${i}`)], badTail)) as { value: object }).value;
      const v = validateMessagesRequest(b, tailOf(b));
      assert.equal(v.ok, false);
      if (!v.ok) assert.match(v.message, /max_tokens/);
    }
  });
});
