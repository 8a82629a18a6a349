// The OpenAI routes on the one relay: Packycode plus a codex-api-key relay behind the gateway. A failure
// before the first byte moves the request to the relay, the failed key rests (the next request goes straight
// to the relay), everything resting answers 429 in OpenAI's shape, a Codex session stays on its key, and an
// upstream that refuses earlier reasoning gets the request again without it.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startTestGateway, packycodeYaml, type TestGateway } from '../support/gateway.ts';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.ts';
import { createDefaultHandler } from '../support/mock-default-handler.ts';
import { httpError, openaiErrorBody, streamError } from '../support/response-scenarios.ts';
import { closeUpstreamPools } from '../../src/upstream/pool.ts';
import { relayTuning } from '../../src/relay/relay.ts';
import { cooldownTuning } from '../../src/relay/credential-health.ts';
import type { RequestRecord } from '../../src/accounting/request-record.ts';

const KEY_A = 'sk-packy-key-aaaa1111';
const KEY_B = 'sk-relay-key-bbbb2222';

let packy: MockUpstream;
let relay: MockUpstream;
const savedRetry = relayTuning.retry;
before(async () => {
  relayTuning.retry = { delaysMs: [], maxRetryAfterMs: 0 };
  packy = await startMockUpstream({ apiKey: KEY_A });
  relay = await startMockUpstream({ apiKey: KEY_B });
});
after(async () => {
  relayTuning.retry = savedRetry;
  await packy.close();
  await relay.close();
  await closeUpstreamPools();
});
beforeEach(() => { packy.reset(); relay.reset(); relay.setHandler(createDefaultHandler()); });

const yaml = () => packycodeYaml(packy.url, ['codex-api-key:', `  - { api-key: ${KEY_B}, base-url: "${relay.url}", name: relay-b }`].join('\n'))
  .replace('sk-test-upstream-key-1234', KEY_A);

async function withGateway(fn: (g: TestGateway, client: OpenAI, records: RequestRecord[]) => Promise<void>): Promise<void> {
  const g = await startTestGateway(yaml());
  const records: RequestRecord[] = [];
  g.runtime.observers.push({ record: (r) => { records.push(r); } });
  const client = new OpenAI({ baseURL: `${g.url}/v1`, apiKey: 'test-client-key', maxRetries: 0, timeout: 20_000 });
  try { await fn(g, client, records); } finally { await g.stop(); }
}

for (const stream of [true, false]) {
  test(`chat.completions: Packycode 429 -> the codex-api-key relay serves; the resting key is skipped next time (stream=${stream})`, async () => {
    await withGateway(async (_g, client, records) => {
      packy.enqueue(httpError(429, openaiErrorBody(429), { 'retry-after': '30' }));
      const ask = async () => {
        if (!stream) return (await client.chat.completions.create({ model: 'gpt-5-codex', messages: [{ role: 'user', content: 'hello' }] })).choices[0].message.content;
        let text = '';
        for await (const ch of await client.chat.completions.create({ model: 'gpt-5-codex', stream: true, messages: [{ role: 'user', content: 'hello' }] })) text += ch.choices[0]?.delta.content ?? '';
        return text;
      };
      assert.match(await ask() ?? '', /Hello from the mock upstream/);
      assert.deepEqual([packy.requests.length, relay.requests.length], [1, 1]);
      assert.equal(relay.requests[0].headers.authorization, `Bearer ${KEY_B}`);
      assert.match(await ask() ?? '', /Hello from the mock upstream/);
      assert.deepEqual([packy.requests.length, relay.requests.length], [1, 2], 'Packycode rests after its 429');
      assert.deepEqual(records.map((r) => [r.route, r.status, r.provider]), [['chat_completions', 200, 'relay-b'], ['chat_completions', 200, 'relay-b']]);
    });
  });
}

test('responses: an error event before the first output moves the request too (the client never sees it)', async () => {
  await withGateway(async (_g, client) => {
    packy.enqueue(streamError('server_error', 'The Packycode mock failed on purpose.'));
    const types: string[] = [];
    for await (const ev of await client.responses.create({ model: 'gpt-5-codex', input: 'hello', stream: true })) types.push(ev.type);
    assert.equal(types.at(-1), 'response.completed');
    assert.ok(!types.includes('error'));
    assert.deepEqual([packy.requests.length, relay.requests.length], [1, 1]);
  });
});

test('every Responses upstream resting: 429 in OpenAI\'s shape with retry-after, nothing sent upstream', async () => {
  await withGateway(async (g) => {
    packy.enqueue(httpError(429, openaiErrorBody(429), { 'retry-after': '30' }));
    relay.enqueue(httpError(429, openaiErrorBody(429), { 'retry-after': '30' }));
    const first = await fetch(`${g.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer test-client-key' }, body: JSON.stringify({ model: 'gpt-5-codex', input: 'x' }) });
    assert.equal(first.status, 429);
    const second = await fetch(`${g.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer test-client-key' }, body: JSON.stringify({ model: 'gpt-5-codex', input: 'x' }) });
    assert.equal(second.status, 429);
    const body = await second.json() as { error: { type: string; code: string; message: string } };
    assert.equal(body.error.type, 'rate_limit_error');
    assert.match(body.error.message, /resting/);
    assert.ok(Number(second.headers.get('retry-after')) > 0);
    assert.deepEqual([packy.requests.length, relay.requests.length], [1, 1], 'the second request reached no upstream');
  });
});

test('a Codex session (session-id header) stays on the key that served it', async () => {
  const saved = cooldownTuning.briefBaseMs;
  cooldownTuning.briefBaseMs = 100;
  try {
    await withGateway(async (g) => {
      packy.enqueue(httpError(500, openaiErrorBody(500)));
      const send = (session?: string) => fetch(`${g.url}/v1/responses`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer test-client-key', ...(session ? { 'session-id': session } : {}) },
        body: JSON.stringify({ model: 'gpt-5-codex', input: 'hello', stream: true }),
      }).then((r) => r.text());
      await send('codex-session-1');
      assert.deepEqual([packy.requests.length, relay.requests.length], [1, 1]);
      await new Promise((r) => setTimeout(r, 400)); // past the brief 5xx rest: Packycode is first again
      await send();
      assert.deepEqual([packy.requests.length, relay.requests.length], [2, 1], 'a request of no session goes to Packycode');
      await send('codex-session-1');
      assert.deepEqual([packy.requests.length, relay.requests.length], [2, 2], 'the session stays on relay-b');
    });
  } finally {
    cooldownTuning.briefBaseMs = saved;
  }
});

test('an upstream that refuses earlier reasoning gets the request again without the reasoning items', async () => {
  await withGateway(async (g) => {
    packy.enqueue(httpError(400, openaiErrorBody(400, { message: 'The encrypted content could not be verified.', code: 'invalid_encrypted_content' })));
    const input = [
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'first' }] },
      { type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: 'gAAAA-from-another-key' },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'ok' }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'second' }] },
    ];
    const r = await fetch(`${g.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer test-client-key' }, body: JSON.stringify({ model: 'gpt-5-codex', input, stream: true }) });
    assert.equal(r.status, 200);
    assert.match(await r.text(), /response\.completed/);
    assert.equal(packy.requests.length, 2);
    assert.equal(packy.requests[0].body.input.length, 4);
    assert.deepEqual(packy.requests[1].body.input.map((i: { type: string }) => i.type), ['message', 'message', 'message']);
  });
});
