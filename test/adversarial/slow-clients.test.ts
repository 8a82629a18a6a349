// Slow clients (issue 8, item 9). The probe: a body sent at 1 byte a second stayed open 120 s and more. Now
// headers must arrive within headersTimeout, a body must keep making progress (at least progressMinBytes per
// window) and arrive within requestMs, or the gateway answers 408 in the route's error shape and closes the
// connection; a client sending at network speed never notices, and a long streamed reply is not cut.
// The limits are shortened here (the defaults are 30 s headers, 15 s / 1 KB progress, 300 s in all).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/config/load.ts';
import { Runtime } from '../../src/runtime.ts';
import { buildApp } from '../../src/server/app.ts';
import { DEFAULT_CLIENT_TIMEOUTS } from '../../src/server/body-limit.ts';
import { memoryLogger, packycodeYaml } from '../support/gateway.ts';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.ts';
import { slow, text } from '../support/response-scenarios.ts';
import { closeUpstreamPools } from '../../src/upstream/responses-client.ts';
import { rawSocket, send } from './edge-client.ts';

const UPSTREAM_KEY = 'sk-test-upstream-key-1234';
const CLIENT_KEY = 'test-client-key';
const T = { headersMs: 1_000, requestMs: 4_000, progressWindowMs: 700, progressMinBytes: 64, checkIntervalMs: 200 };

let mock: MockUpstream;
let app: FastifyInstance;
let port: number;
let dir: string;
const logLines: string[] = [];

before(async () => {
  mock = await startMockUpstream({ apiKey: UPSTREAM_KEY });
  dir = mkdtempSync(join(tmpdir(), 'packybridge-slow-'));
  const path = join(dir, 'config.yaml');
  writeFileSync(path, packycodeYaml(mock.url));
  const loaded = await loadConfig({ path, env: {}, homeDir: dir, codexHome: join(dir, 'codex') });
  assert.ok(loaded.snapshot, JSON.stringify(loaded.errors));
  const runtime = new Runtime(loaded.snapshot, memoryLogger(logLines), { defaultMetrics: false });
  app = await buildApp(runtime, { clientTimeouts: T });
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as { port: number }).port;
});
after(async () => {
  await app.close();
  await mock.close();
  await closeUpstreamPools(200);
  rmSync(dir, { recursive: true, force: true });
});

const HEAD = (length: number) => [
  'POST /v1/messages HTTP/1.1', `Host: 127.0.0.1:${port}`, 'Content-Type: application/json', `Content-Length: ${length}`,
  `x-api-key: ${CLIENT_KEY}`, '', '',
].join('\r\n');

/** Writes `text` one byte every `everyMs` until the gateway closes the connection or `maxMs` passes. */
async function trickle(text: string, everyMs: number, maxMs: number): Promise<{ closedAfterMs: number; received: string; sent: number }> {
  const { socket, received, closed } = await rawSocket(port);
  const started = Date.now();
  let isClosed = false;
  void closed.then(() => { isClosed = true; });
  let sent = 0;
  while (!isClosed && sent < text.length && Date.now() - started < maxMs) {
    socket.write(text[sent++]);
    await sleep(everyMs);
  }
  await Promise.race([closed, sleep(Math.max(0, maxMs - (Date.now() - started)))]);
  socket.destroy();
  return { closedAfterMs: Date.now() - started, received: received(), sent };
}

test('the defaults: generous for a real client, fatal for a trickle', () => {
  assert.ok(DEFAULT_CLIENT_TIMEOUTS.headersMs >= 10_000 && DEFAULT_CLIENT_TIMEOUTS.headersMs <= 60_000);
  assert.ok(DEFAULT_CLIENT_TIMEOUTS.requestMs >= 260_000, 'a 32 MB body over 1 Mbit/s fits');
  assert.ok(DEFAULT_CLIENT_TIMEOUTS.progressMinBytes / (DEFAULT_CLIENT_TIMEOUTS.progressWindowMs / 1000) < 1024, 'under 1 KB/s is still progress');
  assert.ok(DEFAULT_CLIENT_TIMEOUTS.progressMinBytes / (DEFAULT_CLIENT_TIMEOUTS.progressWindowMs / 1000) > 1, '1 byte a second is not');
});

test('a body sent 1 byte at a time is cut with 408 in Anthropic\'s shape; the upstream sees nothing', async () => {
  const before = mock.requestCount;
  const body = JSON.stringify({ model: 'gpt-5-codex', max_tokens: 10, messages: [{ role: 'user', content: 'x'.repeat(500) }] });
  const { socket, received, closed } = await rawSocket(port);
  socket.write(HEAD(body.length));
  const started = Date.now();
  let isClosed = false;
  void closed.then(() => { isClosed = true; });
  for (let i = 0; i < body.length && !isClosed && Date.now() - started < 20_000; i++) {
    socket.write(body[i]);
    await sleep(100); // 10 bytes a second
  }
  await Promise.race([closed, sleep(2_000)]);
  socket.destroy();
  assert.ok(isClosed, 'the gateway closed the connection');
  assert.ok(Date.now() - started < 15_000, `closed after ${Date.now() - started} ms`);
  const text = received();
  assert.match(text, /^HTTP\/1\.1 408 /, text.slice(0, 200));
  const json = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));
  assert.equal(json.type, 'error');
  assert.equal(json.error.type, 'timeout_error');
  assert.match(json.error.message, /arrived too slowly/);
  assert.equal(mock.requestCount, before);
  assert.ok(logLines.some((l) => l.includes('"errorKind":"slow-body"')));
});

test('headers sent 1 byte at a time are cut by headersTimeout', async () => {
  const r = await trickle(HEAD(10), 50, 15_000);
  assert.ok(r.sent < HEAD(10).length, `all ${r.sent} header bytes went through`);
  assert.ok(r.closedAfterMs < 15_000, `closed after ${r.closedAfterMs} ms`);
  // Node answers 408 itself (no route is known before the headers are)
  assert.ok(r.received === '' || /^HTTP\/1\.1 408 /.test(r.received), r.received.slice(0, 200));
});

test('a connection that sends nothing is closed too', async () => {
  const r = await trickle('', 50, 15_000);
  assert.ok(r.closedAfterMs < 15_000, `closed after ${r.closedAfterMs} ms`);
});

test('a body that keeps just enough pace is still ended after requestMs in all', async () => {
  const body = `{"model":"gpt-5-codex","max_tokens":10,"messages":[{"role":"user","content":"${'y'.repeat(4000)}"}]}`;
  const { socket, received, closed } = await rawSocket(port);
  socket.write(HEAD(body.length));
  const started = Date.now();
  let isClosed = false;
  void closed.then(() => { isClosed = true; });
  for (let i = 0; i < body.length && !isClosed && Date.now() - started < 20_000; i += 100) {
    socket.write(body.slice(i, i + 100)); // ~500 bytes/s: above the progress floor, too slow for 4 s
    await sleep(200);
  }
  await Promise.race([closed, sleep(2_000)]);
  socket.destroy();
  assert.ok(isClosed);
  const text = received();
  assert.match(text, /^HTTP\/1\.1 408 /, text.slice(0, 200));
  assert.match(text, /did not arrive within 4 s/);
});

test('a normal client is never cut: a quick body, and a reply streamed for longer than every limit', async () => {
  const quick = await send(`http://127.0.0.1:${port}/v1/messages`, 'POST', { 'content-type': 'application/json', 'x-api-key': CLIENT_KEY },
    JSON.stringify({ model: 'gpt-5-codex', max_tokens: 10, messages: [{ role: 'user', content: 'z'.repeat(200_000) }] }));
  assert.equal(quick.status, 200, quick.text);
  // the reply takes several seconds (longer than headersMs, the progress window and requestMs) and must not be cut
  mock.enqueue(slow(600, text('one two three four five')));
  const streamed = await send(`http://127.0.0.1:${port}/v1/messages`, 'POST', { 'content-type': 'application/json', 'x-api-key': CLIENT_KEY },
    JSON.stringify({ model: 'gpt-5-codex', max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'count' }] }));
  assert.equal(streamed.status, 200);
  assert.match(streamed.text, /event: message_stop/);
  assert.match(streamed.text, /five/);
});
