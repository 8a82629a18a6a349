// Adversarial: guessing the management key must not stall the gateway. bcrypt runs in a worker, a burst
// from one client is throttled before anything is hashed, every loopback address is one client for the
// lockout, and the number of verifications under way is bounded (429 busy beyond it).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'undici';
import bcrypt from 'bcryptjs';
import { packycodeYaml, startTestGateway, type TestGateway } from '../support/gateway.ts';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.ts';
import { managementGuard, MAX_FAILURES, MAX_PENDING_VERIFICATIONS } from '../../src/server/management-auth.ts';

const SECRET = 'guess-me-if-you-can-0001';
// the production cost: each wrong key costs real bcrypt time
const HASH = bcrypt.hashSync(SECRET, 10);

let mock: MockUpstream;
before(async () => { mock = await startMockUpstream(); });
after(() => mock.close());

/** One /v1/messages through the mock upstream; resolves its status when the whole reply has arrived. */
async function message(gw: TestGateway): Promise<number> {
  const res = await fetch(`${gw.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'test-client-key', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.arrayBuffer();
  return res.status;
}

function assertManagementError(body: any, error: RegExp): void {
  assert.match(body.error, error);
  assert.equal(typeof body.message, 'string');
  assert.ok(body.message.length > 10);
}

describe('many wrong keys from many addresses (allow-remote)', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway(packycodeYaml(mock.url, `remote-management:\n  secret-key: "${HASH}"\n  allow-remote: true\n`));
  });
  after(() => gw.stop());

  test('a /v1/messages request completes while the verifications are pending; the excess is refused at once', { timeout: 120_000 }, async () => {
    const guard = managementGuard(gw.runtime);
    const guesses = Array.from({ length: 40 }, (_, i) => gw.app.inject({
      method: 'GET', url: '/v0/management/status', remoteAddress: `10.9.${i}.1`, headers: { authorization: `Bearer wrong-guess-${i}` },
    }));
    // the guesses are in the guard's hands before the request is sent
    const deadline = Date.now() + 10_000;
    while (guard.pendingVerifications === 0 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    assert.ok(guard.pendingVerifications > 0, 'verifications are under way');
    assert.ok(guard.pendingVerifications <= MAX_PENDING_VERIFICATIONS);

    const status = await message(gw);
    const pendingAfter = guard.pendingVerifications;
    assert.equal(status, 200);
    assert.ok(pendingAfter > 0, 'the request completed while wrong keys were still being verified');

    const answers = await Promise.all(guesses);
    const by = (code: number) => answers.filter((a) => a.statusCode === code);
    assert.equal(by(401).length + by(429).length, 40, `statuses: ${answers.map((a) => a.statusCode).join(',')}`);
    assert.ok(by(401).length <= MAX_PENDING_VERIFICATIONS, `${by(401).length} hashed`);
    for (const a of by(429)) {
      assertManagementError(a.json(), /^busy$/);
      assert.ok(Number(a.headers['retry-after']) >= 1);
    }
    assert.equal(guard.pendingVerifications, 0);
    // the right key still works
    const ok = await gw.app.inject({ method: 'GET', url: '/v0/management/status', remoteAddress: '10.8.0.1', headers: { authorization: `Bearer ${SECRET}` } });
    assert.equal(ok.statusCode, 200);
  });
});

describe('wrong keys from rotating loopback addresses', () => {
  let gw: TestGateway;
  const agents: Agent[] = [];
  before(async () => {
    gw = await startTestGateway(packycodeYaml(mock.url, `remote-management:\n  secret-key: "${HASH}"\n`));
  });
  after(async () => {
    await Promise.all(agents.map((a) => a.close()));
    await gw.stop();
  });

  /** A management request from 127.0.0.n (the gateway listens on 127.0.0.1; all of 127/8 reaches it). */
  async function from(n: number, key: string) {
    const agent = new Agent({ connect: { localAddress: `127.0.0.${n}` } });
    agents.push(agent);
    const r = await request(`${gw.url}/v0/management/status`, { dispatcher: agent, headers: { authorization: `Bearer ${key}` } });
    return { status: r.statusCode, headers: r.headers, body: await r.body.json() as any };
  }

  test(`40 concurrent guesses: at most ${MAX_FAILURES} are hashed, then all of loopback is locked out`, { timeout: 120_000 }, async () => {
    const guard = managementGuard(gw.runtime);
    let maxPending = 0;
    const probe = setInterval(() => { maxPending = Math.max(maxPending, guard.pendingVerifications); }, 1);
    const sending = Array.from({ length: 40 }, (_, i) => from(2 + i, `wrong-guess-${i}`));
    const status = await message(gw);
    const answers = await Promise.all(sending);
    clearInterval(probe);
    assert.equal(status, 200, 'the gateway served meanwhile');
    assert.ok(maxPending <= MAX_FAILURES, `${maxPending} verifications under way at once`);
    const wrong = answers.filter((a) => a.status === 401);
    const refused = answers.filter((a) => a.status === 429);
    assert.ok(wrong.length <= MAX_FAILURES, `${wrong.length} keys were hashed`);
    assert.equal(wrong.length + refused.length, 40);
    for (const a of refused) {
      assertManagementError(a.body, /^(too_many_attempts|locked_out)$/);
      assert.ok(Number(a.headers['retry-after']) >= 1);
    }
    // more guesses from yet other loopback addresses: locked out without hashing, even with the right key
    const later = await from(99, 'another-guess');
    assert.equal(later.status, 429);
    assertManagementError(later.body, /^locked_out$/);
    assert.match(later.body.message, /loopback/);
    assert.equal((await from(100, SECRET)).status, 429);
    const audit = gw.runtime.audit.recent(200);
    assert.equal(audit.filter((e) => e.kind === 'management-locked').length, 1);
    assert.ok(audit.filter((e) => e.kind === 'management-denied' && e.reason === 'wrong key').length <= MAX_FAILURES);
  });
});
