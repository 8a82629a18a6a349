// Through HTTP: Claude Code 2.1.332's captured requests, turn after turn, reach the upstream exactly as they do
// when nothing is shared. The same request pretty-printed never matches a cached tail (its member boundaries
// carry whitespace), so it is the reference; the compact one shares its tail from the second turn on.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestGateway, packycodeYaml, type TestGateway } from '../support/gateway.ts';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.ts';
import { sharedFixture } from '../support/shared-fixtures.ts';
import { closeUpstreamPools } from '../../src/upstream/pool.ts';

const dirs = [fileURLToPath(new URL('../fixtures/captured/claude-code-2.1.332/', import.meta.url)), sharedFixture('captured/claude-code-2.1.332')]
  .filter((d): d is string => d !== null && existsSync(d));
const captured = dirs.flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => ({ name: f, c: JSON.parse(readFileSync(join(dir, f), 'utf8')) })))
  .filter(({ c }) => c.method === 'POST' && /^\/v1\/messages(\?|$)/.test(c.url) && Array.isArray(c.body?.messages) && JSON.stringify(c.body).length > 4096);

let packy: MockUpstream;
let gw: TestGateway;
before(async () => {
  packy = await startMockUpstream();
  gw = await startTestGateway(packycodeYaml(packy.url));
});
after(async () => {
  await gw.stop();
  await packy.close();
  await closeUpstreamPools();
});

async function upstreamBodyFor(text: string): Promise<unknown> {
  packy.reset();
  const res = await fetch(`${gw.url}/v1/messages?beta=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'test-client-key', 'anthropic-version': '2023-06-01' },
    body: text,
  });
  const reply = await res.text();
  assert.equal(res.status, 200, reply.slice(0, 300));
  assert.equal(packy.requests.length, 1);
  return packy.requests[0].body;
}

async function cacheFigure(figure: string, cache = 'repeated_tail'): Promise<number> {
  const metrics = await (await fetch(`${gw.url}/metrics`)).text();
  const m = new RegExp(`^packybridge_request_cache\\{cache="${cache}",figure="${figure}"\\} (\\d+)`, 'm').exec(metrics);
  return m ? Number(m[1]) : NaN;
}

test('captured Claude Code requests, four turns each: the upstream body is the same as without a shared tail', async () => {
  assert.ok(captured.length >= 5, `${captured.length} captured requests`);
  const hitsBefore = await cacheFigure('hits');
  const itemHitsBefore = await cacheFigure('hits', 'message_items');
  for (const { name, c } of captured) {
    // a session growing a round trip a turn: from the third turn on its earlier messages are shared, and from
    // the fourth their translation too (message-items-cache.ts)
    const grown = (turn: number) => Array.from({ length: turn }, (_, i) => [{ role: 'assistant', content: `turn ${i + 1}` }, { role: 'user', content: `go on ${i + 1}` }]).flat();
    for (let turn = 0; turn < 4; turn++) {
      const messages = [...c.body.messages, ...grown(turn)];
      const body = { ...c.body, messages };
      const shared = await upstreamBodyFor(JSON.stringify(body));
      const whole = await upstreamBodyFor(JSON.stringify(body, null, 1));
      assert.deepEqual(shared, whole, `${name}, turn ${turn}`);
      assert.equal(JSON.stringify(shared), JSON.stringify(whole), `${name}, turn ${turn}: key order`);
    }
  }
  // each request's tail is learned on its second turn and shared on its second and third
  assert.ok(await cacheFigure('hits') - hitsBefore >= captured.length * 2, `hits ${await cacheFigure('hits')}`);
  assert.ok(await cacheFigure('entries') >= 1);
  assert.ok(await cacheFigure('hits', 'message_items') - itemHitsBefore >= captured.length, 'shared messages were translated once');
});
