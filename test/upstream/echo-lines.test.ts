import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EchoLines } from '../../src/upstream/echo-lines.ts';
import { rng } from '../../bench/text.ts';

const TOOLS = Array.from({ length: 30 }, (_, i) => ({ type: 'function', name: `t${i}`, description: `é ${i} "quoted" {[ data: {"type":"response.created"} \n`, parameters: { type: 'object' } }));

function response(status: string, extra: Record<string, unknown> = {}) {
  return { id: 'resp_1', object: 'response', status, instructions: 'Be brief. 日本', output: [], tools: TOOLS, usage: null, ...extra };
}

const cutOf = (ev: { response: Record<string, unknown> }) => ({ ...ev, response: { ...ev.response, instructions: null, tools: [] } });
/** what a head event's line worth cutting becomes: its type alone (no consumer of the cut bytes reads the rest) */
const headOf = (ev: { type: string }) => ({ type: ev.type });
const created = { type: 'response.created', sequence_number: 0, response: response('in_progress') };
const progress = { type: 'response.in_progress', sequence_number: 1, response: response('in_progress') };
const queued = { type: 'response.queued', response: response('queued') };
const delta = { type: 'response.output_text.delta', sequence_number: 2, item_id: 'm', output_index: 0, content_index: 0, delta: 'data: {"type":"response.created"' };
const item = { type: 'response.output_item.done', sequence_number: 3, output_index: 0, item: { type: 'mcp_list_tools', tools: TOOLS } };
const completed = { type: 'response.completed', sequence_number: 4, response: response('completed', { usage: { input_tokens: 3, output_tokens: 1 } }) };
const failed = { type: 'response.failed', response: response('failed', { error: { code: 'x', message: 'y' } }) };
const reordered = { response: response('incomplete'), type: 'response.incomplete' }; // type not first: passed whole

/** Streams as the API sends them: [type, data, data as the cutter should hand it on]. */
function streams(): Array<Array<[string, unknown, unknown]>> {
  return [
    [
      ['response.queued', queued, headOf(queued)], ['response.created', created, headOf(created)], ['response.in_progress', progress, headOf(progress)],
      ['response.output_text.delta', delta, delta], ['response.output_item.done', item, item], ['response.completed', completed, cutOf(completed)],
    ],
    [['response.created', created, headOf(created)], ['response.output_text.delta', delta, delta], ['response.failed', failed, cutOf(failed)]],
    [['response.output_text.delta', delta, delta], ['response.incomplete', reordered, reordered]],
  ];
}

function sse(list: Array<[string, unknown]>, eol: string): string {
  return list.map(([type, data]) => `event: ${type}${eol}data: ${JSON.stringify(data)}${eol}${eol}`).join(`: keep-alive${eol}${eol}`);
}

function run(bytes: Buffer, sizes: () => number, maxLineBytes = 1 << 20): string {
  const lines = new EchoLines(maxLineBytes);
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length;) {
    const n = Math.max(1, sizes());
    out.push(...lines.push(bytes.subarray(i, i + n)));
    i += n;
  }
  out.push(...lines.end());
  return Buffer.concat(out).toString('utf8');
}

test('every chunking hands on the same bytes, the head lines as their type, the terminal lines cut, nothing else touched', () => {
  for (const [k, evs] of streams().entries()) for (const eol of ['\n', '\r\n']) {
    const input = Buffer.from(sse(evs.map(([t, d]) => [t, d]), eol));
    const expected = sse(evs.map(([t, , c]) => [t, c]), eol);
    if (k < 2) assert.ok(expected.length < input.length / 2);
    const random = rng(eol.length + k);
    for (const [name, sizes] of [
      ['whole', () => input.length],
      ['1 byte', () => 1],
      ['2 bytes', () => 2],
      ['7 bytes', () => 7],
      ['64 KB', () => 65536],
      ['random up to 40', () => Math.floor(random() * 40) + 1],
      ['random up to 3000', () => Math.floor(random() * 3000) + 1],
    ] as const) {
      assert.equal(run(input, sizes), expected, `stream ${k}, ${name}, ${JSON.stringify(eol)}`);
    }
  }
});

test('after the head, a chunk\'s last event is looked at, not one before it', () => {
  const after = { type: 'response.output_text.done', sequence_number: 9, item_id: 'm', output_index: 0, content_index: 0, text: 'late' };
  const input = Buffer.from(sse([['response.created', created], ['response.output_text.delta', delta], ['response.completed', completed], ['response.output_text.done', after]], '\n'));
  const expected = sse([['response.created', headOf(created)], ['response.output_text.delta', delta], ['response.completed', completed], ['response.output_text.done', after]], '\n');
  assert.equal(run(input, () => input.length), expected, 'completed is not its chunk\'s last event: passed whole, parsed whole');
  const split = input.indexOf('event: response.output_text.done');
  const lines = new EchoLines(1 << 20);
  const out = Buffer.concat([...lines.push(input.subarray(0, split)), ...lines.push(input.subarray(split)), ...lines.end()]).toString('utf8');
  assert.equal(out, sse([['response.created', headOf(created)], ['response.output_text.delta', delta], ['response.completed', cutOf(completed)], ['response.output_text.done', after]], '\n'));
});

test('a line too long to hold passes on uncut; a line cut short by the end passes on as it came', () => {
  const evs = streams()[0].filter(([t]) => t !== 'response.queued' && t !== 'response.created' && t !== 'response.in_progress');
  const input = Buffer.from(sse(evs.map(([t, d]) => [t, d]), '\n'));
  const lines = new EchoLines(300);
  const out: Buffer[] = [];
  for (let i = 0; i < input.length; i += 500) out.push(...lines.push(input.subarray(i, i + 500)));
  assert.equal(Buffer.concat([...out, ...lines.end()]).toString('utf8'), input.toString('utf8'), 'the terminal line is held past 300 bytes before it ends');
  assert.equal(lines.overlong, false, 'a held line is passed on, not refused');
  const done = Buffer.from(sse([[evs[evs.length - 1][0], evs[evs.length - 1][1]]], '\n'));
  const cutShort = done.subarray(0, done.indexOf('"tools"') + 30);
  assert.equal(run(cutShort, () => 100), cutShort.toString('utf8'));
  // the start of a marker at the very end
  const ending = Buffer.from('event: response.created\ndata: {"type":"resp');
  assert.equal(run(ending, () => 5), ending.toString('utf8'));
});

test('a head line is skipped as it comes: cut short by the end it leaves nothing, too long it marks the stream overlong', () => {
  const head = Buffer.from(sse([['response.created', created]], '\n'));
  const cutShort = head.subarray(0, head.indexOf('"tools"') + 30);
  for (const n of [1, 100, 1 << 16]) assert.equal(run(cutShort, () => n), 'event: response.created\n', `chunks of ${n}`);
  const lines = new EchoLines(300);
  const out: Buffer[] = [];
  for (let i = 0; i < head.length; i += 100) {
    out.push(...lines.push(head.subarray(i, i + 100)));
    if (i + 100 <= 300 + 'event: response.created\n'.length) assert.equal(lines.overlong, false, `${i + 100} bytes in`);
  }
  assert.equal(lines.overlong, true);
  assert.equal(Buffer.concat(out).toString('utf8').startsWith('event: response.created\n'), true);
  assert.ok(Buffer.concat(out).length < 100, 'nothing of the skipped line was passed on');
  // the bytes of a skipped line are never kept: one 64 KB chunk after another, the lines hold nothing
  const big = Buffer.from(sse([['response.created', { ...created, response: { ...created.response, instructions: 'x'.repeat(1 << 20) } }]], '\n'));
  const roomy = new EchoLines(16 << 20);
  const pieces: Buffer[] = [];
  for (let i = 0; i < big.length; i += 1 << 16) pieces.push(...roomy.push(big.subarray(i, i + (1 << 16))));
  assert.equal(Buffer.concat([...pieces, ...roomy.end()]).toString('utf8'), sse([['response.created', headOf(created)]], '\n'));
  assert.ok(pieces.every((p) => p.length < 100), 'only the event line, the replacement and the line breaks');
});

test('a short response line that ends in its chunk passes on whole: nothing worth cutting', () => {
  const small = { type: 'response.created', response: { id: 'resp_1', status: 'in_progress', instructions: 'Be brief.', tools: [{ type: 'function', name: 'a', parameters: {} }], output: [] } };
  const input = `event: response.created\ndata: ${JSON.stringify(small)}\n\n`;
  const lines = new EchoLines(1 << 20);
  const out = lines.push(Buffer.from(input));
  assert.equal(out.length, 1, 'one piece: the chunk itself');
  assert.equal(Buffer.concat([...out, ...lines.end()]).toString('utf8'), input);
  // a chunk that ends early in a delta's line: nothing kept back, a response line's start is
  for (const [tail, kept] of [['data: {"type":"response.output_te', 0], ['data: {"type":"response.compl', 29], ['data: {"type', 12]] as const) {
    const chunk = Buffer.from(`event: x\ndata: {}\n\n${tail}`);
    const pieces = lines.push(chunk);
    assert.equal(chunk.length - Buffer.concat(pieces).length, kept, tail);
    lines.end();
  }
});

test('a marker not at a line start is not a line', () => {
  const data = JSON.stringify({ type: 'response.created', response: response('in_progress') });
  const inline = Buffer.from(`event: x\nid: 1 data: ${data}\n\n`);
  for (const n of [1, 9, 1 << 16]) assert.equal(run(inline, () => n), inline.toString('utf8'), `chunks of ${n}`);
  // the same line after a chunk that ended mid-line
  const split = Buffer.from(`: comment data: ${data}\n\ndata: ${data}\n\n`);
  const once = `: comment data: ${data}\n\ndata: ${JSON.stringify({ type: 'response.created' })}\n\n`;
  for (const n of [10, 11, 16, 17, 1 << 16]) assert.equal(run(split, () => n), once, `chunks of ${n}`);
});
