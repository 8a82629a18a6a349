// The in-process RoutingState: cooldowns expire by themselves, session pins last their ttl, clear works.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryRoutingState } from '../../src/state/memory-routing-state.ts';

test('cooldowns: until the given time, then 0; clear ends one early', () => {
  let now = 1_000;
  const s = new MemoryRoutingState(() => now);
  assert.equal(s.cooldownUntil('p/k/m'), 0);
  s.setCooldown('p/k/m', 5_000, 'rate-limited');
  assert.equal(s.cooldownUntil('p/k/m'), 5_000);
  assert.equal(s.cooldownUntil('p/k'), 0, 'ids are independent');
  now = 5_000;
  assert.equal(s.cooldownUntil('p/k/m'), 0, 'expired');
  s.setCooldown('p/k', 9_000, 'rejected');
  s.clearCooldown('p/k');
  assert.equal(s.cooldownUntil('p/k'), 0);
});

test('session routes: pinned for the ttl, moved by a new pin, cleared', () => {
  let now = 0;
  const s = new MemoryRoutingState(() => now);
  s.setSessionRoute('sess', 'a/1/m', 1_000);
  assert.equal(s.sessionRoute('sess'), 'a/1/m');
  s.setSessionRoute('sess', 'b/2/m', 1_000);
  assert.equal(s.sessionRoute('sess'), 'b/2/m');
  now = 999;
  assert.equal(s.sessionRoute('sess'), 'b/2/m');
  now = 1_000;
  assert.equal(s.sessionRoute('sess'), undefined, 'expired');
  s.setSessionRoute('other', 'a/1/m', 1_000);
  s.clearSessionRoute('other');
  assert.equal(s.sessionRoute('other'), undefined);
});
