// The bench's load generator: MarkerScan finds what a whole-stream search finds, however the stream is cut.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MarkerScan } from '../../bench/load-worker.ts';

const markers = ['event: response.completed', 'event: error\n', 'event: response.failed', 'event: response.output_text.delta', '"text_delta"'];

function expected(stream: Buffer): boolean[] {
  return markers.map((m) => stream.indexOf(m) >= 0);
}

function scanIn(stream: Buffer, cuts: number[]): boolean[] {
  const scan = new MarkerScan(markers);
  let from = 0;
  for (const at of [...cuts, stream.length]) {
    scan.feed(stream.subarray(from, at));
    from = at;
  }
  return scan.found;
}

const streams: Array<[string, string]> = [
  ['a text reply', 'event: response.created\ndata: {"tools":[{"description":"prints event: x"}]}\n\nevent: response.output_text.delta\ndata: {"delta":"hi"}\n\nevent: response.completed\ndata: {}\n\n'],
  ['an error event', 'event: response.created\ndata: {}\n\nevent: error\ndata: {"type":"error"}\n\n'],
  ['a failed response', 'event: response.in_progress\ndata: {}\n\nevent: response.failed\ndata: {}\n\n'],
  ['names without their event line (not markers)', 'data: {"type":"response.completed","note":"event: response.complete"}\n\n'],
  ['an Anthropic text delta', 'event: content_block_delta\ndata: {"delta":{"type":"text_delta","text":"x"}}\n\nevent: message_stop\ndata: {}\n\n'],
  ['a marker at the very start and one at the very end', 'event: error\nevent: response.completed'],
];

test('MarkerScan: every cut into two pieces finds exactly what a search of the whole stream finds', () => {
  for (const [name, text] of streams) {
    const b = Buffer.from(text);
    const want = expected(b);
    assert.ok(want.some(Boolean) || name.startsWith('names without'), `${name}: the case holds a marker`);
    for (let cut = 0; cut <= b.length; cut++) assert.deepEqual(scanIn(b, [cut]), want, `${name}, cut at ${cut}`);
  }
});

test('MarkerScan: byte by byte, three-way cuts and random chunkings find the same', () => {
  let seed = 7;
  const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
  for (const [name, text] of streams) {
    const b = Buffer.from(text);
    const want = expected(b);
    assert.deepEqual(scanIn(b, Array.from({ length: b.length - 1 }, (_, i) => i + 1)), want, `${name}, byte by byte`);
    for (let i = 0; i < b.length; i += 3) for (let j = i; j < b.length; j += 5) assert.deepEqual(scanIn(b, [i, j]), want, `${name}, cut at ${i} and ${j}`);
    for (let round = 0; round < 50; round++) {
      const cuts = Array.from({ length: 1 + rnd(8) }, () => rnd(b.length + 1)).sort((x, y) => x - y);
      assert.deepEqual(scanIn(b, cuts), want, `${name}, cuts ${cuts.join(',')}`);
    }
  }
});

test('MarkerScan: a long echo with no event line between the markers', () => {
  const echo = '{"name":"Bash","description":"' + 'x'.repeat(70_000) + '"}';
  const b = Buffer.from(`event: response.created\ndata: ${echo}\n\nevent: response.output_text.delta\ndata: {}\n\nevent: response.completed\ndata: ${echo}\n\n`);
  const cuts = [];
  for (let at = 65_536; at < b.length; at += 65_536) cuts.push(at);
  assert.deepEqual(scanIn(b, cuts), [true, false, false, true, false]);
});

test('MarkerScan: an event marker counts at a line start only, not as text inside a data line', () => {
  const b = Buffer.from('event: response.created\ndata: {"instructions":"never print event: response.completed or event: error"}\n\n');
  for (let cut = 0; cut <= b.length; cut++) assert.deepEqual(scanIn(b, [cut]), [false, false, false, false, false], `cut at ${cut}`);
  const quoted = Buffer.from('data: {"delta":{"type":"text_delta"}}\n\n');
  assert.deepEqual(scanIn(quoted, [10]), [false, false, false, false, true], 'a marker that names no event is found anywhere');
});
