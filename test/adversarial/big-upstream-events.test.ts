// Big upstream events (issue 8, item 10). The probe: 12 MB SSE events left RSS at 160-250 MB; 100 MB lines
// peaked at 394 MB and 375 MB was still held 10 s later. Now one upstream event is bounded (16 MiB): a 12 MB
// event is relayed whole, a 100 MB line ends the reply with a clear error (an `event: error` on a stream that
// had begun, an Anthropic error status otherwise), the gateway stays up, and its memory returns afterwards.
// Measured from outside the relay: this process's heap and off-heap memory (gateway and mock run in it) after
// a forced GC, before and after the burst.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { setTimeout as sleep } from 'node:timers/promises';
import { startHarness, parseSse, CLIENT_KEY, type Harness } from '../e2e/sdk-harness.ts';
import { send } from './edge-client.ts';
import { text, toSse, sequence, type Scenario } from '../support/response-scenarios.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const MB = 1024 * 1024;
let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

function live(): number {
  gc(); gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

/** Some text, then one `data:` line of `lineMB` MB that never ends (the upstream closes after it). */
function hugeLine(lineMB: number): Scenario {
  const head = toSse(sequence().start().events.concat([
    { type: 'response.output_item.added', output_index: 0, item: { id: 'msg_1', type: 'message', status: 'in_progress', role: 'assistant', content: [] } },
    { type: 'response.content_part.added', item_id: 'msg_1', output_index: 0, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } },
    { type: 'response.output_text.delta', item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'Before the big line. ' },
  ] as never[]));
  const piece = 'y'.repeat(MB);
  return { kind: 'raw', chunks: [head, 'data: {"type":"response.output_text.delta","delta":"', ...Array.from({ length: lineMB }, () => piece)] };
}

/** One request on a connection of its own (no keep-alive reuse racing a connection the gateway closed). */
const post = (stream: boolean) => send(`${h.gw.url}/v1/messages`, 'POST', { 'content-type': 'application/json', 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01' },
  JSON.stringify({ model: 'gpt-5-codex', max_tokens: 100, stream, messages: [{ role: 'user', content: 'big' }] }));

/** The burst: two 12 MB replies and two 100 MB lines. Its own function, so that nothing the client read stays
 * reachable from the test's frame when the memory is measured. */
async function burst(): Promise<void> {
  const big = 'z'.repeat(12 * MB);
  // 12 MB: one delta event (and a done / completed event carrying the same text), under the bound
  for (const stream of [true, false]) {
    h.mock.enqueue(text(big, { chunks: 1 }));
    const r = await post(stream);
    assert.equal(r.status, 200, r.text.slice(0, 300));
    if (stream) {
      const events = parseSse(r.text);
      const got = events.filter((e) => e.event === 'content_block_delta').map((e) => e.data.delta.text).join('');
      assert.equal(got.length, big.length, 'the whole 12 MB text arrived');
      assert.equal(events.at(-1)?.event, 'message_stop');
    } else {
      assert.equal(r.json.content[0].text.length, big.length);
    }
  }
  // 100 MB line, streaming: the reply had begun, so it ends with an error event naming the bound
  h.mock.enqueue(hugeLine(100));
  const s = await post(true);
  assert.equal(s.status, 200);
  const events = parseSse(s.text);
  assert.match(JSON.stringify(events.map((e) => e.data)), /Before the big line/);
  const last = events.at(-1)!;
  assert.equal(last.event, 'error', s.text.slice(-500));
  assert.match(last.data.error.message, /larger than 16 MiB/);
  // non-streaming: nothing went out yet, so an Anthropic error status
  h.mock.enqueue(hugeLine(100));
  const j = await post(false);
  assert.ok(j.status >= 500, `status ${j.status}`);
  assert.equal(j.json?.type, 'error', j.text.slice(0, 300));
  assert.match(j.json.error.message, /larger than 16 MiB/);
}

test('12 MB events are relayed whole; a 100 MB line gets a clear error; the memory returns', async () => {
  await post(false); // warm-up: JIT, pools, sockets
  h.mock.reset();
  const base = live();
  const rssBase = process.memoryUsage().rss;
  let rssPeak = rssBase;
  const sampler = setInterval(() => { rssPeak = Math.max(rssPeak, process.memoryUsage().rss); }, 25);
  try {
    await burst();
  } finally {
    clearInterval(sampler);
  }
  // the gateway is still up and answers
  const ok = await post(false);
  assert.equal(ok.status, 200);
  h.mock.reset(); // the in-process mock keeps what it received; the gateway must keep nothing
  await sleep(200);
  const kept = live() - base;
  const rssAfter = process.memoryUsage().rss - rssBase;
  console.log(`big upstream events: RSS +${Math.round((rssPeak - rssBase) / MB)} MB at peak, +${Math.round(rssAfter / MB)} MB after; heap+external +${Math.round(kept / MB)} MB after`);
  assert.ok(kept < 60 * MB, `${Math.round(kept / MB)} MB of heap and external memory still held after the burst`);
});
