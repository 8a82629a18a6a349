import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promptCacheKey, sessionIdentity } from '../../src/translate/prompt-cache-key.ts';

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

  it('is undefined without a usable user_id', () => {
    assert.equal(promptCacheKey(undefined), undefined);
    assert.equal(promptCacheKey({}), undefined);
  });
});
