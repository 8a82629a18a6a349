// Many upstreams and keys behind one relay, end to end: Packycode plus codex-api-key / claude-api-key entries,
// failover, cooldowns, the key strategy, session affinity, refused reasoning, proxies and the status view.
// Real gateways on 127.0.0.1 in front of mock Responses and Anthropic upstreams.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestGateway, packycodeYaml, type TestGateway } from '../support/gateway.ts';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.ts';
import { startMockAnthropic, type MockAnthropic } from '../support/mock-anthropic.ts';
import { createDefaultHandler } from '../support/mock-default-handler.ts';
import { httpError, text } from '../support/response-scenarios.ts';
import { startTestProxy, type TestProxy } from '../support/http-proxy.ts';
import { closeUpstreamPools } from '../../src/upstream/pool.ts';
import { relayTuning } from '../../src/relay/relay.ts';
import { parseResetDuration } from '../../src/upstream/http.ts';

const KEY_A = 'sk-packy-key-aaaa1111';
const KEY_B = 'sk-relay-key-bbbb2222';
const KEY_B2 = 'sk-relay-key-bbbb3333';
const CLAUDE_KEY = 'sk-ant-claude-cccc4444';
const SECRET = 'test-management-secret';

let packy: MockUpstream;
let relay: MockUpstream;
let claude: MockAnthropic;
let proxy: TestProxy;
const savedRetry = relayTuning.retry;

before(async () => {
  relayTuning.retry = { delaysMs: [], maxRetryAfterMs: 0 }; // a failure moves on (or answers) at once
  packy = await startMockUpstream({ apiKey: KEY_A });
  relay = await startMockUpstream(); // any key: the test reads which one came
  claude = await startMockAnthropic({ apiKey: CLAUDE_KEY });
  proxy = await startTestProxy();
});
after(async () => {
  relayTuning.retry = savedRetry;
  await packy.close();
  await relay.close();
  await claude.close();
  await proxy.close();
  await closeUpstreamPools();
});
beforeEach(() => {
  packy.reset();
  relay.reset();
  claude.reset();
  proxy.seen.length = 0;
  relay.setHandler(createDefaultHandler());
});

const codexEntry = (url: string, key: string, extra = '') => `  - { api-key: ${key}, base-url: "${url}"${extra} }`;

function post(g: TestGateway, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${g.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'test-client-key', 'anthropic-version': '2023-06-01', ...headers },
    body: JSON.stringify(body),
  });
}
const req = (over: Record<string, unknown> = {}) => ({ model: 'gpt-5-codex', max_tokens: 100, messages: [{ role: 'user', content: 'hello' }], ...over });
const bearer = (m: MockUpstream) => m.requests.map((r) => String(r.headers.authorization).replace('Bearer ', ''));

async function status(g: TestGateway): Promise<any> {
  const r = await fetch(`${g.url}/v0/management/status`, { headers: { authorization: `Bearer ${SECRET}` } });
  assert.equal(r.status, 200);
  return r.json();
}

async function withGateway(yaml: string, fn: (g: TestGateway) => Promise<void>): Promise<void> {
  const g = await startTestGateway(`${yaml}\nremote-management:\n  secret-key: ${SECRET}\n`);
  try { await fn(g); } finally { await g.stop(); }
}

describe('Packycode and a codex-api-key relay', () => {
  const yaml = () => packycodeYaml(packy.url, ['codex-api-key:', codexEntry(relay.url, KEY_B, ', name: relay-b')].join('\n')).replace('sk-test-upstream-key-1234', KEY_A);

  for (const stream of [true, false]) {
    test(`Packycode 429 (retry-after 30): the relay serves; the next request goes straight to it (stream=${stream})`, async () => {
      await withGateway(yaml(), async (g) => {
        packy.enqueue(httpError(429, undefined, { 'retry-after': '30' }));
        const r1 = await post(g, req({ stream }));
        assert.equal(r1.status, 200);
        await r1.text();
        assert.deepEqual([packy.requests.length, relay.requests.length], [1, 1]);
        const r2 = await post(g, req({ stream }));
        assert.equal(r2.status, 200);
        await r2.text();
        assert.deepEqual([packy.requests.length, relay.requests.length], [1, 2], 'the resting key is not tried');
        const s = await status(g);
        const a = s.upstreams.find((u: any) => u.provider === 'packycode');
        assert.equal(a.state, 'cooling-down');
        assert.equal(a.key, 'sk-…1111');
        assert.ok(Date.parse(a['cooldown-until']) - Date.now() > 20_000, 'rests about the retry-after');
        assert.equal(a['last-error'].status, 429);
        assert.equal(s.upstreams.find((u: any) => u.provider === 'relay-b').state, 'ok');
        assert.ok(!JSON.stringify(s).includes(KEY_A) && !JSON.stringify(s).includes(KEY_B), 'keys are masked');
      });
    });
  }

  test('Packycode 401: the relay serves; reported as a configuration problem naming the key and its setting', async () => {
    await withGateway(yaml(), async (g) => {
      packy.enqueue(httpError(401));
      const r = await post(g, req({ stream: true }));
      assert.equal(r.status, 200);
      assert.match(await r.text(), /message_stop/);
      const audit = await (await fetch(`${g.url}/v0/management/audit`, { headers: { authorization: `Bearer ${SECRET}` } })).json() as any;
      const ev = audit.events.find((e: any) => e.kind === 'upstream-key-rejected');
      assert.ok(ev, 'audited');
      assert.deepEqual([ev.provider, ev.key, ev.status], ['packycode', 'sk-…1111', 401]);
      assert.match(ev.path, /^packycode\.credentials\.openai-api-key/);
      assert.ok(g.logLines.some((l) => l.includes('configuration problem') && l.includes('packycode.credentials.openai-api-key')));
      assert.equal((await status(g)).upstreams.find((u: any) => u.provider === 'packycode').state, 'rejected');
      assert.ok(!g.logLines.join('\n').includes(KEY_A));
    });
  });

  test('a 400 from Packycode is the request\'s fault: answered, never moved', async () => {
    await withGateway(yaml(), async (g) => {
      packy.enqueue(httpError(400));
      const r = await post(g, req());
      assert.equal(r.status, 400);
      assert.equal(relay.requests.length, 0);
    });
  });

  test('disabling Packycode routes the very next request to the rest', async () => {
    await withGateway(yaml(), async (g) => {
      const r = await fetch(`${g.url}/v0/management/packycode`, {
        method: 'PATCH', headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' }, body: JSON.stringify({ enabled: false }),
      });
      assert.equal(r.status, 200);
      const res = await post(g, req());
      assert.equal(res.status, 200);
      assert.deepEqual([packy.requests.length, relay.requests.length], [0, 1]);
      assert.equal(bearer(relay)[0], KEY_B);
    });
  });
});

describe('keys of one provider', () => {
  const twoKeys = (strategy: string) => [
    'api-keys: [test-client-key]',
    `routing: { strategy: ${strategy} }`,
    'codex-api-key:',
    codexEntry(relay.url, KEY_B),
    codexEntry(relay.url, KEY_B2),
  ].join('\n');

  test('round-robin: new requests alternate between the keys', async () => {
    await withGateway(twoKeys('round-robin'), async (g) => {
      for (let i = 0; i < 4; i++) await (await post(g, req())).text();
      const keys = bearer(relay);
      assert.deepEqual(keys, [keys[0], keys[1], keys[0], keys[1]]);
      assert.notEqual(keys[0], keys[1]);
    });
  });

  test('fill-first: the first healthy key takes everything; a rate-limited one hands over to the next', async () => {
    await withGateway(twoKeys('fill-first'), async (g) => {
      for (let i = 0; i < 3; i++) await (await post(g, req())).text();
      assert.deepEqual(bearer(relay), [KEY_B, KEY_B, KEY_B]);
      relay.reset();
      relay.enqueue(httpError(429, undefined, { 'x-ratelimit-reset-requests': '20s' }));
      await (await post(g, req())).text();
      await (await post(g, req())).text();
      assert.deepEqual(bearer(relay), [KEY_B, KEY_B2, KEY_B2]);
    });
  });

  test('session affinity: every turn of a session stays on its key; only a failure moves it', async () => {
    await withGateway(twoKeys('round-robin'), async (g) => {
      const s1 = { 'x-claude-code-session-id': 'session-one' };
      const s2 = { metadata: { user_id: JSON.stringify({ device_id: 'd', account_uuid: '', session_id: 'session-two' }) } };
      await (await post(g, req(), s1)).text();
      await (await post(g, req(s2))).text();
      for (let i = 0; i < 3; i++) {
        await (await post(g, req(), s1)).text();
        await (await post(g, req(s2))).text();
      }
      const keys = bearer(relay);
      const one = keys.filter((_, i) => i % 2 === 0);
      const two = keys.filter((_, i) => i % 2 === 1);
      assert.equal(new Set(one).size, 1, 'session one kept its key');
      assert.equal(new Set(two).size, 1, 'session two kept its key');
      // its key fails: the session moves to the other key, and stays there
      relay.reset();
      relay.enqueue(httpError(503));
      await (await post(g, req(), s1)).text();
      await (await post(g, req(), s1)).text();
      const moved = bearer(relay);
      assert.equal(moved[0], one[0]);
      assert.notEqual(moved[1], one[0]);
      assert.equal(moved[2], moved[1]);
    });
  });

  test('every key resting: 429 rate_limit_error with retry-after = the soonest recovery, nothing sent', async () => {
    await withGateway(twoKeys('fill-first'), async (g) => {
      relay.enqueue(httpError(429, undefined, { 'retry-after': '40' }), httpError(429, undefined, { 'retry-after': '25' }));
      const first = await post(g, req());
      assert.equal(first.status, 429);
      await first.text();
      assert.equal(relay.requests.length, 2);
      const r = await post(g, req({ stream: true }));
      assert.equal(r.status, 429);
      const after = Number(r.headers.get('retry-after'));
      assert.ok(after >= 20 && after <= 25, `retry-after ${after}`);
      const j = await r.json() as any;
      assert.equal(j.error.type, 'rate_limit_error');
      assert.match(j.error.message, /resting/);
      assert.equal(relay.requests.length, 2, 'no upstream was called');
    });
  });
});

describe('refused reasoning', () => {
  const REFUSED = { error: { message: "Item with id 'rs_abc' not found. Items are not persisted when `store` is set to false.", type: 'invalid_request_error', param: 'input', code: null } };
  const turn = (session: string) => req({
    metadata: { user_id: JSON.stringify({ device_id: 'd', account_uuid: '', session_id: session }) },
    messages: [
      { role: 'user', content: 'first question' },
      { role: 'assistant', content: [{ type: 'thinking', thinking: 'earlier thoughts', signature: 'gAAAA-encrypted-by-another-channel' }, { type: 'text', text: 'earlier answer' }] },
      { role: 'user', content: 'second question' },
    ],
  });

  test('retried once without the reasoning items; the session remembers it for that upstream', async () => {
    await withGateway(['api-keys: [test-client-key]', 'codex-api-key:', codexEntry(relay.url, KEY_B)].join('\n'), async (g) => {
      relay.setHandler((r) => ((r.body?.input ?? []).some((i: any) => i.type === 'reasoning') ? httpError(400, REFUSED) : text('fine')));
      for (const stream of [true, false]) {
        relay.reset();
        const r = await post(g, turn(`s-${stream}`), {});
        assert.equal(r.status, 200, await r.clone().text());
        assert.match(await r.text(), /fine/);
        assert.equal(relay.requests.length, 2);
        const [withIt, without] = relay.requests.map((x) => x.body.input as any[]);
        assert.ok(withIt.some((i) => i.type === 'reasoning'));
        assert.ok(!without.some((i) => i.type === 'reasoning'));
        assert.deepEqual(without.filter((i) => i.type === 'message').length, withIt.filter((i) => i.type === 'message').length, 'the conversation itself is unchanged');
        // the next turn of the same session goes without it from the start
        relay.reset();
        await (await post(g, turn(`s-${stream}`))).text();
        assert.equal(relay.requests.length, 1);
        assert.ok(!(relay.requests[0].body.input as any[]).some((i) => i.type === 'reasoning'));
      }
    });
  });
});

describe('claude-api-key entries', () => {
  test('passed through; an alias names the upstream model; the codex relay failing moves the request there', async () => {
    await withGateway([
      'api-keys: [test-client-key]',
      'codex-api-key:', codexEntry(relay.url, KEY_B),
      'claude-api-key:',
      `  - { api-key: ${CLAUDE_KEY}, base-url: "${claude.url}", models: [{ name: claude-opus-4-8, alias: gpt-5-codex }] }`,
    ].join('\n'), async (g) => {
      relay.enqueue(httpError(503));
      const r = await post(g, req({ stream: true }));
      assert.equal(r.status, 200);
      assert.match(await r.text(), /message_stop/);
      assert.equal(claude.requests.length, 1);
      assert.equal(claude.requests[0].body.model, 'claude-opus-4-8');
      assert.equal(claude.requests[0].headers['x-api-key'], CLAUDE_KEY);
    });
  });
});

describe('proxies', () => {
  test('proxy-url on an entry: the upstream is reached through the proxy (only there)', async () => {
    const port = new URL(relay.url).port;
    await withGateway([
      'api-keys: [test-client-key]',
      'codex-api-key:', codexEntry(`http://relay.invalid:${port}/v1`, KEY_B, `, proxy-url: "${proxy.url}"`),
    ].join('\n'), async (g) => {
      const r = await post(g, req());
      assert.equal(r.status, 200, await r.clone().text());
      assert.equal(relay.requests.length, 1);
      assert.ok(proxy.seen.some((s) => s.includes(`relay.invalid:${port}`)), proxy.seen.join(', '));
    });
  });

  test('HTTP_PROXY is honoured when no proxy-url is set; NO_PROXY exempts a host', async () => {
    const port = new URL(relay.url).port;
    const saved = { HTTP_PROXY: process.env.HTTP_PROXY, NO_PROXY: process.env.NO_PROXY };
    try {
      process.env.HTTP_PROXY = proxy.url;
      delete process.env.NO_PROXY;
      await closeUpstreamPools();
      await withGateway(['api-keys: [test-client-key]', 'codex-api-key:', codexEntry(`http://relay.invalid:${port}/v1`, KEY_B)].join('\n'), async (g) => {
        const r = await post(g, req());
        assert.equal(r.status, 200, await r.clone().text());
        assert.ok(proxy.seen.length > 0);
        process.env.NO_PROXY = 'relay.invalid';
        await closeUpstreamPools();
        proxy.seen.length = 0;
        const direct = await post(g, req());
        assert.equal(direct.status, 502, 'relay.invalid does not resolve without the proxy');
        assert.equal(proxy.seen.length, 0);
      });
    } finally {
      for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
      await closeUpstreamPools();
    }
  });
});

test('OpenAI reset hints read as durations', () => {
  const table: Array<[string | undefined, number | undefined]> = [
    ['1s', 1000], ['6m0s', 360_000], ['20ms', 20], ['1h2m3.5s', 3_723_500], ['', undefined], [undefined, undefined], ['soon', undefined], ['5', undefined],
  ];
  for (const [v, ms] of table) assert.equal(parseResetDuration(v), ms, String(v));
});
