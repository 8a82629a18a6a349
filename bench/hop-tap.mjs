// A preload (node --import) for the bench's hops phase (bench/hops.ts), in the mock upstream and the gateway:
// for each request it serves, the times of its start (headers parsed), of its first upstream request (undici's
// `create`, the gateway's) and of its first write that holds a text delta, on the machine's monotonic clock,
// appended as one JSON line to the file BENCH_HOP_TAP names once the response has finished. Times only: no
// header value but the client's send stamp (`x-bench-t0`), no body byte, is kept.
import dc from 'node:diagnostics_channel';
import http from 'node:http';
import { appendFileSync } from 'node:fs';

const file = process.env.BENCH_HOP_TAP;
const TEXT = ['"text_delta"', 'event: response.output_text.delta'];
const now = () => Number(process.hrtime.bigint()) / 1e6;
const TAP = Symbol('hop-tap');
/** the request served last: at 1 stream, the one whose handler makes the next upstream request */
let current = null;

function holdsText(chunk) {
  if (typeof chunk === 'string') return TEXT.some((m) => chunk.includes(m));
  if (chunk instanceof Uint8Array) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    return TEXT.some((m) => b.includes(m));
  }
  return false;
}

if (file) {
  dc.subscribe('http.server.request.start', ({ request, response }) => {
    const stamp = Number(request.headers['x-bench-t0']);
    const rec = {
      stamp: Number.isFinite(stamp) ? stamp : null,
      viaGateway: String(request.headers['user-agent'] ?? '').startsWith('packybridge'),
      start: now(), upstream: null, text: null,
    };
    response[TAP] = rec;
    current = rec;
    response.once('finish', () => { appendFileSync(file, `${JSON.stringify(rec)}\n`); });
  });
  dc.subscribe('undici:request:create', () => {
    if (current !== null && current.upstream === null) current.upstream = now();
  });
  for (const name of ['write', 'end']) {
    const original = http.ServerResponse.prototype[name];
    http.ServerResponse.prototype[name] = function tapped(chunk, ...rest) {
      const rec = this[TAP];
      if (rec !== undefined && rec.text === null && chunk != null && typeof chunk !== 'function' && holdsText(chunk)) rec.text = now();
      return original.call(this, chunk, ...rest);
    };
  }
}
