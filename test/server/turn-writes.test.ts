// TurnWrites on a real HTTP response over 127.0.0.1: what one event-loop turn queues leaves in one socket write,
// in order, with the end of the body when the response ends; back-pressure is reported; a response that is gone
// takes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setImmediate as turn } from 'node:timers/promises';
import { TurnWrites } from '../../src/server/turn-writes.ts';

/** Serves one request with `handle` and returns the body the client read and the socket writes the response made. */
async function serve(handle: (res: ServerResponse, writes: string[]) => Promise<void>): Promise<{ body: string; writes: string[] }> {
  const writes: string[] = [];
  let failed: unknown;
  const server = createServer((req, res) => {
    type Writev = (chunks: Array<{ chunk: Buffer | string }>, cb: unknown) => unknown;
    type Write = (chunk: Buffer | string, enc: unknown, cb: unknown) => unknown;
    const socket = res.socket as unknown as { _writev: Writev; _write: Write };
    const writev = socket._writev.bind(socket);
    const write = socket._write.bind(socket);
    socket._writev = (chunks: Array<{ chunk: Buffer | string }>, cb: unknown) => {
      writes.push(chunks.map((c) => c.chunk.toString()).join(''));
      return writev(chunks, cb);
    };
    socket._write = (chunk: Buffer | string, enc: unknown, cb: unknown) => {
      writes.push(chunk.toString());
      return write(chunk, enc, cb);
    };
    res.writeHead(200, { 'content-type': 'text/plain' });
    handle(res, writes).catch((e) => { failed = e; res.destroy(e); });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  try {
    const body = await new Promise<string>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
        let s = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => { s += d; });
        res.on('end', () => resolve(s));
        res.on('error', reject);
      }).on('error', reject).end();
    });
    return { body, writes };
  } catch (e) {
    throw failed ?? e;
  } finally {
    server.close();
  }
}

test('pieces queued in one turn leave in one socket write, in order; the next turn\'s in another', async () => {
  const { body, writes } = await serve(async (res, w) => {
    const t = new TurnWrites(res);
    res.write('head;'); // the opening goes out by itself, as the relay's commit does
    res.socket!.uncork();
    await turn();
    const before = w.length;
    assert.equal(t.write('a;'), true);
    await Promise.resolve();
    t.write(Buffer.from('b;'));
    process.nextTick(() => t.write('c;'));
    await turn();
    assert.equal(w.length, before + 1, 'one socket write for the turn');
    assert.match(w.at(-1)!, /a;[\s\S]*b;[\s\S]*c;/);
    t.write('d;');
    await turn();
    assert.equal(w.length, before + 2);
    t.end('e;');
  });
  assert.equal(body, 'head;a;b;c;d;e;');
  assert.match(writes.at(-1)!, /e;\r\n0\r\n\r\n$/, 'the last piece leaves with the end of the body');
});

test('end() takes what the turn queued and the last piece into the same write as the end of the body', async () => {
  const { body, writes } = await serve(async (res) => {
    res.write('head;');
    res.socket!.uncork();
    await turn();
    const t = new TurnWrites(res);
    t.write('x;');
    t.write(Buffer.from('y;'));
    t.end(Buffer.from('z;'));
    t.flush(); // the turn's own flush after the end has nothing to do
  });
  assert.equal(body, 'head;x;y;z;');
  assert.match(writes.at(-1)!, /x;[\s\S]*y;[\s\S]*z;\r\n0\r\n\r\n$/);
  assert.equal(writes.filter((w) => w.includes('x;')).length, 1);
});

test('end() with nothing queued ends the body; a response already ended or destroyed takes nothing', async () => {
  const { body } = await serve(async (res) => {
    const t = new TurnWrites(res);
    t.end();
    t.write('late;');
    t.end('later;');
    await turn();
  });
  assert.equal(body, '');
  // destroyed: the queued piece is dropped at the end of the turn, without an error
  const server = createServer((_req, res) => {
    const t = new TurnWrites(res);
    t.write('never;');
    res.destroy();
    setImmediate(() => { t.flush(); server.close(); });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const err = await new Promise<Error>((resolve) => request({ host: '127.0.0.1', port, agent: false }, () => resolve(new Error('answered'))).on('error', resolve).end());
  assert.match(err.message, /socket hang up|ECONNRESET/);
});

test('write() reports back-pressure: false once the socket is over its high-water mark', async () => {
  await serve(async (res) => {
    const t = new TurnWrites(res);
    const big = 'x'.repeat(4 * 1024 * 1024);
    t.write(big);
    await turn();
    // the 4 MB could not all leave at once (the client reads it after this handler): the next write must wait
    assert.equal(t.write('y'), false);
    await new Promise((r) => res.once('drain', r));
    t.end();
  });
});
