// Usage accounting end to end: a gateway process with named keys in front of the mock upstream; requests by two
// clients (one refused by its model globs); /v0/management/usage (JSON, filters, CSV) and the Prometheus
// figures by client; then the process is stopped and started again on the same SQLite file, and the usage of
// both runs is there. Nothing of a prompt, a reply or a key is in the database.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.ts';
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.ts';
import { text } from '../support/response-scenarios.ts';
import { rawRequest, UPSTREAM_KEY } from './sdk-harness.ts';

const SECRET = 'mgmt-secret-usage-test';
const MGMT = { authorization: `Bearer ${SECRET}` };
const ALICE = 'pb-usage-alice-000000000000000000001';
const BOB = 'pb-usage-bob-00000000000000000000002';
const PROMPT = 'a private prompt that must never be stored 7f3a';
const REPLY = 'a private reply that must never be stored 9c1e';

let mock: MockUpstream;
let dir: string;
let configPath: string;
let gw: GatewayProcess | undefined;

before(async () => {
  mock = await startMockUpstream({
    apiKey: UPSTREAM_KEY,
    handler: () => text(REPLY, { usage: { input_tokens: 1000, input_tokens_details: { cached_tokens: 400 }, output_tokens: 100 } }),
  });
  dir = mkdtempSync(join(tmpdir(), 'pb-usage-e2e-'));
  configPath = join(dir, 'config.yaml');
  writeFileSync(configPath, `api-keys:
  - { name: alice, key: ${ALICE} }
  - { name: bob, key: ${BOB}, models: ["gpt-5*"] }
remote-management:
  secret-key: "${bcrypt.hashSync(SECRET, 4)}"
data-dir: ./data
packycode:
  enabled: true
  base-url: ${mock.url}
  credentials:
    openai-api-key: ${UPSTREAM_KEY}
  defaults:
    model: gpt-5-codex
`);
});
after(async () => {
  await gw?.stop();
  await mock.close();
  rmSync(dir, { recursive: true, force: true });
});

const ask = (key: string, model: string) =>
  rawRequest(`${gw!.url}/v1/messages`, 'POST', { model, max_tokens: 100, messages: [{ role: 'user', content: PROMPT }] }, { 'x-api-key': key });
const usage = (query: string) => rawRequest(`${gw!.url}/v0/management/usage${query}`, 'GET', undefined, MGMT);
const today = () => new Date().toISOString().slice(0, 10);

test('counted per client and model, exported as CSV, in metrics, and kept across a restart', async () => {
  gw = await startGatewayProcess(configPath);
  assert.match(gw.output(), /usage accounting: .*data\/packybridge-usage\.sqlite/);
  for (let i = 0; i < 2; i++) assert.equal((await ask(ALICE, 'claude-sonnet-4-5')).status, 200);
  assert.equal((await ask(BOB, 'gpt-5-codex-high')).status, 200);
  assert.equal((await ask(BOB, 'claude-opus-4-1')).status, 403);

  const r = await usage('?group-by=client,model');
  assert.equal(r.status, 200, r.text);
  const rows = r.json.rows.map((x: any) => [x.client, x.model, x.requests, x['input-tokens'], x['cached-input-tokens'], x['output-tokens'], x.errors, x['cost-usd']]);
  assert.deepEqual(rows, [
    ['alice', 'claude-sonnet-4-5', 2, 1200, 800, 200, 0, 0.0036],
    ['bob', 'claude-opus-4-1', 1, 0, 0, 0, 1, 0],
    ['bob', 'gpt-5-codex-high', 1, 600, 400, 100, 0, 0.0018],
  ]);
  assert.deepEqual(r.json.rows[1]['errors-by-kind'], { 'model-not-allowed': 1 });
  assert.equal(r.json.totals.requests, 4);

  const used = await usage('?group-by=model-used,provider&client=alice');
  assert.deepEqual(used.json.rows.map((x: any) => [x['model-used'], x.provider, x.requests]), [['gpt-5-codex', 'packycode', 2]]);

  const csv = await usage(`?from=${today()}&to=${today()}&group-by=day,client&format=csv`);
  assert.match(csv.headers.get('content-type') ?? '', /text\/csv/);
  assert.equal(csv.text, [
    'day,client,requests,input_tokens,cached_input_tokens,output_tokens,web_searches,errors,cost_usd,errors_by_kind',
    `${today()},alice,2,1200,800,200,0,0,0.003600,`,
    `${today()},bob,2,600,400,100,0,1,0.001800,model-not-allowed=1`,
    '',
  ].join('\r\n'));

  const bad = await usage('?group-by=colour');
  assert.equal(bad.status, 400);
  assert.match(bad.json.fix, /day, client, model, model-used, provider/);

  const metrics = await rawRequest(`${gw.url}/metrics`, 'GET');
  assert.match(metrics.text, /packybridge_client_requests_total\{client="alice",outcome="ok"\} 2/);
  assert.match(metrics.text, /packybridge_client_tokens_total\{client="bob",kind="cached_input"\} 400/);
  assert.match(metrics.text, /packybridge_client_cost_usd_total\{client="alice"\} 0\.0036/);
  assert.match(metrics.text, /packybridge_client_errors_total\{client="bob",kind="model-not-allowed"\} 1/);

  const recent = await rawRequest(`${gw.url}/v0/management/requests?limit=2`, 'GET', undefined, MGMT);
  assert.deepEqual(recent.json.requests.map((x: any) => [x.client, x.status]), [['bob', 403], ['bob', 200]]);

  // restart on the same data-dir: the first run's rows are there, the second run's add to them
  const first = await gw.stop();
  assert.equal(first.code, 0, first.output);
  gw = await startGatewayProcess(configPath);
  assert.equal((await ask(ALICE, 'claude-sonnet-4-5')).status, 200);
  const after = await usage('?group-by=client');
  assert.deepEqual(after.json.rows.map((x: any) => [x.client, x.requests, x['output-tokens']]), [['alice', 3, 300], ['bob', 2, 100]]);
  await gw.stop();
  gw = undefined;

  // metadata only: no prompt, reply or key anywhere in the data folder
  for (const name of readdirSync(join(dir, 'data'))) {
    const bytes = readFileSync(join(dir, 'data', name)).toString('latin1');
    for (const secret of [PROMPT, REPLY, ALICE, BOB, UPSTREAM_KEY]) assert.ok(!bytes.includes(secret), `${name} holds no ${secret.slice(0, 12)}…`);
  }
});
