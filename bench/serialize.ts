// Serialising the upstream body, in process: CPU time and minor page faults per serialisation of a translated
// Claude Code request (tools from the cache), three ways, in alternating rounds (median and min of rounds):
//   stringify  Buffer.from(JSON.stringify(body))
//   splice     the previous serializeResponsesRequest: JSON.stringify per field joined with +=, Buffer.from,
//              the cached tool bytes spliced with Buffer.concat
//   pieces     serializeResponsesRequest (src/translate/serialize-request.ts): no string larger than an item,
//              one Buffer of the exact size
// Both figures are process-wide (GC threads included). Strings of 128 KB or more each get their own mapping in
// V8, so page faults show what a large string costs on top of its copy.
// Usage: node bench/serialize.ts [--body cc76k,cc300k] [--rounds 12] [--per-round 100]
import { parseArgs } from 'node:util';
import type { ResponsesRequest } from '../src/wire/responses-request.ts';
import { toResponsesRequest } from '../src/translate/request-to-responses.ts';
import { cachedToolBytes } from '../src/translate/tool-conversion-cache.ts';
import { serializeResponsesRequest } from '../src/translate/serialize-request.ts';
import { bodyText } from './bodies.ts';

const { values: opt } = parseArgs({ options: { body: { type: 'string', default: 'cc76k,cc300k' }, rounds: { type: 'string', default: '12' }, 'per-round': { type: 'string', default: '100' } } });
const opts = { upstreamModel: 'gpt-5-codex', defaultEffort: 'medium' as const, store: true, forwardSamplingParams: false };

/** The serialiser as it was before serialize-request.ts (kept here to compare). */
function spliceSerialize(body: ResponsesRequest): Buffer {
  const toolsBytes = cachedToolBytes(body.tools);
  if (toolsBytes === undefined) return Buffer.from(JSON.stringify(body));
  const pieces: Buffer[] = [];
  let out = '{';
  let first = true;
  for (const k of Object.keys(body)) {
    if (k === 'tools') {
      out += `${first ? '' : ','}"tools":`;
      pieces.push(Buffer.from(out), toolsBytes);
      out = '';
      first = false;
      continue;
    }
    const v = JSON.stringify((body as unknown as Record<string, unknown>)[k]);
    if (v === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(k)}:${v}`;
    first = false;
  }
  pieces.push(Buffer.from(`${out}}`));
  return Buffer.concat(pieces);
}

const modes: Array<[string, (b: ResponsesRequest) => Buffer]> = [
  ['stringify', (b) => Buffer.from(JSON.stringify(b))],
  ['splice', spliceSerialize],
  ['pieces', serializeResponsesRequest],
];
const cpuUs = (): number => { const u = process.cpuUsage(); return u.user + u.system; };
const faults = (): number => process.resourceUsage().minorPageFault;
const perRound = Number(opt['per-round']);
const rounds = Number(opt.rounds);

for (const name of opt.body.split(',')) {
  const text = bodyText(name);
  toResponsesRequest(JSON.parse(text), opts); // the tool set into the cache
  const { body } = toResponsesRequest(JSON.parse(text), opts);
  const want = Buffer.from(JSON.stringify(body));
  for (const [m, f] of modes) if (!f(body).equals(want)) throw new Error(`${m}: other bytes`);
  const cpu: Record<string, number[]> = {};
  const pf: Record<string, number[]> = {};
  for (const [m] of modes) { cpu[m] = []; pf[m] = []; }
  let sink = 0;
  for (let round = 0; round < rounds; round++) {
    for (const [m, f] of modes) {
      const f0 = faults();
      const t0 = cpuUs();
      for (let i = 0; i < perRound; i++) sink += f(body).length;
      const us = cpuUs() - t0;
      const n = faults() - f0;
      if (round >= 2) { cpu[m].push(us / perRound); pf[m].push(n / perRound); } // two rounds warm the JIT
    }
  }
  if (sink === 0) throw new Error('empty');
  const items = body.input.length;
  console.log(`${name}: ${(text.length / 1024).toFixed(0)} KB request, upstream body ${(want.length / 1024).toFixed(0)} KB (input: ${items} items, ` +
    `${(Buffer.byteLength(JSON.stringify(body.input)) / 1024).toFixed(0)} KB; tools ${(cachedToolBytes(body.tools)!.length / 1024).toFixed(0)} KB spliced)`);
  console.log(`  per serialisation, median / min of ${rounds - 2} rounds of ${perRound}:   CPU µs        minor faults`);
  const med = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1];
  const min = (a: number[]): number => Math.min(...a);
  for (const [m] of modes) {
    console.log(`    ${m.padEnd(10)} ${med(cpu[m]).toFixed(0).padStart(28)} / ${min(cpu[m]).toFixed(0).padStart(5)} ${med(pf[m]).toFixed(1).padStart(10)} / ${min(pf[m]).toFixed(1).padStart(5)}`);
  }
}
