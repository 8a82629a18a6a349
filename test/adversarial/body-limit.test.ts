// The body limit (issue 8, item 5). The probe: the limit was 64 MiB, a 40 MB body was forwarded upstream, and
// eight concurrent 40 MB bodies peaked at 1 GB RSS with 825 MB kept. Now anything over Anthropic's 32 MB is
// answered 413 request_too_large in Anthropic's shape: at once when content-length says so (the body is never
// read), as soon as the limit is passed when the body is chunked; the upstream sees nothing, and the memory
// goes back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { setTimeout as sleep } from 'node:timers/promises';
import { startHarness, CLIENT_KEY, type Harness } from '../e2e/sdk-harness.ts';
import { isAnthropicError, rawSocket, send, upload } from './edge-client.ts';
import { ANTHROPIC_BODY_LIMIT_BYTES } from '../../src/server/body-limit.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

const MB = 1024 * 1024;
const AUTH = { 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01' };

function live(): number {
  gc(); gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

test('the limit is Anthropic\'s 32 MB', () => {
  assert.equal(ANTHROPIC_BODY_LIMIT_BYTES, 32 * MB);
});

test('a declared 40 MB body is refused before any of it is read', async () => {
  // headers only: a gateway that waited for the body would never answer
  const { socket, received, closed } = await rawSocket(Number(new URL(h.gw.url).port));
  socket.write([
    'POST /v1/messages HTTP/1.1', 'Host: 127.0.0.1', 'Content-Type: application/json', `Content-Length: ${40 * MB}`,
    `x-api-key: ${CLIENT_KEY}`, '', '',
  ].join('\r\n'));
  await Promise.race([closed, sleep(10_000)]);
  socket.destroy();
  const text = received();
  assert.match(text, /^HTTP\/1\.1 413 /);
  assert.match(text, /connection: close/i);
  const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));
  assert.equal(body.type, 'error');
  assert.equal(body.error.type, 'request_too_large');
  assert.match(body.error.message, /32 MB/);
});

test('40 MB with content-length and chunked: 413 request_too_large on both routes, nothing upstream', async () => {
  const before = h.mock.requestCount;
  for (const path of ['/v1/messages', '/v1/messages/count_tokens']) {
    for (const chunked of [false, true]) {
      const r = await upload(`${h.gw.url}${path}`, 40 * MB, { chunked, headers: AUTH });
      // a client still sending when the gateway closes may see the reset instead of the answer; undici and the
      // SDKs read the answer, and so does this client almost always
      if (r.status === 0) continue;
      assert.equal(isAnthropicError(r, 413, 'request_too_large'), undefined, `${path} chunked=${chunked}`);
    }
  }
  // just over the limit is refused too; just under it is read (and then refused as unfinished JSON)
  const over = await upload(`${h.gw.url}/v1/messages/count_tokens`, 32 * MB + 1, { headers: AUTH });
  if (over.status !== 0) assert.equal(isAnthropicError(over, 413, 'request_too_large'), undefined);
  const under = await upload(`${h.gw.url}/v1/messages/count_tokens`, 32 * MB - 1024, { headers: AUTH });
  assert.equal(isAnthropicError(under, 400, 'invalid_request_error'), undefined);
  assert.match(under.json.error.message, /not valid JSON/);
  assert.equal(h.mock.requestCount, before, 'the upstream received nothing');
});

test('8 concurrent 40 MB bodies (declared and chunked) keep memory bounded, and it returns after', async () => {
  const upstreamBefore = h.mock.requestCount;
  const base = live();
  const rssBase = process.memoryUsage().rss;
  let rssPeak = rssBase;
  const sampler = setInterval(() => { rssPeak = Math.max(rssPeak, process.memoryUsage().rss); }, 25);
  try {
    for (const chunked of [false, true]) {
      const replies = await Promise.all(Array.from({ length: 8 }, () => upload(`${h.gw.url}/v1/messages`, 40 * MB, { chunked, headers: AUTH })));
      assert.ok(replies.some((r) => r.status === 413), `no 413 among ${replies.map((r) => r.status)}`);
      for (const r of replies) assert.ok(r.status === 413 || r.status === 0, `status ${r.status}: ${r.text.slice(0, 200)}`);
    }
  } finally {
    clearInterval(sampler);
  }
  const peak = rssPeak - rssBase;
  // generous: chunked bodies may be buffered up to the limit while they arrive (8 x 32 MB); before: 1 GB
  assert.ok(peak < 600 * MB, `RSS rose by ${Math.round(peak / MB)} MB`);
  await sleep(200);
  const kept = live() - base;
  assert.ok(kept < 48 * MB, `${Math.round(kept / MB)} MB still held after the requests`);
  assert.equal(h.mock.requestCount, upstreamBefore, 'the upstream received nothing');
});

test('bodies under the limit go through, and the memory they cost returns after the request', async () => {
  await h.post('/v1/messages', { model: 'gpt-5-codex', max_tokens: 10, messages: [{ role: 'user', content: 'warm-up' }] });
  h.mock.reset();
  const base = live();
  let body: string | undefined = JSON.stringify({ model: 'gpt-5-codex', max_tokens: 10, messages: [{ role: 'user', content: 'q'.repeat(30 * MB) }] });
  const replies = await Promise.all(Array.from({ length: 4 }, () => send(`${h.gw.url}/v1/messages`, 'POST', { 'content-type': 'application/json', ...AUTH }, body)));
  for (const r of replies) assert.equal(r.status, 200, r.text.slice(0, 300));
  assert.equal(h.mock.requests.length, 4);
  body = undefined;
  h.mock.reset(); // the in-process mock keeps what it received; the gateway must keep nothing
  await sleep(100);
  const kept = live() - base;
  assert.ok(kept < 48 * MB, `${Math.round(kept / MB)} MB still held after 4 x 30 MB requests`);
});
