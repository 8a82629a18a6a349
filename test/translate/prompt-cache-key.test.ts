import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promptCacheKey, sessionHash, sessionIdentity } from '../../src/translate/prompt-cache-key.ts';

const UUIDISH = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const S1 = '0f0e0d0c-1111-4222-8333-444455556666';
const S2 = '9a9b9c9d-aaaa-4bbb-8ccc-ddddeeeeffff';
const modern = (session: string, device = '0'.repeat(64)) => ({ user_id: JSON.stringify({ device_id: device, account_uuid: '', session_id: session }) });
const legacy = (session: string) => ({ user_id: `user_${'ab'.repeat(32)}_account_11111111-2222-3333-4444-555555555555_session_${session}` });

describe('sessionIdentity', () => {
  const cases: Array<[string, unknown, string | undefined]> = [
    ['JSON user_id with session_id', modern(S1), `session:${S1}`],
    ['legacy user_id', legacy(S1), `session:${S1}`],
    ['other user_id: the user', { user_id: 'alice' }, 'user:alice'],
    ['JSON without session_id: the whole string', { user_id: '{"device_id":"d"}' }, 'user:{"device_id":"d"}'],
    ['broken JSON: the whole string', { user_id: '{not json' }, 'user:{not json'],
    ['empty user_id', { user_id: '' }, undefined],
    ['null user_id', { user_id: null }, undefined],
    ['no user_id', {}, undefined],
    ['no metadata', undefined, undefined],
    ['not an object', 'x', undefined],
    ['non-string user_id', { user_id: 42 }, undefined],
  ];
  for (const [name, metadata, expected] of cases) it(name, () => assert.equal(sessionIdentity(metadata), expected));
  // the same user_id again (every turn of a session) is answered from memory: the same answers
  for (const [name, metadata, expected] of cases) it(`${name}, asked again`, () => assert.equal(sessionIdentity(metadata), expected));
  it('a user_id too long to remember still gets its identity, every time', () => {
    const long = { user_id: `user_${'x'.repeat(5000)}_session_${S2}` };
    assert.equal(sessionIdentity(long), `session:${S2}`);
    assert.equal(sessionIdentity(long), `session:${S2}`);
    const other = { user_id: 'y'.repeat(5000) };
    assert.equal(sessionIdentity(other), `user:${'y'.repeat(5000)}`);
  });
});

describe('sessionHash', () => {
  it('is the hex SHA-256 of its input, first time and remembered', () => {
    for (const input of ['packybridge-affinity:session:a', 'packybridge-affinity:session:a', 'z'.repeat(4000)]) {
      assert.equal(sessionHash(input), createHash('sha256').update(input).digest('hex'));
    }
  });
});

describe('promptCacheKey', () => {
  it('is a UUID-shaped hash, not the session id', () => {
    const key = promptCacheKey(modern(S1));
    assert.match(key ?? '', UUIDISH);
    assert.notEqual(key, S1);
  });

  it('is stable for a session, whatever else changes in user_id', () => {
    assert.equal(promptCacheKey(modern(S1)), promptCacheKey(modern(S1, '1'.repeat(64))));
    assert.equal(promptCacheKey(modern(S1)), promptCacheKey(legacy(S1)), 'same session, old and new spelling');
  });

  it('differs between sessions', () => {
    assert.notEqual(promptCacheKey(modern(S1)), promptCacheKey(modern(S2)));
  });

  it('is the UUID-spelled SHA-256 of the prefixed identity, asked once or many times', () => {
    const hex = createHash('sha256').update(`packybridge-prompt-cache:session:${S2}`).digest('hex');
    const expected = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
    for (let i = 0; i < 3; i++) assert.equal(promptCacheKey(modern(S2)), expected);
  });

  it('is undefined without a usable user_id', () => {
    assert.equal(promptCacheKey(undefined), undefined);
    assert.equal(promptCacheKey({}), undefined);
  });
});
