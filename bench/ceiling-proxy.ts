// The benchmark's ceiling: a bare Node proxy. It reads the request, JSON.parses it and serialises it again,
// posts that upstream through an undici Pool, and pipes the reply's bytes back unparsed (no event translation,
// no validation, no logging, no accounting). A translating gateway must at least parse every event of the
// reply, which this never does, so its throughput against the direct floor bounds what a translating Node
// gateway reaches on this machine with this mock; the bench prints it next to the targets.
// With --events it also does the least a translator does to the reply: each SSE event is parsed
// (eventsource-parser, JSON.parse) and serialised again (JSON.stringify, one write per upstream chunk), still
// with nothing translated: a tighter bound for a translating gateway.
//   node bench/ceiling-proxy.ts <upstream base URL, e.g. http://127.0.0.1:PORT/v1> [--events]
// Prints `ceiling http://127.0.0.1:<port>` on stdout once it listens; POST /v1/responses.
import { createServer } from 'node:http';
import { Pool } from 'undici';
import { createParser } from 'eventsource-parser';

const events = process.argv.includes('--events');

const upstream = new URL(process.argv[2] ?? '');
const pool = new Pool(upstream.origin, { connections: 512 });
const path = `${upstream.pathname.replace(/\/$/, '')}/responses`;

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.stringify(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    pool.request({ method: 'POST', path, body, headers: { 'content-type': 'application/json', authorization: req.headers.authorization ?? '', accept: 'text/event-stream' } })
      .then(async (r) => {
        res.writeHead(r.statusCode, { 'content-type': String(r.headers['content-type'] ?? 'text/event-stream') });
        if (!events) {
          for await (const c of r.body) res.write(c);
          res.end();
          return;
        }
        let out = '';
        const parser = createParser({
          onEvent: (m) => { out += `event: ${m.event ?? 'message'}\ndata: ${JSON.stringify(JSON.parse(m.data))}\n\n`; },
        });
        const decoder = new TextDecoder();
        for await (const c of r.body) {
          parser.feed(decoder.decode(c as Buffer, { stream: true }));
          if (out !== '') { res.write(out); out = ''; }
        }
        res.end();
      })
      .catch((e: Error) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`ceiling proxy: ${e.message}`);
      });
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  const a = server.address();
  if (a && typeof a === 'object') process.stdout.write(`ceiling http://127.0.0.1:${a.port}\n`);
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => { server.close(); void pool.close(); process.exit(0); });
