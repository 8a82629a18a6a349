// The bench's byte pipe: what goes in one side comes out of the other unchanged, both ways, over kept-alive
// connections; a side that ends or fails ends the other; a bad argument is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, Agent, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, startBytePipe, stop } from '../../bench/procs.ts';

/** An upstream that answers POST with the request's body back, cut in SSE-like pieces, and records the peer ports. */
async function echoServer() {
  const ports: number[] = [];
  const server = createServer((req, res) => {
    ports.push(req.socket.remotePort ?? 0);
    if (req.url === '/cut') {
      // headers and part of a body, then the connection goes away
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"a":1}\n\n', () => req.socket.destroy());
      return;
    }
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      res.writeHead(200, { 'content-type': 'text/event-stream', 'x-got': String(body.length) });
      for (let i = 0; i < body.length; i += 1000) res.write(body.subarray(i, i + 1000));
      res.end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, ports, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1` };
}

function post(origin: string, path: string, body: Buffer, agent: Agent): Promise<{ res: IncomingMessage; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(`${origin}${path}`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ res, body: Buffer.concat(parts) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('byte pipe: a large body and its echo pass unchanged, two requests on one kept-alive connection', async () => {
  const up = await echoServer();
  const pipe = await startBytePipe(up.url);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    // a Claude Code sized body with multi-byte characters, so no byte boundary is special
    const body = Buffer.from(JSON.stringify({ input: 'é€😀 '.repeat(20_000), n: 1 }));
    for (let i = 0; i < 2; i++) {
      const { res, body: got } = await post(pipe.origin, '/v1/responses', body, agent);
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['x-got'], String(body.length));
      assert.ok(got.equals(body), `request ${i + 1}: the bytes came back unchanged`);
    }
    assert.equal(up.ports.length, 2);
    assert.equal(up.ports[0], up.ports[1], 'the pipe kept one upstream connection for the client\'s one');
  } finally {
    agent.destroy();
    await stop(pipe.proc);
    up.server.close();
  }
});

test('byte pipe: an upstream that goes away mid-reply ends the client\'s connection too', async () => {
  const up = await echoServer();
  const pipe = await startBytePipe(up.url);
  try {
    const sock = connect(Number(new URL(pipe.origin).port), '127.0.0.1');
    await once(sock, 'connect');
    const got: Buffer[] = [];
    sock.on('data', (c: Buffer) => got.push(c));
    sock.write('POST /cut HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n');
    await once(sock, 'close');
    assert.match(Buffer.concat(got).toString('latin1'), /^HTTP\/1\.1 200 OK[\s\S]*data: \{"a":1\}/, 'what came before the cut arrived');
  } finally {
    await stop(pipe.proc);
    up.server.close();
  }
});

test('byte pipe: an upstream that is not an http://host:port URL is refused with a message', () => {
  const r = spawnSync(process.execPath, [...process.execArgv.filter((a) => a.includes('strip-types')), join(ROOT, 'bench/byte-pipe.ts'), 'not a url'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /byte-pipe: give the upstream as http:\/\/host:port\//);
});
