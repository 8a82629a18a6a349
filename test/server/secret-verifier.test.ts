// bcrypt off the main thread: verifications run in a worker, bounded; the event loop stays free meanwhile.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import bcrypt from 'bcryptjs';
import { SecretVerifier } from '../../src/server/secret-verifier.ts';
import { lockoutClient } from '../../src/server/management-auth.ts';

const HASH = bcrypt.hashSync('the-right-key', 10);

describe('SecretVerifier', () => {
  const v = new SecretVerifier(40);
  after(() => v.close());

  test('right and wrong keys; a malformed hash matches nothing', async () => {
    assert.equal(await v.tryVerify('the-right-key', HASH), true);
    assert.equal(await v.tryVerify('a-wrong-key', HASH), false);
    assert.equal(await v.tryVerify('x', 'not-a-hash'), false);
  });

  test('40 pending verifications leave the event loop free; beyond the limit nothing is started', { timeout: 120_000 }, async () => {
    let done = 0;
    const all = Array.from({ length: 40 }, (_, i) => v.tryVerify(`wrong-${i}`, HASH)!.then((ok) => { done++; return ok; }));
    assert.equal(v.pending, 40);
    assert.equal(v.tryVerify('one-more', HASH), null, 'the 41st is refused');
    // timers keep firing while the worker hashes: 20 turns of 5 ms each, long before 40 bcrypt rounds end
    let turns = 0;
    while (turns < 20) { await new Promise((r) => setTimeout(r, 5)); turns++; }
    assert.ok(done < 40, `the loop turned ${turns} times while ${40 - done} verifications were still pending`);
    assert.deepEqual(new Set(await Promise.all(all)), new Set([false]));
    assert.equal(v.pending, 0);
  });
});

describe('lockoutClient: all of loopback is one client', () => {
  const cases: Array<[string, string]> = [
    ['127.0.0.1', 'loopback'], ['127.0.0.2', 'loopback'], ['127.255.1.9', 'loopback'], ['::1', 'loopback'],
    ['::ffff:127.0.0.5', 'loopback'], ['10.1.2.3', '10.1.2.3'], ['::ffff:10.1.2.3', '10.1.2.3'], ['2001:db8::1', '2001:db8::1'],
  ];
  for (const [ip, want] of cases) test(ip, () => assert.equal(lockoutClient(ip), want));
});
