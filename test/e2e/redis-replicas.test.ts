// Two gateway processes on one real Redis behave as one gateway: a client key's limit is enforced across both,
// either replica answers usage for the requests both served, a key cooling down on one rests on the other, and
// a session stays on one upstream key whichever replica serves its turns.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.ts';
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.ts';
import { startRedis, type RedisServer } from '../support/redis-server.ts';
import { rawRequest, userRequest } from './sdk-harness.ts';
import { httpError, text } from '../support/response-scenarios.ts';

const SECRET = 'mgmt-secret-replicas';
const KEY = 'pb-replica-team-key-0000000000000001';
const FREE = 'pb-replica-free-key-0000000000000002';
const K1 = 'sk-replica-upstream-key-1111';
const K2 = 'sk-replica-upstream-key-2222';
let limitK1 = false;

let redis: RedisServer;
let mock: MockUpstream;
let dir: string;
const replicas: GatewayProcess[] = [];

before(async () => {
  redis = await startRedis();
  // two upstream keys; K1 answers 429 (retry-after 60) while limitK1 is set
  mock = await startMockUpstream({
    handler: (req) => (limitK1 && req.headers.authorization === `Bearer ${K1}` ? httpError(429, undefined, { 'retry-after': '60' }) : text('hello from the mock')),
  });
  dir = mkdtempSync(join(tmpdir(), 'pb-replicas-'));
  const config = join(dir, 'config.yaml');
  writeFileSync(config, `api-keys:
  - { name: team, key: ${KEY}, limits: { requests-per-minute: 4 } }
  - { name: free, key: ${FREE} }
remote-management:
  secret-key: "${bcrypt.hashSync(SECRET, 4)}"
state:
  backend: redis
  url: ${redis.url}
packycode:
  enabled: true
  base-url: ${mock.url}
  credentials:
    openai-api-keys: [${K1}, ${K2}]
`);
  replicas.push(await startGatewayProcess(config), await startGatewayProcess(config));
});
after(async () => {
  for (const r of replicas) await r.stop();
  await mock.close();
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('one limit across two replicas, and usage of both from either', async () => {
  const [a, b] = replicas;
  assert.match(a.output(), /shared state \(limits, cooldowns, session affinity, usage\): redis:\/\/127\.0\.0\.1:\d+/);
  const ask = (gw: GatewayProcess) => rawRequest(`${gw.url}/v1/messages`, 'POST', userRequest('hi'), { 'x-api-key': KEY });
  // All six in one UTC minute (the limit's fixed window). A round that began late in a minute and ran into the
  // next would leave requests counted in that next minute, so a retry there would start over the limit: the
  // round waits for a fresh minute instead when less than 15 s of this one are left.
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 15_000) await new Promise((r) => setTimeout(r, left + 50));
  const minute = Math.floor(Date.now() / 60_000);
  const statuses: number[] = [];
  for (const gw of [a, b, a, b, a, b]) statuses.push((await ask(gw)).status);
  assert.equal(Math.floor(Date.now() / 60_000), minute, 'the six requests took over 15 s: the round left its minute');
  assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429]);
  await new Promise((r) => setTimeout(r, 1_500)); // each replica writes its rows within a second
  const usage = await rawRequest(`${b.url}/v0/management/usage?group-by=client`, 'GET', undefined, { authorization: `Bearer ${SECRET}` });
  assert.equal(usage.status, 200, usage.text);
  const row = usage.json.rows[0];
  assert.equal(row.client, 'team');
  assert.ok(row.requests >= 6, `both replicas' requests (${row.requests})`);
  assert.ok(row['errors-by-kind']['client-limit:requests-per-minute'] >= 2);
});

const usedKeys = () => mock.requests.map((r) => String(r.headers.authorization).replace('Bearer ', ''));
const turn = (gw: GatewayProcess, session?: string) =>
  rawRequest(`${gw.url}/v1/messages`, 'POST', userRequest('hi'), { 'x-api-key': FREE, ...(session ? { 'x-claude-code-session-id': session } : {}) });

test('a session keeps its upstream key across replicas', async () => {
  const [a, b] = replicas;
  mock.reset();
  assert.equal((await turn(a, 'session-x')).status, 200);
  const first = usedKeys()[0];
  await new Promise((r) => setTimeout(r, 300)); // the affinity reaches the other replica's mirror
  for (const gw of [b, a, b]) assert.equal((await turn(gw, 'session-x')).status, 200);
  assert.deepEqual(usedKeys(), [first, first, first, first]);
});

test('a key cooling down on one replica is not tried by the other', async () => {
  const [a, b] = replicas;
  mock.reset();
  limitK1 = true;
  // round-robin: within two requests replica A tries K1, gets 429 and fails over to K2
  for (let i = 0; i < 2 && !usedKeys().includes(K1); i++) assert.equal((await turn(a)).status, 200);
  assert.ok(usedKeys().includes(K1), 'K1 was tried once');
  await new Promise((r) => setTimeout(r, 300));
  mock.reset();
  for (let i = 0; i < 3; i++) assert.equal((await turn(b)).status, 200);
  assert.deepEqual(usedKeys(), [K2, K2, K2], 'replica B never tries the resting key');
});
