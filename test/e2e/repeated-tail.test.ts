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

/** POSTs `text` in `pieces` parts with a pause between them, so that other requests' bodies arrive in between. */
async function postInPieces(text: string, pieces: number): Promise<number> {
  const bytes = Buffer.from(text);
  const step = Math.ceil(bytes.length / pieces);
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      for (let at = 0; at < bytes.length; at += step) {
        controller.enqueue(bytes.subarray(at, at + step));
        await new Promise((r) => setTimeout(r, 5));
      }
      controller.close();
    },
  });
  const res = await fetch(`${gw.url}/v1/messages?beta=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'test-client-key', 'anthropic-version': '2023-06-01', 'content-length': String(bytes.length) },
    body,
    duplex: 'half',
  } as RequestInit);
  await res.text();
  return res.status;
}

// Every body is read into the same memory (src/server/body-bytes.ts) and the sessions share tails and heads:
// sessions sent at once, each body uploaded in pieces that interleave with the others', must each reach the
// upstream exactly as it does alone and unshared (the pretty-printed request, sent by itself afterwards).
test('sessions at once, their bodies uploaded in interleaved pieces: each reaches the upstream as it does alone', async () => {
  const sessions = captured.slice(0, 6);
  assert.ok(sessions.length >= 5);
  for (let turn = 0; turn < 3; turn++) {
    // on the last turn the first message changes too (an edit): nothing of the previous head may be reused
    const first = (c: { body: { messages: unknown[] } }) => (turn === 2 ? [{ role: 'user', content: 'the first message, edited' }, ...c.body.messages.slice(1)] : c.body.messages);
    const texts = sessions.map(({ c }, i) => JSON.stringify({
      ...c.body,
      messages: [...first(c), ...Array.from({ length: turn }, (_, k) => [{ role: 'assistant', content: `turn ${k + 1}` }, { role: 'user', content: `go on ${k + 1}` }]).flat(), { role: 'user', content: `marker ${i}-${turn}` }],
    }));
    packy.reset();
    const statuses = await Promise.all(texts.map((t, i) => postInPieces(t, 3 + i)));
    assert.deepEqual(statuses, texts.map(() => 200));
    assert.equal(packy.requests.length, texts.length);
    const received = packy.requests.map((r) => r.body);
    for (let i = 0; i < texts.length; i++) {
      const mine = received.filter((b) => JSON.stringify(b).includes(`marker ${i}-${turn}`));
      assert.equal(mine.length, 1, `session ${i}, turn ${turn}: one upstream request carries its marker`);
      const alone = await upstreamBodyFor(JSON.stringify(JSON.parse(texts[i]), null, 1));
      assert.equal(JSON.stringify(mine[0]), JSON.stringify(alone), `session ${i}, turn ${turn}`);
    }
  }
});
