// An in-flight stream does not keep its request: once the first text went to the client, the parsed client body,
// the Responses body and the bytes sent upstream are all let go, so many long streams of large Claude Code
// requests cost kilobytes each, not the size of their conversations. Measured from outside the relay: the heap
// and off-heap memory of this process (gateway and mock run in it) with 16 streams held open mid-reply.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startHarness, CLIENT_KEY, type Harness } from './sdk-harness.ts';
import { longText, stall } from '../support/response-scenarios.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

const STREAMS = 16;
const BODY_CHARS = 400_000;

function memory(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

/** Sends a streaming request and resolves, with the open response, once a text delta has arrived. */
function openStream(i: number): Promise<IncomingMessage> {
  // a different ~400 KB conversation each: a long pasted file and a question
  const body = JSON.stringify({
    model: 'gpt-5-codex', max_tokens: 1024, stream: true,
    messages: [{ role: 'user', content: `${i}: ${'const value = compute(input);\n'.repeat(BODY_CHARS / 29)}\nWhat does this do?` }],
  });
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${h.gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01' },
    }, (res) => {
      let seen = '';
      const onData = (c: Buffer): void => {
        seen += c;
        if (seen.includes('"text_delta"')) { res.off('data', onData); res.pause(); resolve(res); }
      };
      res.on('data', onData);
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

test(`${STREAMS} streams of ${BODY_CHARS / 1000} KB requests, held open mid-reply, keep far less than their requests`, async () => {
  // warm-up: JIT, pools and sockets, so the measurement sees the streams and not first-use allocations
  h.mock.enqueue(longText(5));
  await h.post('/v1/messages', { model: 'gpt-5-codex', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
  h.mock.reset();
  const before = memory();

  for (let i = 0; i < STREAMS; i++) h.mock.enqueue(stall(12, { base: longText(40) }));
  const open = await Promise.all(Array.from({ length: STREAMS }, (_, i) => openStream(i)));
  assert.equal(h.mock.requests.length, STREAMS);
  assert.ok(h.mock.requests.every((r) => JSON.stringify(r.body).length > BODY_CHARS), 'every request reached the upstream whole');
  // the mock (in this process too) keeps a record of each request while its reply is open: not the gateway's memory
  for (const r of h.mock.requests) r.body = undefined;
  h.mock.requests.length = 0;
  const held = memory() - before;

  try {
    // kept: sockets, translators, the socket buffers of all three sides (the client paused, so the mock waits
    // for a drain with a reply chunk queued): ~150 KB a stream; not kept: 400 KB parsed + 400 KB sent, each
    assert.ok(held < STREAMS * 250_000, `held ${(held / 1e6).toFixed(1)} MB for ${STREAMS} streams (${(held / STREAMS / 1000).toFixed(0)} KB each)`);
  } finally {
    for (const res of open) res.destroy();
  }
});
