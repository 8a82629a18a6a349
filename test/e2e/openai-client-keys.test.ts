// Named client keys on the OpenAI routes, as on /v1/messages: the openai SDK with a named key is served and
// accounted under its name; a model outside the key's globs is 403 and a spent limit 429 with retry-after, both in
// OpenAI's error shape, and nothing reaches the upstream for them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.ts';
import { UPSTREAM_KEY } from './sdk-harness.ts';
import { closeUpstreamPools } from '../../src/upstream/responses-client.ts';
import type { RequestRecord } from '../../src/accounting/request-record.ts';

const DANA = 'pb-dana-0123456789abcdefghijklmnopqr';

let mock: MockUpstream;
let gw: TestGateway;
const records: RequestRecord[] = [];
before(async () => {
  mock = await startMockUpstream({ apiKey: UPSTREAM_KEY });
  gw = await startTestGateway(`api-keys:
  - { name: dana, key: ${DANA}, models: ["gpt-5*"], limits: { requests-per-minute: 2 } }
packycode:
  enabled: true
  base-url: ${mock.url}
  credentials:
    openai-api-key: ${UPSTREAM_KEY}
  defaults:
    model: gpt-5-codex
`);
  gw.runtime.observers.push({ record: (r) => records.push(r) });
});
after(async () => {
  await gw.stop();
  await mock.close();
  await closeUpstreamPools(200);
});

test('a named key on /v1/chat/completions and /v1/responses: served, accounted by name, limited, models restricted', async () => {
  const client = new OpenAI({ apiKey: DANA, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  // a model outside the key's globs: 403 naming the allowed ones, nothing upstream, not counted against the limit
  const refused = await client.responses.create({ model: 'o3-mini', input: 'hi' }).then(() => null, (e: unknown) => e);
  assert.ok(refused instanceof OpenAI.PermissionDeniedError, String(refused));
  assert.match(refused.message, /gpt-5\*/);
  assert.equal(mock.requests.length, 0);

  const chat = await client.chat.completions.create({ model: 'gpt-5-codex', messages: [{ role: 'user', content: 'hi' }] });
  assert.match(chat.choices[0].message.content ?? '', /Hello from the mock upstream/);
  const resp = await client.responses.create({ model: 'gpt-5-codex', input: 'hi' });
  assert.match(resp.output_text, /Hello from the mock upstream/);
  assert.deepEqual(records.filter((r) => r.status === 200).map((r) => [r.route, r.client]), [['chat_completions', 'dana'], ['responses', 'dana']]);

  // more within the minute: 429 in OpenAI's shape, with retry-after, nothing upstream (limits count in fixed
  // minutes: a request that lands in the next minute is served, so a few are sent until one is refused)
  let limited: unknown = null;
  let served = 0;
  for (let i = 0; i < 4 && !(limited instanceof OpenAI.RateLimitError); i++) {
    served = mock.requests.length;
    limited = await client.chat.completions.create({ model: 'gpt-5-codex', messages: [{ role: 'user', content: 'hi' }] }).then(() => null, (e: unknown) => e);
  }
  assert.ok(limited instanceof OpenAI.RateLimitError, String(limited));
  assert.ok(Number(limited.headers?.get('retry-after')) >= 1);
  assert.equal(typeof (limited.error as { message?: unknown })?.message, 'string');
  assert.equal(mock.requests.length, served, 'nothing reached the upstream for the refusal');
});
