// Idle upstreams on the Responses path (issue 8, item 6), through a real gateway: after some text, SSE comments
// or one byte at a time end the reply within timeouts.idle-ms (an `event: error` naming it on a stream that had
// begun, an Anthropic error status otherwise). The mock Responses upstream on 127.0.0.1; idle-ms is 1 s.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, parseSse, type Harness } from '../e2e/sdk-harness.ts';
import { sequence, toSse, type Scenario } from '../support/response-scenarios.ts';

const IDLE_MS = 1_000;
const PIECES = 120;
let h: Harness;
before(async () => { h = await startHarness({ extraYaml: `timeouts:\n  idle-ms: ${IDLE_MS}` }); });
after(async () => { await h.close(); });

/** The opening events and some text, then `pieces` `delayMs` apart, then the upstream stays silent. */
function textThen(pieces: string[], delayMs: number): Scenario {
  const head = toSse(sequence().start().events.concat([
    { type: 'response.output_item.added', output_index: 0, item: { id: 'msg_1', type: 'message', status: 'in_progress', role: 'assistant', content: [] } },
    { type: 'response.content_part.added', item_id: 'msg_1', output_index: 0, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } },
    { type: 'response.output_text.delta', item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'Some text first. ' },
  ] as never[]));
  return { kind: 'raw', chunks: [head, ...pieces], delayMs, end: 'hang' };
}
const keepAlives = (): string[] => Array.from({ length: PIECES }, () => ': keep-alive\n\n');
const oneByOne = (): string[] => [...'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","item_id":"msg_1","output_index":0,"content_index":0,"delta":"never whole, never whole, never whole, never whole"}\n\n'].slice(0, PIECES);
const ask = (stream: boolean) => ({ model: 'gpt-5-codex', max_tokens: 100, stream, messages: [{ role: 'user', content: 'idle?' }] });

for (const [name, pieces, delayMs] of [['`: keep-alive` comments', keepAlives, 100], ['one byte at a time (twice a second)', oneByOne, 500]] as const) {
  test(`streaming: ${name} after some text end the reply within idle-ms with event: error`, async () => {
    h.mock.setHandler(() => textThen(pieces(), delayMs));
    const started = Date.now();
    const r = await h.post('/v1/messages', ask(true));
    assert.ok(Date.now() - started < PIECES * delayMs, `ended after ${Date.now() - started} ms`);
    assert.equal(r.status, 200);
    const events = parseSse(r.text);
    assert.match(JSON.stringify(events), /Some text first/);
    const last = events.at(-1)!;
    assert.equal(last.event, 'error', r.text.slice(-300));
    assert.match(last.data.error.message, /timeouts\.idle-ms/);
  });

  test(`non-streaming: ${name} end within idle-ms with an Anthropic error status`, async () => {
    h.mock.setHandler(() => textThen(pieces(), delayMs));
    const started = Date.now();
    const r = await h.post('/v1/messages', ask(false));
    assert.ok(Date.now() - started < PIECES * delayMs, `answered after ${Date.now() - started} ms`);
    assert.ok(r.status >= 500, `status ${r.status}: ${r.text.slice(0, 300)}`);
    assert.equal(r.json?.type, 'error');
    assert.match(r.json.error.message, /timeouts\.idle-ms/);
  });
}
