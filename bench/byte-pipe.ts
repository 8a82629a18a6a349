// The benchmark's byte pipe: a TCP relay that copies each connection's bytes to the upstream and back, parsing
// nothing (no HTTP, no JSON). What it adds to the first text is what any process in the path adds on this
// machine: one more loopback hop each way, its wake-ups and copies. The latency phase prints it beside the
// gateway's figure, so a reader sees how much of the gateway's added time is the hop and how much its own work.
//   node bench/byte-pipe.ts <upstream base URL, e.g. http://127.0.0.1:PORT/v1>
// Prints `pipe http://127.0.0.1:<port>` on stdout once it listens.
import { createServer, connect, type Socket } from 'node:net';

const upstream = URL.parse(process.argv[2] ?? '');
if (upstream === null || upstream.protocol !== 'http:' || upstream.port === '') {
  process.stderr.write(`byte-pipe: give the upstream as http://host:port/..., got "${process.argv[2] ?? ''}"\n`);
  process.exit(2);
}

const sockets = new Set<Socket>();

const server = createServer({ noDelay: true }, (client) => {
  const up = connect({ host: upstream.hostname, port: Number(upstream.port), noDelay: true });
  sockets.add(client);
  sockets.add(up);
  client.pipe(up);
  up.pipe(client);
  // either side ending or failing ends both: no half-open pair is left behind
  const done = (): void => {
    client.destroy();
    up.destroy();
    sockets.delete(client);
    sockets.delete(up);
  };
  for (const s of [client, up]) {
    s.on('error', done);
    s.on('close', done);
  }
});

server.listen(0, '127.0.0.1', () => {
  const a = server.address();
  if (a && typeof a === 'object') process.stdout.write(`pipe http://127.0.0.1:${a.port}\n`);
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    server.close();
    for (const s of sockets) s.destroy();
    process.exit(0);
  });
}
