// The Redis-backed shared state against a real redis-server: two "replicas" (separate connections) share
// cooldowns and session affinity through their local mirrors; one limit is enforced across them; when Redis
// goes away each degrades to local state with a warning, and when it comes back what was counted, written and
// recorded meanwhile reaches Redis (nothing is lost).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { Writable } from 'node:stream';
import { startRedis, type RedisServer } from '../support/redis-server.ts';
import { connectRedis, type SharedRedis } from '../../src/state/redis-connection.ts';
import { RedisRoutingState } from '../../src/state/redis-routing-state.ts';
import { RedisLimiter } from '../../src/state/redis-limiter.ts';
import { RedisUsageStore } from '../../src/state/redis-usage-store.ts';
import { UsageRecorder } from '../../src/accounting/usage-recorder.ts';

let redis: RedisServer;
const logs: string[] = [];
const logger = pino({ level: 'info' }, new Writable({ write(c, _e, cb) { logs.push(String(c)); cb(); } }));
const opened: SharedRedis[] = [];

async function replica(): Promise<SharedRedis> {
  const r = connectRedis(redis.url, logger);
  opened.push(r);
  await until(() => r.up, 'connected');
  return r;
}

/** Waits (bounded) for a condition that another connection makes true. */
async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

before(async () => { redis = await startRedis(); });
after(async () => {
  for (const r of opened) await r.close();
  await redis.stop();
});

test('cooldowns and session affinity written by one replica are read by the other', async () => {
  const a = new RedisRoutingState(await replica());
  const b = new RedisRoutingState(await replica());
  await new Promise((r) => setTimeout(r, 100)); // subscriptions in place
  const until1 = Date.now() + 60_000;
  a.setCooldown('packycode/k1/gpt-5', until1, 'http-429');
  assert.equal(a.cooldownUntil('packycode/k1/gpt-5'), until1, 'the writer reads its own write at once');
  await until(() => b.cooldownUntil('packycode/k1/gpt-5') === until1, 'cooldown on b');
  b.setSessionRoute('session-1', 'packycode/k2', 60_000);
  await until(() => a.sessionRoute('session-1') === 'packycode/k2', 'session on a');
  a.clearCooldown('packycode/k1/gpt-5');
  await until(() => b.cooldownUntil('packycode/k1/gpt-5') === 0, 'cleared on b');
  // a replica started later loads what is already there
  const c = new RedisRoutingState(await replica());
  await until(() => c.sessionRoute('session-1') === 'packycode/k2', 'session loaded by a new replica');
});

test('one limit across replicas: the last slot is taken once', async () => {
  const a = new RedisLimiter(await replica());
  const b = new RedisLimiter(await replica());
  const limits = { requestsPerMinute: 5 };
  const now = Date.now();
  const decisions = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).admit('team', limits, now)));
  assert.equal(decisions.filter((d) => d.ok).length, 5);
  assert.deepEqual(await a.counts('team', now), { requests: 5, tokensMinute: 0, tokensDay: 0 });
  b.addTokens('team', 700, now);
  await until(async () => (await a.counts('team', now)).tokensDay === 700, 'tokens seen by a');
  const refused = await a.admit('team', { tokensPerDay: 700 }, now);
  assert.equal(refused.ok ? 'ok' : refused.limit, 'tokens-per-day');
});

test('Redis away: local state with a warning; back: nothing lost', async () => {
  const ra = await replica();
  const rb = await replica();
  const limiter = new RedisLimiter(ra);
  const routing = new RedisRoutingState(ra);
  const other = new RedisRoutingState(rb);
  const recorder = new UsageRecorder(new RedisUsageStore(ra), { flushMs: 100, prices: () => ({}) });
  const at = Date.now();
  const record = (requestId: string) => recorder.record({
    at, requestId, route: 'messages', client: 'erin', modelAsked: 'gpt-5', modelUsed: 'gpt-5', provider: 'packycode', stream: true,
    status: 200, durationMs: 5, inputTokens: 10, cachedInputTokens: 0, outputTokens: 5, webSearches: 0,
  });
  record('r1');
  await recorder.flush();

  await redis.stop();
  await until(() => !ra.up, 'a notices Redis is gone');
  assert.ok(logs.some((l) => l.includes('Redis is unreachable')), 'a warning says so');
  // everything goes on locally
  assert.equal((await limiter.admit('erin', { requestsPerMinute: 10 }, at)).ok, true);
  assert.equal((await limiter.admit('erin', { requestsPerMinute: 10 }, at)).ok, true);
  limiter.addTokens('erin', 30, at);
  routing.setCooldown('packycode/k9/gpt-5', Date.now() + 120_000, 'http-529');
  assert.ok(routing.cooldownUntil('packycode/k9/gpt-5') > Date.now());
  record('r2');
  await recorder.flush(); // fails, rows kept

  await redis.restart(); // an empty Redis
  await until(() => ra.up && rb.up, 'both reconnect');
  await until(async () => (await limiter.counts('erin', at)).requests === 2, 'requests counted during the outage are in Redis');
  assert.equal((await limiter.counts('erin', at)).tokensMinute, 30);
  await until(() => other.cooldownUntil('packycode/k9/gpt-5') > Date.now(), 'the cooldown set during the outage reaches the other replica');
  await until(async () => {
    await recorder.flush();
    const rows = await recorder.query({ from: '2000-01-01', to: '2999-12-31', groupBy: ['client'] });
    return rows[0]?.requests === 1 && rows[0].outputTokens === 5;
  }, 'the usage row recorded during the outage is written (the one before lived in the Redis that went away)');
  assert.ok(logs.some((l) => l.includes('Redis is back')));
  await recorder.close();
});
