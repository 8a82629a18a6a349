import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createResponsesEventDecoder, SseProtocolError } from '../../src/upstream/sse-events.ts';
import type { ResponsesEvent } from '../../src/wire/responses-stream.ts';

function decodeAll(chunks: Array<string | Uint8Array>): ResponsesEvent[] {
  const d = createResponsesEventDecoder();
  const out: ResponsesEvent[] = [];
  for (const c of chunks) out.push(...d.push(c));
  out.push(...d.end());
  return out;
}

const delta = (text: string, seq: number): ResponsesEvent => ({ type: 'response.output_text.delta', sequence_number: seq, delta: text });
const sse = (evs: ResponsesEvent[], eol = '\n'): string => evs.map((e) => `event: ${e.type}${eol}data: ${JSON.stringify(e)}${eol}${eol}`).join('');

test('decodes whole events in order', () => {
  const evs = [delta('a', 0), delta('b', 1), { type: 'response.completed', sequence_number: 2, response: { id: 'resp_1' } }];
  assert.deepEqual(decodeAll([sse(evs)]), evs);
});

test('byte-by-byte chunks, multi-byte UTF-8 split across chunks, CRLF line ends', () => {
  const evs = [delta('héllo wörld ', 0), delta('日本語のテキスト ', 1), delta('emoji 🎉🚀 done', 2)];
  for (const eol of ['\n', '\r\n']) {
    const bytes = Buffer.from(sse(evs, eol), 'utf8');
    const chunks = Array.from(bytes, (b) => Uint8Array.of(b));
    assert.deepEqual(decodeAll(chunks), evs, `eol ${JSON.stringify(eol)}`);
  }
});

test('chunks split at every position of a two-event body', () => {
  const evs = [delta('über 🎉', 0), delta('second', 1)];
  const bytes = Buffer.from(sse(evs), 'utf8');
  for (let cut = 1; cut < bytes.length; cut++) {
    assert.deepEqual(decodeAll([bytes.subarray(0, cut), bytes.subarray(cut)]), evs, `cut at ${cut}`);
  }
});

test('ignores comments, keep-alives, empty data and [DONE]', () => {
  const body = `: keep-alive\n\n${sse([delta('x', 0)])}:ping\n\ndata:\n\ndata: [DONE]\n\n`;
  assert.deepEqual(decodeAll([body]), [delta('x', 0)]);
});

test('uses the event name as type when the data lacks one', () => {
  const out = decodeAll(['event: response.completed\ndata: {"response":{"id":"r"}}\n\n']);
  assert.deepEqual(out, [{ type: 'response.completed', response: { id: 'r' } }]);
});

test('the data type wins over the event name', () => {
  const out = decodeAll(['event: message\ndata: {"type":"response.created"}\n\n']);
  assert.equal(out[0].type, 'response.created');
});

test('a last event without its blank line is still delivered', () => {
  assert.deepEqual(decodeAll(['data: {"type":"response.completed"}\n']), [{ type: 'response.completed' }]);
  assert.deepEqual(decodeAll(['data: {"type":"response.completed"}']), [{ type: 'response.completed' }]);
});

test('a body cut mid-event drops the fragment (no terminal event follows)', () => {
  assert.deepEqual(decodeAll([`${sse([delta('a', 0)])}data: {"type":"response.compl`]), [delta('a', 0)]);
});

test('malformed JSON, non-object data, and untyped data are protocol errors', () => {
  const cases: Array<[string, RegExp]> = [
    ['data: {not json}\n\n', /malformed JSON/],
    ['data: [1,2]\n\n', /not a JSON object/],
    ['data: "text"\n\n', /not a JSON object/],
    ['data: {"x":1}\n\n', /neither a "type" field nor an event name/],
  ];
  for (const [body, msg] of cases) {
    const d = createResponsesEventDecoder();
    assert.throws(() => d.push(body), (e: unknown) => e instanceof SseProtocolError && msg.test(e.message), body);
  }
});

test('events before a malformed one are not lost when pushed separately', () => {
  const d = createResponsesEventDecoder();
  assert.deepEqual(d.push(sse([delta('ok', 0)])), [delta('ok', 0)]);
  assert.throws(() => d.push('data: {oops\n\n'), SseProtocolError);
  assert.throws(() => d.push(sse([delta('after', 1)])), SseProtocolError, 'stays failed');
});

test('good events in the same chunk as a malformed one come out first, then the error', () => {
  const d = createResponsesEventDecoder();
  assert.deepEqual(d.push(`${sse([delta('ok', 0)])}data: {oops\n\n`), [delta('ok', 0)]);
  assert.ok(d.failure instanceof SseProtocolError);
  assert.throws(() => d.end(), SseProtocolError);
});

test('cutEchoedRequest: head events as their type, terminal response objects without the request they echo, byte by byte too; other events whole', () => {
  const tools = Array.from({ length: 40 }, (_, i) => ({ type: 'function', name: `t${i}`, description: `does ${i} {[" things`, parameters: { type: 'object' } }));
  const response = (status: string) => ({ id: 'resp_1', status, instructions: 'Be brief. '.repeat(100), tools, output: [], usage: status === 'completed' ? { input_tokens: 5, output_tokens: 1 } : null });
  const evs: ResponsesEvent[] = [
    { type: 'response.created', sequence_number: 0, response: response('in_progress') },
    delta('hi', 1),
    { type: 'response.output_item.done', sequence_number: 2, output_index: 0, item: { type: 'mcp_list_tools', tools } },
    { type: 'response.completed', sequence_number: 3, response: response('completed') },
  ];
  // the head event as its type alone, the terminal one without the request it echoes
  const without = evs.map((e) => (e.type === 'response.created' ? { type: e.type } : e.response ? { ...e, response: { ...e.response, instructions: null, tools: [] } } : e));
  const bytes = Buffer.from(sse(evs), 'utf8');
  for (const options of [{ cutEchoedRequest: true }, { cutEchoedRequest: true, joinDeltas: true }]) {
    for (const size of [bytes.length, 1000, 7]) {
      const d = createResponsesEventDecoder(options);
      const out: ResponsesEvent[] = [];
      for (let i = 0; i < bytes.length; i += size) out.push(...d.push(bytes.subarray(i, i + size)));
      out.push(...d.end());
      assert.deepEqual(out, without, `${JSON.stringify(options)}, chunks of ${size}`);
    }
  }
  assert.deepEqual(decodeAll([bytes]), evs, 'without the option, the events as sent');
});

test('cutEchoedRequest: a head event skipped past 16 MiB fails as any event that large does; the events before it come first', () => {
  const d = createResponsesEventDecoder({ cutEchoedRequest: true });
  const before = d.push(Buffer.from(sse([delta('a', 0)]) + 'event: response.created\ndata: {"type":"response.created","response":{"instructions":"'));
  assert.deepEqual(before, [delta('a', 0)]);
  const mb = Buffer.alloc(1 << 20, 'x');
  let error: unknown;
  let pushed = 0;
  for (; pushed < 17 && error === undefined; pushed++) {
    try {
      assert.deepEqual(d.push(mb), []);
    } catch (e) {
      error = e;
    }
  }
  assert.equal(pushed, 16, 'refused once the skipped line passed 16 MiB, not before');
  assert.ok(error instanceof SseProtocolError && /larger than 16 MiB/.test(error.message), String(error));
  // a head line that ends in time is its type alone
  const ok = createResponsesEventDecoder({ cutEchoedRequest: true });
  const big = `event: response.in_progress\ndata: ${JSON.stringify({ type: 'response.in_progress', sequence_number: 1, response: { id: 'r', instructions: 'y'.repeat(3 << 20), tools: [] } })}\n\n`;
  const got: ResponsesEvent[] = [];
  for (let i = 0; i < big.length; i += 1 << 16) got.push(...ok.push(Buffer.from(big.slice(i, i + (1 << 16)))));
  got.push(...ok.end());
  assert.deepEqual(got, [{ type: 'response.in_progress' }]);
});
