// Messages shared between the bodies of one repeated tail: whatever the next body holds, the value must be what
// JSON.parse gives (values and key order) or the same refusal; earlier messages are shared and frozen.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJsonBytes } from '../../src/server/json-body.ts';
import { RepeatedTailCache } from '../../src/server/repeated-tail.ts';
import { commonPrefix } from '../../src/server/repeated-messages.ts';

const TAIL = { system: [{ type: 'text', text: 'S'.repeat(3000) }], tools: [{ name: 'Bash', input_schema: { type: 'object' } }], max_tokens: 1000, stream: true };
const body = (messages: unknown[], head: Record<string, unknown> = { model: 'claude-sonnet-4-5' }) => JSON.stringify({ ...head, messages, ...TAIL });

function sameJson(actual: unknown, expected: unknown): void {
  assert.deepEqual(actual, expected);
  assert.equal(JSON.stringify(actual), JSON.stringify(expected));
}
function parse(cache: RepeatedTailCache, text: string | Buffer): { ok: boolean; value?: any; message?: string } {
  return parseJsonBytes(Buffer.isBuffer(text) ? text : Buffer.from(text), cache) as never;
}
/** Claude Code's shape: the last user message carries cache_control, which moves on the next turn */
function turn(n: number): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const last = i === n - 1;
    out.push({ role: 'user', content: [{ type: 'text', text: `question ${i} ✓ 日本 🙂 "quoted" \\ slash`, ...(last ? { cache_control: { type: 'ephemeral' } } : {}) }] });
    if (!last) out.push({ role: 'assistant', content: [{ type: 'text', text: `answer ${i}`.repeat(20) }] });
  }
  return out;
}

describe('repeated messages', () => {
  test('a session growing turn by turn: JSON.parse\'s value every time, earlier messages shared and frozen', () => {
    const cache = new RepeatedTailCache();
    let previous: any;
    for (let n = 1; n <= 12; n++) {
      const text = body(turn(n));
      const r = parse(cache, text);
      assert.equal(r.ok, true);
      sameJson(r.value, JSON.parse(text));
      if (n >= 4) {
        // the messages before the one whose cache_control moved are the previous request's objects
        assert.equal(r.value.messages[0], previous.messages[0]);
        assert.equal(r.value.messages[2 * n - 5], previous.messages[2 * n - 5]);
        assert.ok(Object.isFrozen(r.value.messages[0].content[0]));
        assert.notEqual(r.value.messages, previous.messages, 'a new array for every request');
      }
      previous = r.value;
    }
    assert.ok(cache.stats().headHits >= 8, `head hits ${cache.stats().headHits}`);
  });

  test('two sessions on one tail, alternating: JSON.parse\'s value every time', () => {
    const cache = new RepeatedTailCache();
    const other = (n: number) => turn(n).map((m) => ({ ...(m as object), note: 'other session' }));
    for (let n = 1; n <= 6; n++) {
      for (const text of [body(turn(n)), body(other(n)), body(other(n))]) sameJson(parse(cache, text).value, JSON.parse(text));
    }
    assert.ok(cache.stats().headHits >= 6, `head hits ${cache.stats().headHits}`); // each repeat of the other session
  });

  test('the same body again: every message shared', () => {
    const cache = new RepeatedTailCache();
    const text = body(turn(5));
    const values = [0, 1, 2, 3].map(() => parse(cache, text).value);
    for (const v of values) sameJson(v, JSON.parse(text));
    assert.equal(values[3].messages[8], values[2].messages[8]);
  });

  const base = turn(4);
  const known = body(base);
  const cases: Array<[string, string, 'same' | RegExp]> = [
    ['a message changed in the middle', body([...base.slice(0, 3), { role: 'user', content: 'edited' }, ...base.slice(4)]), 'same'],
    ['fewer messages', body(base.slice(0, 3)), 'same'],
    ['more messages after the last', body([...base, { role: 'assistant', content: 'more' }, { role: 'user', content: 'and more' }]), 'same'],
    ['another member after messages', known.replace('],"system":', '],"extra":{"a":[1,2]},"system":'), 'same'],
    ['a trailing comma after a shared message', known.replace(/,\{"role":"user","content":\[\{"type":"text","text":"question 3[^]*?\}\]\}\]/, ',]'), /not valid JSON/],
    ['__proto__ in a new message', body([...base, { role: 'assistant', content: 'x' }, { role: 'user', content: [{ type: 'text', text: 'y' }] }]).replace('"text":"y"', '"text":"y","__proto__":{"p":1}'), /forbidden key/],
    ['a message written with escapes JSON.stringify does not use', known.replace('question 2', 'question \\u0032'), 'same'],
    ['the model changed', body(base, { model: 'claude-opus-4-5' }), 'same'],
    ['a key before messages added', body(base, { model: 'claude-sonnet-4-5', temperature: 0.5 }), 'same'],
    ['messages twice, the later one wins', known.replace('{"model":"claude-sonnet-4-5",', '{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"first"}],'), 'same'],
    ['whitespace inside the array', known.replace('},{"role":"assistant"', '} , {"role":"assistant"'), 'same'],
    ['no messages at all', body([]), 'same'],
  ];
  for (const [name, text, expect] of cases) {
    test(`after a known head: ${name}`, () => {
      const cache = new RepeatedTailCache();
      for (let i = 0; i < 3; i++) parse(cache, known);
      assert.ok(cache.stats().heads === 1);
      for (let i = 0; i < 2; i++) { // twice: the second time against the head this one left
        const r = parse(cache, text);
        if (expect === 'same') {
          assert.equal(r.ok, true, r.message);
          sameJson(r.value, JSON.parse(text));
        } else {
          assert.equal(r.ok, false);
          assert.match(r.message!, expect);
        }
      }
      const again = parse(cache, known); // and back
      sameJson(again.value, JSON.parse(known));
    });
  }

  test('a pretty-printed head is never shared, and still parsed right', () => {
    const cache = new RepeatedTailCache();
    const text = `{ "model": "m", "messages": ${JSON.stringify(turn(3), null, 1)},${JSON.stringify(TAIL).slice(1)}`;
    for (let i = 0; i < 3; i++) sameJson(parse(cache, text).value, JSON.parse(text));
    assert.equal(cache.stats().headHits, 0);
  });

  test('bounded: heads over the byte budget are not kept', () => {
    const cache = new RepeatedTailCache({ maxHeadBytes: 2000 });
    const text = body(turn(10));
    for (let i = 0; i < 3; i++) sameJson(parse(cache, text).value, JSON.parse(text));
    assert.deepEqual([cache.stats().heads, cache.stats().headBytes, cache.stats().headHits], [0, 0, 0]);
  });

  test('the kept head is a copy: the request body can be reused or changed after the parse', () => {
    const cache = new RepeatedTailCache();
    for (let n = 1; n <= 8; n++) {
      const text = body(turn(n));
      const bytes = Buffer.from(text);
      sameJson(parse(cache, bytes).value, JSON.parse(text));
      bytes.fill(0x20); // a pooled buffer overwritten by the next read
    }
    const text = body(turn(9));
    sameJson(parse(cache, text).value, JSON.parse(text));
    assert.ok(cache.stats().headHits >= 6, 'the heads were still shared');
  });

  test('one store per tail, overwritten in place and grown as the session grows; the budget counts it', () => {
    const cache = new RepeatedTailCache();
    const sizes = new Set<number>();
    for (let n = 1; n <= 30; n++) {
      const text = body(turn(n));
      sameJson(parse(cache, text).value, JSON.parse(text));
      const s = cache.stats();
      if (n > 2) {
        assert.equal(s.heads, 1);
        assert.ok(s.headBytes >= Buffer.byteLength(text) - Buffer.byteLength(JSON.stringify(TAIL)), 'the store holds the head');
        sizes.add(s.headBytes);
      }
    }
    assert.ok(sizes.size < 10, `the store grows in steps, not every turn (${sizes.size} sizes over 28 turns)`);
    // two sessions alternating on one tail: each body is copied into the same store, every value still right
    for (let i = 0; i < 6; i++) {
      const text = body(turn(i % 2 === 0 ? 5 : 12), { model: i % 2 === 0 ? 'a' : 'b' });
      sameJson(parse(cache, text).value, JSON.parse(text));
    }
  });

  test('commonPrefix across block boundaries', () => {
    const a = Buffer.alloc(10_000, 'a');
    for (const at of [0, 1, 4095, 4096, 4097, 9999]) {
      const b = Buffer.from(a);
      b[at] = 0x62;
      assert.equal(commonPrefix(a, b, a.length), at);
    }
    assert.equal(commonPrefix(a, Buffer.from(a), a.length), a.length);
  });
});
