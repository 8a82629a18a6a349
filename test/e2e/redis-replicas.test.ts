// Two gateway processes on one real Redis behave as one gateway: a client key's limit is enforced across both,
// and either replica answers usage for the requests both served.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.ts';
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.ts';
import { startRedis, type RedisServer } from '../support/redis-server.ts';
import { rawRequest, userRequest, UPSTREAM_KEY } from './sdk-harness.ts';

const SECRET = 'mgmt-secret-replicas';
const KEY = 'pb-replica-team-key-0000000000000001';

let redis: RedisServer;
let mock: MockUpstream;
let dir: string;
const replicas: GatewayProcess[] = [];

before(async () => {
  redis = await startRedis();
  mock = await startMockUpstream({ apiKey: UPSTREAM_KEY });
  dir = mkdtempSync(join(tmpdir(), 'pb-replicas-'));
  const config = join(dir, 'config.yaml');
  writeFileSync(config, `api-keys:
  - { name: team, key: ${KEY}, limits: { requests-per-minute: 4 } }
remote-management:
  secret-key: "${bcrypt.hashSync(SECRET, 4)}"
state:
  backend: redis
  url: ${redis.url}
packycode:
  enabled: true
  base-url: ${mock.url}
  credentials:
    openai-api-key: ${UPSTREAM_KEY}
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
  const statuses: number[] = [];
  // in one minute window (retry the round if the minute turns in the middle of it)
  for (let round = 0; round < 3; round++) {
    const minute = Math.floor(Date.now() / 60_000);
    statuses.length = 0;
    for (const gw of [a, b, a, b, a, b]) statuses.push((await ask(gw)).status);
    if (Math.floor(Date.now() / 60_000) === minute) break;
    await new Promise((r) => setTimeout(r, 61_000 - (Date.now() % 60_000)));
  }
  assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429]);
  await new Promise((r) => setTimeout(r, 1_500)); // each replica writes its rows within a second
  const usage = await rawRequest(`${b.url}/v0/management/usage?group-by=client`, 'GET', undefined, { authorization: `Bearer ${SECRET}` });
  assert.equal(usage.status, 200, usage.text);
  const row = usage.json.rows[0];
  assert.equal(row.client, 'team');
  assert.ok(row.requests >= 6, `both replicas' requests (${row.requests})`);
  assert.ok(row['errors-by-kind']['client-limit:requests-per-minute'] >= 2);
});
