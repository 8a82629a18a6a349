// Admission under saturation (src/server/admission.ts), on a real node:http server and raw keep-alive sockets on
// 127.0.0.1: which connections wait in the kernel, and every way they are let go again. The loop's busy share is
// driven by the test (the rules, not this machine's load, are under test).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify from 'fastify';
import { Admission, installAdmission } from '../../src/server/admission.ts';

interface Rig {
  /** a raw keep-alive connection to the server, closed with the rig */
  conn(): Promise<Conn>;
  server: Server;
  admission: Admission;
  port: number;
  /** requests the handler has seen, by path */
  seen: string[];
  /** answers the held request with this path */
  answer(path: string): void;
  busy: { share: number };
  parks: { n: number };
  close(): Promise<void>;
}

/** A server whose handler holds every request whose path starts with /hold until answer(path); others at once. */
async function rig(opts: { queueAt: number; maxParkMs?: number; busy?: number }): Promise<Rig> {
  const busy = { share: opts.busy ?? 1 };
  const parks = { n: 0 };
  const seen: string[] = [];
  const held = new Map<string, ServerResponse>();
  const server = createServer({ keepAlive: true }, (req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '';
    seen.push(path);
    req.resume();
    req.on('end', () => {
      if (path.startsWith('/hold')) held.set(path, res);
      else res.end(`ok ${path}\n`);
    });
  });
  const admission = new Admission({ queueAt: () => opts.queueAt, maxParkMs: opts.maxParkMs, busyShare: () => busy.share, onPark: () => { parks.n++; } });
  admission.attach(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const conns: Conn[] = [];
  return {
    async conn() { const c = await conn(port); conns.push(c); return c; },
    server, admission, port, seen, busy, parks,
    answer(path) {
      const res = held.get(path);
      assert.ok(res, `no held request ${path}`);
      held.delete(path);
      res.end(`ok ${path}\n`);
    },
    async close() {
      for (const c of conns) c.socket.destroy();
      admission.close();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

interface Conn { socket: Socket; send(path: string): void; replies: string[]; until(n: number, ms?: number): Promise<void>; raw(): string; closed(): boolean }

/** A raw keep-alive connection: send() writes requests, replies() collects complete answers. */
async function conn(port: number): Promise<Conn> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const replies: string[] = [];
  let buf = '';
  let all = '';
  let closed = false;
  socket.on('close', () => { closed = true; });
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => {
    all += d;
    buf += d;
    for (let m = /ok (\S+)/.exec(buf); m; m = /ok (\S+)/.exec(buf)) {
      replies.push(m[1]);
      buf = buf.slice(m.index + m[0].length);
    }
  });
  return {
    socket,
    replies,
    raw: () => all,
    closed: () => closed,
    send(path) { socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n`); },
    async until(n, ms = 2000) {
      const end = Date.now() + ms;
      while (replies.length < n) {
        if (Date.now() > end) throw new Error(`only ${replies.length} of ${n} replies: ${replies.join(', ')}`);
        await sleep(5);
      }
    },
  };
}

/** Lets the admission's clock take a sample with the current busy share (it samples every 20 ms). */
const aSample = () => sleep(60);

/** Runs `body` on a fresh rig, closed (with its connections) afterwards. */
async function withRig(opts: Parameters<typeof rig>[0], body: (r: Rig) => Promise<void>): Promise<void> {
  const r = await rig(opts);
  try {
    await body(r);
  } finally {
    await r.close();
  }
}

/** `/hold-a` in flight on its own connection, and the loop sampled as saturated since. */
async function holdOne(r: Rig): Promise<Conn> {
  const a = await r.conn();
  a.send('/hold-a');
  while (r.seen.length < 1) await sleep(5);
  await aSample();
  return a;
}

/** A new connection per path, each sending its request, then a moment for them to be read (or not). */
async function sendEach(r: Rig, ...paths: string[]): Promise<Conn[]> {
  const out: Conn[] = [];
  for (const p of paths) {
    const c = await r.conn();
    c.send(p);
    out.push(c);
    await sleep(20);
  }
  await sleep(80);
  return out;
}

describe('admission under saturation', () => {
  test('saturated and at the threshold: a new connection waits unread until a request finishes, then goes first', () => withRig({ queueAt: 1 }, async (r) => {
    const a = await holdOne(r);
    const [b] = await sendEach(r, '/b');
    assert.deepEqual(r.seen, ['/hold-a'], 'the second connection was read while saturated at the threshold');
    assert.equal(r.admission.parked, 1);
    assert.equal(r.parks.n, 1);
    r.answer('/hold-a');
    await a.until(1);
    await b.until(1);
    assert.deepEqual(r.seen, ['/hold-a', '/b']);
    // the loop still counts as saturated (the test holds it there): a connection whose reply went out waits
    // behind the one already waiting, so the two take turns and one of them is always parked
    assert.equal(r.admission.inFlight, 0);
    assert.equal(r.admission.parked, 1);
    r.busy.share = 0.2;
    await aSample();
    assert.equal(r.admission.parked, 0);
  }));

  for (const c of [
    { name: 'not saturated: nothing waits, however many requests are in flight', opts: { queueAt: 1, busy: 0.3 } },
    { name: 'limits.saturation-queue-at 0: never parks', opts: { queueAt: 0 } },
  ]) {
    test(c.name, () => withRig(c.opts, async (r) => {
      await holdOne(r);
      const [b] = await sendEach(r, '/b');
      await b.until(1);
      assert.equal(r.parks.n, 0);
      r.answer('/hold-a');
    }));
  }

  test('a keep-alive connection whose reply went out while saturated waits for its next request to be read', () => withRig({ queueAt: 1 }, async (r) => {
    const a = await r.conn(); // connected before anything was in flight: not parked
    await holdOne(r);
    a.send('/a1');
    await a.until(1);
    // /a1's reply went out with /hold-a in flight and the loop saturated: the connection was parked then
    assert.equal(r.admission.parked, 1);
    a.send('/a2');
    await sleep(150);
    assert.deepEqual(r.seen, ['/hold-a', '/a1']);
    r.answer('/hold-a');
    await a.until(2);
    assert.deepEqual(a.replies, ['/a1', '/a2']);
  }));

  test('released in the order parked, one per finished request', () => withRig({ queueAt: 2 }, async (r) => {
    const [h1] = await sendEach(r, '/hold-1', '/hold-2');
    await aSample();
    const [x, y] = await sendEach(r, '/x', '/y');
    assert.equal(r.admission.parked, 2);
    r.answer('/hold-1');
    await h1.until(1);
    await x.until(1);
    // /x finished with /hold-2 in flight: below the threshold of 2, so /y goes next (and /x waits behind it)
    await y.until(1);
    assert.deepEqual(r.seen, ['/hold-1', '/hold-2', '/x', '/y']);
    r.answer('/hold-2');
  }));

  test('a connection never overtakes those already waiting, even with room below the threshold', () => withRig({ queueAt: 2 }, async (r) => {
    const [h1] = await sendEach(r, '/hold-1', '/hold-2');
    await aSample();
    await r.conn(); // parked, and never sends anything
    const [x] = await sendEach(r, '/x');
    assert.equal(r.admission.parked, 2);
    r.answer('/hold-1'); // lets the idle connection go: one in flight, /x still waiting
    await h1.until(1);
    await sleep(20);
    assert.equal(r.admission.inFlight, 1);
    const [z] = await sendEach(r, '/z');
    assert.deepEqual(r.seen, ['/hold-1', '/hold-2'], 'a new connection was read before /x, which waited longer');
    r.busy.share = 0.2; // the loop goes idle: everyone is let go
    await x.until(1);
    await z.until(1);
    assert.deepEqual(r.seen.slice(2).sort(), ['/x', '/z']);
    r.answer('/hold-2');
  }));

  test('a long request does not hold the others: a parked connection goes after maxParkMs whatever happens', () => withRig({ queueAt: 1, maxParkMs: 150 }, async (r) => {
    await holdOne(r);
    const b = await r.conn();
    const t0 = Date.now();
    b.send('/b');
    await b.until(1);
    const waited = Date.now() - t0;
    assert.ok(waited >= 100 && waited < 1000, `waited ${waited} ms`);
    r.answer('/hold-a');
  }));

  test('the loop going idle lets every parked connection go', () => withRig({ queueAt: 1 }, async (r) => {
    await holdOne(r);
    const [b, c] = await sendEach(r, '/b', '/c');
    assert.equal(r.admission.parked, 2);
    r.busy.share = 0.2;
    // at the next sample, well before the 1 s any parked connection waits at most
    await b.until(1, 500);
    await c.until(1, 500);
    assert.equal(r.admission.parked, 0);
    r.answer('/hold-a');
  }));

  test('a connection with a pipelined request in flight is never parked', () => withRig({ queueAt: 1 }, async (r) => {
    const p = await r.conn(); // connected before anything was in flight: not parked
    await holdOne(r);
    // /p1 and the head of /p2 in one write: node:http starts both at once; /p1's reply goes out saturated at the
    // threshold, but /p2 is still in flight on the connection, whose body comes later and must be read without
    // waiting for /hold-a or the 1 s
    p.socket.write('GET /p1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nPOST /p2 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n\r\n');
    await p.until(1);
    await sleep(50);
    p.socket.write('hello');
    await p.until(2, 500);
    assert.deepEqual(p.replies, ['/p1', '/p2']);
    assert.deepEqual(r.seen, ['/hold-a', '/p1', '/p2']);
    r.answer('/hold-a');
  }));

  test('a parked connection whose client went away does not hold up the ones behind it', () => withRig({ queueAt: 1 }, async (r) => {
    await holdOne(r);
    const [gone, b] = await sendEach(r, '/gone', '/b');
    assert.equal(r.admission.parked, 2);
    gone.socket.destroy();
    await sleep(20);
    r.answer('/hold-a');
    await b.until(1);
    assert.deepEqual(r.seen.filter((p) => p !== '/gone'), ['/hold-a', '/b']);
  }));

  test('close() (the server shutting down) lets every parked connection go at once', () => withRig({ queueAt: 1 }, async (r) => {
    await holdOne(r);
    const [b, c] = await sendEach(r, '/b', '/c');
    assert.equal(r.admission.parked, 2);
    r.admission.close();
    await b.until(1);
    await c.until(1);
    assert.equal(r.admission.parked, 0);
    assert.equal(r.admission.sampling, false);
    r.answer('/hold-a');
  }));

  test('the clock runs only while something is in flight or parked', () => withRig({ queueAt: 1 }, async (r) => {
    assert.equal(r.admission.sampling, false);
    const a = await r.conn();
    a.send('/hold-a');
    while (r.seen.length < 1) await sleep(5);
    assert.equal(r.admission.sampling, true);
    assert.equal(r.admission.inFlight, 1);
    r.answer('/hold-a');
    await a.until(1);
    assert.equal(r.admission.inFlight, 0);
    await aSample(); // it stops at the next sample
    assert.equal(r.admission.sampling, false);
  }));

  test('the app closing: a parked connection is let go and its request answered (503 while closing), not cut', async () => {
    const app = Fastify({ return503OnClosing: true, forceCloseConnections: 'idle' });
    let release = (): void => {};
    const held = new Promise<void>((resolve) => { release = resolve; });
    app.get('/hold', async () => { await held; return 'ok /hold\n'; });
    app.get('/b', async () => 'ok /b\n');
    const admission = installAdmission(app, { queueAt: () => 1, busyShare: () => 1 });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as { port: number }).port;
    const a = await conn(port);
    try {
      a.send('/hold');
      while (admission.inFlight < 1) await sleep(5);
      await aSample();
      const c = await conn(port); // parked on connect
      c.send('/b');
      await sleep(100);
      assert.equal(admission.parked, 1);
      const closing = app.close();
      const end = Date.now() + 2000;
      while (!/^HTTP\/1\.1 \d{3}/.test(c.raw()) && !c.closed() && Date.now() < end) await sleep(5);
      assert.match(c.raw(), /^HTTP\/1\.1 503 /, `the parked request got ${c.closed() ? 'its connection closed' : 'nothing'}: ${JSON.stringify(c.raw())}`);
      assert.equal(admission.parked, 0);
      release();
      await a.until(1);
      await closing;
      c.socket.destroy();
    } finally {
      release();
      a.socket.destroy();
      await app.close().catch(() => {});
    }
  });
});
