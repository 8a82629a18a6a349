// One upstream SSE event is bounded (16 MiB): a larger one ends the stream with a protocol error naming the
// limit, read from a real socket, instead of growing the gateway's memory with it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeUpstreamPools, openResponsesStream, UpstreamError } from '../../src/upstream/responses-client.ts';
import { MAX_BUFFER_CHARS } from '../../src/upstream/sse-events.ts';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.ts';

let mock: MockUpstream;
before(async () => { mock = await startMockUpstream(); });
after(async () => { await mock.close(); await closeUpstreamPools(); });

test('an SSE event past 16 MiB: protocol error naming the limit; the events before it were delivered', async () => {
  const head = 'event: response.created\ndata: {"type":"response.created","response":{"id":"resp_1","status":"in_progress","output":[]}}\n\n';
  const piece = 'x'.repeat(1024 * 1024);
  const chunks = [head, 'data: {"type":"response.output_text.delta","delta":"', ...Array.from({ length: MAX_BUFFER_CHARS / piece.length + 2 }, () => piece)];
  mock.enqueue({ kind: 'raw', chunks, end: 'hang' });
  const stream = await openResponsesStream({ target: { baseUrl: mock.url }, body: { model: 'gpt-5' }, timeouts: { connectMs: 2000, firstByteMs: 5000, idleMs: 10_000 } });
  const seen: string[] = [];
  let error: unknown;
  try {
    for await (const ev of stream.events) seen.push(ev.type);
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof UpstreamError, String(error));
  assert.equal(error.kind, 'protocol');
  assert.match(error.message, /larger than 16 MiB/);
  assert.deepEqual(seen, ['response.created']);
  await mock.requests[0].finished;
  assert.equal(mock.requests[0].aborted, true, 'the upstream request was closed');
});
