// The mock upstream server itself: routing, auth, queue/handler, recording, and the standalone runner.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { startMockUpstream } from './mock-upstream.ts';
import type { MockUpstream } from './mock-upstream.ts';
import * as S from './response-scenarios.ts';
import { sharedFixture } from './shared-fixtures.ts';

let mock: MockUpstream;
before(async () => { mock = await startMockUpstream({ apiKey: 'sk-mock-key-0001' }); });
after(async () => { await mock.close(); });
beforeEach(() => { mock.reset(); });

const auth = { authorization: 'Bearer sk-mock-key-0001', 'content-type': 'application/json' };
const post = (body: unknown, headers: Record<string, string> = auth) =>
  fetch(`${mock.url}/responses`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });

function parseSse(text: string): Array<{ event: string; data: Record<string, unknown> }> {
  return text.split('\n\n').filter((b) => b.trim()).map((block) => {
    const event = /^event: (.*)$/m.exec(block)?.[1] ?? '';
    const data = JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? 'null') as Record<string, unknown>;
    return { event, data };
  });
}

test('url is a /v1 base on 127.0.0.1', () => {
  assert.match(mock.url, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
});

test('queued scenarios are served in order, then the handler decides', async () => {
  mock.enqueue(S.text('first'), S.httpError(503));
  const a = await post({ model: 'm1', input: [] });
  const b = await post({ model: 'm1', input: [] });
  const c = await post({ model: 'm1', input: [] });
  assert.equal(a.status, 200);
  assert.match(await a.text(), /"delta":"first"/);
  assert.equal(b.status, 503);
  await b.text();
  assert.equal(c.status, 200);
  assert.match(await c.text(), /Hello from the mock upstream/);
  assert.equal(mock.requests.length, 3);
  assert.deepEqual(mock.requests[0].body, { model: 'm1', input: [] });
});

test('SSE framing: event name = data.type, and the request model is filled into response objects', async () => {
  mock.enqueue(S.text('hi there'));
  const res = await post({ model: 'gpt-5.5', input: [] });
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  const events = parseSse(await res.text());
  for (const e of events) assert.equal(e.event, e.data.type);
  const withResponse = events.filter((e) => e.data.response);
  assert.equal(withResponse.length, 3);
  for (const e of withResponse) assert.equal((e.data.response as { model: string }).model, 'gpt-5.5');
});

test('flush: false writes the same bytes in one go', async () => {
  const s = S.text('same bytes either way');
  mock.enqueue({ ...s, flush: false } as S.Scenario, s);
  const one = await (await post({ model: 'm', input: [] })).text();
  const many = await (await post({ model: 'm', input: [] })).text();
  assert.equal(one, many);
});

test('eventsPerWrite batches events into fewer writes with the same bytes', async () => {
  const s = S.longText(25);
  mock.enqueue({ ...s, eventsPerWrite: 10 } as S.Scenario, s);
  const batched = await (await post({ model: 'm', input: [] })).text();
  const perEvent = await (await post({ model: 'm', input: [] })).text();
  // ids differ per rendering of a scenario: compare with them masked
  const mask = (t: string): string => t.replace(/"(resp|msg|req)_[0-9a-f]+"/g, '"id"');
  assert.equal(mask(batched), mask(perEvent));
  assert.match(batched, /event: response\.completed/);
});

test('setHandler replaces the decision function', async () => {
  mock.setHandler((req) => S.text(`you sent ${(req.body as { input: unknown[] }).input.length} items`));
  try {
    assert.match(await (await post({ model: 'm', input: [1, 2] })).text(), /you sent 2 items/);
  } finally {
    mock.setHandler((await import('./mock-default-handler.ts')).createDefaultHandler());
  }
});

test('API key: missing or wrong keys get a real-shaped 401 that masks the key', async () => {
  const none = await post({ model: 'm' }, { 'content-type': 'application/json' });
  assert.equal(none.status, 401);
  assert.match((await none.json() as { error: { message: string } }).error.message, /didn't provide an API key/);
  const wrong = await post({ model: 'm' }, { authorization: 'Bearer sk-wrong-secret-9876', 'content-type': 'application/json' });
  assert.equal(wrong.status, 401);
  const body = await wrong.json() as { error: { code: string; message: string; type: string; param: null } };
  assert.equal(body.error.code, 'invalid_api_key');
  assert.equal(body.error.type, 'invalid_request_error');
  assert.doesNotMatch(body.error.message, /sk-wrong-secret-9876/);
  assert.match(body.error.message, /9876/);
});

test('unknown paths 404, bad JSON 400, /v1/models lists models', async () => {
  const notFound = await fetch(`${mock.url}/chat/completions`, { method: 'POST', headers: auth, body: '{}' });
  assert.equal(notFound.status, 404);
  assert.match((await notFound.json() as { error: { message: string } }).error.message, /Invalid URL/);
  const bad = await post('{not json');
  assert.equal(bad.status, 400);
  await bad.text();
  const models = await fetch(`${mock.url}/models`, { headers: auth });
  assert.equal((await models.json() as { object: string }).object, 'list');
});

test('waitForRequests resolves once enough requests arrived, and times out otherwise', async () => {
  const waiting = mock.waitForRequests(2, 2_000);
  await (await post({ model: 'm', input: [] })).text();
  await (await post({ model: 'm', input: [] })).text();
  await waiting;
  await assert.rejects(mock.waitForRequests(5, 50), /waited 50 ms for 5 request/);
});

test('hang: the request is recorded and left open; a client that gives up is marked aborted', async () => {
  mock.enqueue(S.hang());
  const ac = new AbortController();
  const pending = fetch(`${mock.url}/responses`, { method: 'POST', headers: auth, body: '{"model":"m","input":[]}', signal: ac.signal }).catch((e: Error) => e.name);
  await mock.waitForRequests(1);
  assert.equal(mock.requests[0].aborted, false);
  ac.abort();
  assert.equal(await pending, 'AbortError');
  await mock.requests[0].finished;
  assert.equal(mock.requests[0].aborted, true);
});

test('a reply that ran to its end is not marked aborted', async () => {
  mock.enqueue(S.text('complete'));
  await (await post({ model: 'm', input: [] })).text();
  await mock.requests[0].finished;
  assert.equal(mock.requests[0].aborted, false);
});

const PHASE = sharedFixture('responses/openai-phase.1.jsonl');
test('replayJsonl serves a recorded stream verbatim', { skip: PHASE ? false : 'shared fixtures absent' }, async () => {
  mock.enqueue(S.replayJsonl(PHASE!));
  const events = parseSse(await (await post({ model: 'm', input: [] })).text());
  assert.equal(events[0].data.type, 'response.created');
  assert.equal(events.at(-1)?.data.type, 'response.completed');
  assert.equal(((events[0].data.response as { model: string }).model), 'gpt-5.3-codex');
});

test('the standalone runner prints its URL first and serves long:<n>', async () => {
  const cli = fileURLToPath(new URL('./mock-upstream-cli.ts', import.meta.url));
  const child = spawn(process.execPath, [cli, '--port', '0', '--scenario', 'long:40'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const lines = createInterface({ input: child.stdout });
    const [url] = (await once(lines, 'line')) as [string];
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const text = await (await fetch(`${url}/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":"gpt-5-codex","input":[]}' })).text();
    const events = parseSse(text);
    assert.equal(events.filter((e) => e.event === 'response.output_text.delta').length, 40);
    assert.equal(events.at(-1)?.event, 'response.completed');
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
});

test('echoRequest: every response object carries the request\'s instructions and tools, as the real API does', async () => {
  const echoing = await startMockUpstream({ echoRequest: true });
  try {
    const tools = [{ type: 'function', name: 'exec_command', description: 'Runs "a" command \u2013 {[', parameters: { type: 'object', properties: { cmd: { type: 'string' } } }, strict: false }];
    const ask = async (body: Record<string, unknown>) => {
      const res = await fetch(`${echoing.url}/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return parseSse(await res.text());
    };
    for (let round = 0; round < 2; round++) { // the second from the cached template
      const events = await ask({ model: 'gpt-5-codex', input: 'hi', instructions: `Be brief ${round}.`, tools, stream: true });
      const withResponse = events.filter((e) => e.data.response !== undefined);
      assert.deepEqual(withResponse.map((e) => e.event), ['response.created', 'response.in_progress', 'response.completed']);
      for (const e of withResponse) {
        const r = e.data.response as Record<string, unknown>;
        assert.equal(r.instructions, `Be brief ${round}.`);
        assert.deepEqual(r.tools, tools);
        assert.equal(r.model, 'gpt-5-codex');
      }
      assert.ok(events.some((e) => e.event === 'response.output_text.delta'), 'the other events as before');
    }
    const bare = (await ask({ model: 'gpt-5-codex', input: 'hi' })).find((e) => e.event === 'response.created')!.data.response as Record<string, unknown>;
    assert.equal(bare.instructions, null);
    assert.deepEqual(bare.tools, []);
  } finally {
    await echoing.close();
  }
});
