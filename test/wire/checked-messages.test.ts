// Validation checks only the messages a request does not share with an earlier one (frozen messages that passed
// are marked). Whatever is marked, every request gets exactly the answer a full check gives.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { validateCountTokensRequest, validateMessagesRequest } from '../../src/wire/anthropic-validate.ts';
import { isCheckedMessage } from '../../src/wire/checked-messages.ts';
import { deepFreeze } from '../../src/wire/deep-freeze.ts';
import { MAX_JSON_NESTING } from '../../src/wire/json-depth.ts';

const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const frozen = <T>(v: T): T => { const c = copy(v); deepFreeze(c); return c; };

const earlier = [
  { role: 'user', content: [{ type: 'text', text: 'list the files' }] },
  { role: 'assistant', content: [{ type: 'text', text: 'Sure.' }, { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'ls' } }] },
  { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'a b c' }] },
  { role: 'assistant', content: 'Three files.' },
];

/** Earlier messages shared (frozen) and marked by a first request that passed. */
function sharedEarlier(): unknown[] {
  const messages = earlier.map(frozen);
  const first = validateMessagesRequest({ model: 'm', max_tokens: 10, messages: [...messages, { role: 'user', content: 'next' }] });
  assert.ok(first.ok);
  assert.ok(messages.every(isCheckedMessage), 'the frozen messages of a request that passed are marked');
  return messages;
}

const deep = (levels: number): unknown => {
  let v: unknown = 'x';
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
};

const newMessages: Array<[string, unknown]> = [
  ['a fine user message', { role: 'user', content: 'and now?' }],
  ['an unknown block type', { role: 'user', content: [{ type: 'video', url: 'x' }] }],
  ['text that is not a string', { role: 'user', content: [{ type: 'text', text: 42 }] }],
  ['an unknown role', { role: 'robot', content: 'hi' }],
  ['content that is a number', { role: 'user', content: 7 }],
  ['a message that is not an object', 'hello'],
  ['a tool_result answering nothing', { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_9', content: 'x' }] }],
  ['nested just deep enough', { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_9', content: 'x' }], extra: deep(MAX_JSON_NESTING - 4) }],
  ['nested one level too deep', { role: 'user', content: 'x', extra: deep(MAX_JSON_NESTING - 2) }],
];

const otherFields: Array<[string, Record<string, unknown>]> = [
  ['max_tokens 0', { max_tokens: 0 }],
  ['an empty model', { model: '' }],
  ['a tool without input_schema', { tools: [{ name: 'T' }] }],
  ['a bad system block', { system: [{ type: 'text', text: 1 }] }],
  ['tool_choice of an unknown type', { tool_choice: { type: 'maybe' } }],
  ['metadata nested too deep', { metadata: { x: deep(MAX_JSON_NESTING) } }],
];

describe('validation of shared messages', () => {
  for (const [name, m] of newMessages) {
    it(`earlier messages marked, then ${name}: the answer of a full check`, () => {
      const body = { model: 'm', max_tokens: 10, messages: [...sharedEarlier(), m] };
      const whole = validateMessagesRequest(copy(body));
      const got = validateMessagesRequest(body);
      assert.deepEqual(got.ok ? { ok: true } : got, whole.ok ? { ok: true } : whole);
      const counted = validateCountTokensRequest({ model: 'm', messages: body.messages });
      const countedWhole = validateCountTokensRequest(copy({ model: 'm', messages: body.messages }));
      assert.deepEqual(counted.ok ? { ok: true } : counted, countedWhole.ok ? { ok: true } : countedWhole, 'count_tokens too');
    });
  }

  for (const [name, fields] of otherFields) {
    it(`earlier messages marked, and ${name}: the answer of a full check`, () => {
      const body = { model: 'm', max_tokens: 10, messages: [...sharedEarlier(), { role: 'user', content: 'go on' }], ...fields };
      const whole = validateMessagesRequest(copy(body));
      assert.equal(whole.ok, false);
      assert.deepEqual(validateMessagesRequest(body), whole);
    });
  }

  it('a frozen message that failed is never marked, and fails again', () => {
    const bad = frozen({ role: 'user', content: [{ type: 'text', text: false }] });
    const body = { model: 'm', max_tokens: 10, messages: [bad] };
    const first = validateMessagesRequest(body);
    assert.equal(first.ok, false);
    assert.equal(isCheckedMessage(bad), false);
    const again = validateMessagesRequest({ model: 'm', max_tokens: 10, messages: [...sharedEarlier(), bad] });
    assert.equal(again.ok, false);
    assert.match((again as { message: string }).message, /^messages\.4\.content\.0\.text:/);
  });

  it('messages that may still change (not frozen) are never marked', () => {
    const messages = copy(earlier);
    assert.ok(validateMessagesRequest({ model: 'm', max_tokens: 10, messages: [...messages, { role: 'user', content: 'x' }] }).ok);
    assert.equal(messages.some(isCheckedMessage), false);
  });

  it('the tool pairing still spans every message, shared or new', () => {
    const messages = sharedEarlier();
    const unanswered = frozen({ role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_2', name: 'Bash', input: {} }] });
    assert.ok(validateMessagesRequest({ model: 'm', max_tokens: 10, messages: [...messages, { role: 'user', content: 'x' }, unanswered, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_2' }] }] }).ok);
    assert.ok(isCheckedMessage(unanswered));
    const r = validateMessagesRequest({ model: 'm', max_tokens: 10, messages: [...messages, { role: 'user', content: 'x' }, unanswered, { role: 'user', content: 'no answer' }] });
    assert.equal(r.ok, false);
    assert.match((r as { message: string }).message, /^messages\.5: tool_use blocks without a tool_result/);
  });
});
