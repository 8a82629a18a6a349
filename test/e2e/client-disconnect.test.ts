// A client that goes away aborts the upstream request: mid-stream, while a non-streaming reply is being
// assembled, and while the upstream has not answered yet.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type Anthropic from '@anthropic-ai/sdk';
import { startHarness, userRequest, CLIENT_KEY, type Harness } from './sdk-harness.ts';
import { slow, longText, hang } from '../support/response-scenarios.ts';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });
beforeEach(() => { h.mock.reset(); });

// 400 deltas 50 ms apart: 20 s if nothing aborts it, far past any test's patience
const SLOW = () => slow(50, longText(400));

const params = { model: 'gpt-5-codex', max_tokens: 1024, messages: [{ role: 'user', content: 'write a lot' }] } as Anthropic.MessageCreateParamsNonStreaming;

function logFor(status: number): Record<string, unknown> | undefined {
  return h.gw.logLines.map((l) => JSON.parse(l)).find((o) => o.msg === 'request' && o.status === status);
}

test('streaming: aborting the SDK stream mid-way aborts the upstream request', async () => {
  h.mock.enqueue(SLOW());
  const stream = h.client.messages.stream(params);
  let deltas = 0;
  await new Promise<void>((resolve, reject) => {
    stream.on('text', () => { if (++deltas === 3) resolve(); });
    stream.on('error', reject);
  });
  stream.abort();
  await assert.rejects(stream.finalMessage());
  const rec = h.mock.requests[0];
  await rec.finished;
  assert.equal(rec.aborted, true, 'the upstream saw the request go away before it ended');
  await waitFor(() => logFor(499) !== undefined);
  assert.equal(logFor(499)!.clientAborted, true);
});

test('non-streaming: aborting the request while the upstream is slow aborts the upstream request', async () => {
  h.mock.enqueue(SLOW());
  const ac = new AbortController();
  const pending = fetch(`${h.gw.url}/v1/messages`, {
    method: 'POST', signal: ac.signal,
    headers: { 'content-type': 'application/json', 'x-api-key': CLIENT_KEY },
    body: JSON.stringify(userRequest('write a lot')),
  });
  await h.mock.waitForRequests(1);
  ac.abort();
  await assert.rejects(pending);
  const rec = h.mock.requests[0];
  await rec.finished;
  assert.equal(rec.aborted, true);
});

test('non-streaming via the SDK: an AbortSignal aborts the upstream request', async () => {
  h.mock.enqueue(SLOW());
  const ac = new AbortController();
  const pending = h.client.messages.create(params, { signal: ac.signal });
  await h.mock.waitForRequests(1);
  ac.abort();
  await assert.rejects(pending);
  await h.mock.requests[0].finished;
  assert.equal(h.mock.requests[0].aborted, true);
});

test('before the upstream answers at all (no headers yet): the client leaving aborts it', async () => {
  for (const stream of [false, true]) {
    h.mock.reset();
    h.mock.enqueue(hang());
    const ac = new AbortController();
    const pending = fetch(`${h.gw.url}/v1/messages`, {
      method: 'POST', signal: ac.signal,
      headers: { 'content-type': 'application/json', 'x-api-key': CLIENT_KEY },
      body: JSON.stringify(userRequest('wait', { stream })),
    });
    await h.mock.waitForRequests(1);
    ac.abort();
    await assert.rejects(pending);
    await h.mock.requests[0].finished;
    assert.equal(h.mock.requests[0].aborted, true, `stream=${stream}`);
  }
});

test('a client that stops reading, then goes away: the relay still ends (no request left hanging)', async () => {
  // a burst much larger than the socket buffers (loopback TCP autotuning takes several MB per socket, on
  // both hops), written at once: the gateway blocks on back-pressure and the upstream cannot finish
  const burst = longText(500_000);
  if (burst.kind === 'events') burst.flush = false;
  h.mock.enqueue(burst);
  const abortedBefore = count499();
  const body = JSON.stringify(userRequest('flood me', { stream: true }));
  const sock = connect(Number(new URL(h.gw.url).port), '127.0.0.1');
  sock.write(`POST /v1/messages HTTP/1.1\r\nhost: 127.0.0.1\r\nx-api-key: ${CLIENT_KEY}\r\n` +
    `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  let received = 0;
  await new Promise<void>((resolve) => {
    sock.on('data', (d: Buffer) => {
      received += d.length;
      if (received > 1000) { sock.pause(); resolve(); }
    });
  });
  // let the gateway fill the socket buffers and wait for 'drain'
  await new Promise((r) => setTimeout(r, 300));
  sock.destroy();
  await h.mock.requests[0].finished;
  assert.equal(h.mock.requests[0].aborted, true);
  // the relay returned: its log line is written (it never is when the relay hangs on a dead socket)
  await waitFor(() => count499() === abortedBefore + 1);
});

test('the gateway keeps serving after aborted requests', async () => {
  h.mock.enqueue(longText(5));
  const msg = await h.client.messages.create(params);
  assert.equal(msg.stop_reason, 'end_turn');
});

function count499(): number {
  return h.gw.logLines.map((l) => JSON.parse(l)).filter((o) => o.msg === 'request' && o.status === 499).length;
}

/** Polls a condition (the log line is written just after the reply ends). */
async function waitFor(cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
