// readBodyBytes: a request body read into memory every request reuses. What fastify's rawBody did (the body limit,
// a content-length that does not match, a stream error) with fastify's error codes; and what the reuse must never
// do: let a body read later change what an earlier one was parsed into.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { readBodyBytes, SHARED_BODY_MAX } from '../../src/server/body-bytes.ts';
import { parseJsonBytes } from '../../src/server/json-body.ts';
import { RepeatedTailCache } from '../../src/server/repeated-tail.ts';

type Outcome = { bytes: Buffer; copy: string } | { error: Error & { code?: string; statusCode?: number } };

/** Feeds `chunks` (then an end, or `error`) and resolves with what readBodyBytes gave. */
function read(chunks: Array<string | Buffer>, opts: { contentLength?: number | 'none'; limit?: number; error?: Error } = {}): Promise<Outcome> {
  const stream = new PassThrough();
  const total = chunks.reduce((n, c) => n + Buffer.byteLength(c), 0);
  const cl = opts.contentLength === 'none' ? undefined : String(opts.contentLength ?? total);
  return new Promise((resolve) => {
    readBodyBytes({ 'content-length': cl }, stream, opts.limit ?? 1024 * 1024,
      (bytes) => resolve({ bytes, copy: bytes.toString('latin1') }),
      (error) => resolve({ error }));
    for (const c of chunks) stream.write(c);
    if (opts.error) stream.destroy(opts.error);
    else stream.end();
  });
}

describe('reading a body', () => {
  const cases: Array<{ name: string; chunks: string[]; opts?: Parameters<typeof read>[1]; bytes?: string; code?: string; status?: number }> = [
    { name: 'one chunk', chunks: ['{"a":1}'], bytes: '{"a":1}' },
    { name: 'many chunks, joined in order', chunks: ['{"a"', ':', '[1,2', ']}'], bytes: '{"a":[1,2]}' },
    { name: 'no content-length (chunked)', chunks: ['{"b"', ':2}'], opts: { contentLength: 'none' }, bytes: '{"b":2}' },
    { name: 'empty', chunks: [], bytes: '' },
    { name: 'exactly the limit', chunks: ['x'.repeat(100)], opts: { limit: 100 }, bytes: 'x'.repeat(100) },
    { name: 'declared over the limit: refused before reading', chunks: ['x'], opts: { contentLength: 101, limit: 100 }, code: 'FST_ERR_CTP_BODY_TOO_LARGE', status: 413 },
    { name: 'chunked past the limit', chunks: ['x'.repeat(60), 'x'.repeat(60)], opts: { contentLength: 'none', limit: 100 }, code: 'FST_ERR_CTP_BODY_TOO_LARGE', status: 413 },
    { name: 'shorter than its content-length', chunks: ['{"a":1}'], opts: { contentLength: 20 }, code: 'FST_ERR_CTP_INVALID_CONTENT_LENGTH', status: 400 },
    { name: 'longer than its content-length', chunks: ['{"a":1}'], opts: { contentLength: 3 }, code: 'FST_ERR_CTP_INVALID_CONTENT_LENGTH', status: 400 },
    { name: 'a stream error: 400', chunks: ['{"a'], opts: { error: new Error('aborted') }, status: 400 },
    { name: 'a stream error with its own status keeps it', chunks: ['{"a'], opts: { error: Object.assign(new Error('too slow'), { statusCode: 408 }) }, status: 408 },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const out = await read(c.chunks, c.opts);
      if (c.bytes !== undefined) {
        assert.ok('bytes' in out, `expected bytes, got ${'error' in out ? out.error.message : ''}`);
        assert.equal(out.copy, c.bytes);
        assert.equal(out.bytes.length, Buffer.byteLength(c.bytes));
      } else {
        assert.ok('error' in out, 'expected an error');
        if (c.code) assert.equal(out.error.code, c.code);
        assert.equal(out.error.statusCode, c.status);
      }
    });
  }

  test('a parser that throws fails the request instead of the process', async () => {
    const stream = new PassThrough();
    const failed = await new Promise<Error>((resolve) => {
      readBodyBytes({}, stream, 1024, () => { throw new Error('parser bug'); }, resolve);
      stream.end('{}');
    });
    assert.equal(failed.message, 'parser bug');
  });
});

describe('the shared buffer', () => {
  test('bodies up to the cap share one memory, each seen at its own length; a larger one gets its own', async () => {
    const a = await read(['A'.repeat(5000)]);
    const b = await read(['B'.repeat(300)]);
    assert.ok('bytes' in a && 'bytes' in b);
    assert.equal(b.bytes.length, 300);
    assert.equal(b.bytes.buffer, a.bytes.buffer, 'the same memory');
    assert.equal(a.copy, 'A'.repeat(5000), 'what the parser saw when it ran');
    const big = await read([Buffer.alloc(SHARED_BODY_MAX + 1, 0x43)], { limit: 2 * SHARED_BODY_MAX });
    assert.ok('bytes' in big);
    assert.notEqual(big.bytes.buffer, a.bytes.buffer);
    assert.equal(big.bytes.length, SHARED_BODY_MAX + 1);
  });

  // The soundness of the reuse: Claude Code-shaped sessions (a repeated tail, messages growing turn by turn, so
  // the tail cache shares tails and previous heads), two of them interleaved, every body read into the shared
  // memory and parsed there. Every value kept must still be JSON.parse of its own text after all the others.
  test('values parsed from it do not change when later bodies are read into it', async () => {
    const cache = new RepeatedTailCache({ minTailBytes: 256 });
    const tail = (n: number) => ({ system: [{ type: 'text', text: `system ${n} `.repeat(200) }], tools: [{ name: `Tool${n}`, description: 'd'.repeat(500), input_schema: { type: 'object' } }], max_tokens: 32000, stream: true });
    const sessions = [0, 1].map((n) => ({ tail: tail(n), messages: [] as unknown[] }));
    const kept: Array<{ text: string; value: unknown }> = [];
    for (let turn = 0; turn < 8; turn++) {
      for (const s of sessions) {
        s.messages.push({ role: 'user', content: `question ${turn} ✓ ${'q'.repeat(turn * 50)}` });
        // now and then an earlier message changes (an edit, a compaction): a head kept as a view of this memory
        // would look unchanged and lend the old message's parsed value
        if (turn % 3 === 2) s.messages[0] = { role: 'user', content: `question 0, edited at turn ${turn}` };
        const text = JSON.stringify({ model: 'claude-sonnet-4-5', messages: s.messages, ...s.tail });
        // split anywhere: the socket's chunks are arbitrary
        const bytes = Buffer.from(text);
        const cut = Math.floor(bytes.length / 3);
        const value = await new Promise<unknown>((resolve, reject) => {
          const stream = new PassThrough();
          readBodyBytes({ 'content-length': String(bytes.length) }, stream, 1024 * 1024, (b) => {
            const r = parseJsonBytes(b, cache);
            if (r.ok) resolve(r.value); else reject(new Error(r.message));
          }, reject);
          stream.write(bytes.subarray(0, cut));
          stream.end(bytes.subarray(cut));
        });
        kept.push({ text, value });
        s.messages.push({ role: 'assistant', content: [{ type: 'text', text: `answer ${turn}` }] });
      }
    }
    for (const { text, value } of kept) assert.equal(JSON.stringify(value), text);
    const stats = cache.stats();
    assert.ok(stats.hits >= 12 && stats.headHits >= 8, `the tails and heads were shared: ${JSON.stringify(stats)}`);
  });

  // the captured Claude Code requests, when present: the same check on the real shapes
  const dirs = [fileURLToPath(new URL('../fixtures/captured/claude-code-2.1.332/', import.meta.url))].filter((d) => existsSync(d));
  test('the captured Claude Code requests, each twice, read into the same memory: JSON.parse\'s values', { skip: dirs.length === 0 }, async () => {
    const cache = new RepeatedTailCache();
    const texts = dirs.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(join(d, f), 'utf8')).body))
      .filter((b) => b && Array.isArray(b.messages)).flatMap((b) => [JSON.stringify(b), JSON.stringify(b)]);
    assert.ok(texts.length >= 10);
    const values: unknown[] = [];
    for (const text of texts) {
      const out = await new Promise<unknown>((resolve, reject) => {
        const stream = new PassThrough();
        readBodyBytes({}, stream, 32 * 1024 * 1024, (b) => { const r = parseJsonBytes(b, cache); if (r.ok) resolve(r.value); else reject(new Error(r.message)); }, reject);
        stream.end(text);
      });
      values.push(out);
    }
    texts.forEach((t, i) => assert.equal(JSON.stringify(values[i]), t));
  });
});
