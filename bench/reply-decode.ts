// One reply's way through the gateway, in process: a whole Responses stream in one chunk (as the bench's mock
// writes it) -> decoder (as /v1/messages decodes: runs of deltas joined) -> translator -> SSE framing
// (serializeEvents). CPU µs per reply, medians of alternating rounds.
// With --against <tree>, that checkout's src/ runs in the same process, round for round with this one: the
// machine's speed drifts by tens of percent between runs minutes apart, interleaving cancels it.
//   node bench/reply-decode.ts [--against /path/to/other/checkout] [--deltas 200] [--order declared|sorted]
//        [--echo] [--chunk BYTES]
// --order sorted: every event's keys written sorted after `type` (the order OpenAI's servers were recorded
// writing); declared (default): the API reference's order, as the mock writes it. --echo: the response objects
// echo a Claude Code request's instructions and tools, as the real API's do, and this tree also runs without
// cutting them (cutEchoedRequest off: "uncut"); --chunk: the reply in chunks of that many bytes (a socket's
// reads are up to 64 KB), not one.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { longText, toSse } from '../test/support/response-scenarios.ts';
import type { ResponsesEvent } from '../src/wire/responses-stream.ts';
import { eventsOf } from './translate.ts';
import { claudeCodeRequest, upstreamBody } from './bodies.ts';

const { values: opt } = parseArgs({
  options: {
    against: { type: 'string' },
    deltas: { type: 'string', default: '200' },
    order: { type: 'string', default: 'declared' },
    rounds: { type: 'string', default: '15' },
    echo: { type: 'boolean', default: false },
    chunk: { type: 'string', default: '0' },
  },
});

interface Tree { name: string; run(chunks: Buffer[]): number }

async function load(root: string, name: string, cutEchoedRequest = true): Promise<Tree> {
  const at = (p: string) => pathToFileURL(resolve(root, p)).href;
  const dec = await import(at('src/upstream/sse-events.ts'));
  const tr = await import(at('src/translate/stream-to-anthropic.ts'));
  const sse = await import(at('src/server/sse.ts'));
  return {
    name,
    run(chunks) {
      // as the /v1/messages relay decodes (joined deltas, the echo cut: a tree without the options ignores them)
      // and frames them
      const d = dec.createResponsesEventDecoder({ joinDeltas: true, cutEchoedRequest });
      const t = new tr.StreamTranslator({ model: 'claude-sonnet-4-5' });
      const out: unknown[] = [];
      for (const c of chunks) for (const ev of d.push(c)) t.push(ev, out);
      for (const ev of d.end()) t.push(ev, out);
      return sse.serializeEvents(out).length;
    },
  };
}

function sortedKeys(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
  const o = v as Record<string, unknown>;
  return Object.fromEntries([['type', o.type], ...Object.keys(o).filter((k) => k !== 'type').sort().map((k) => [k, sortedKeys(o[k])])]);
}

let events: ResponsesEvent[] = eventsOf(longText(Number(opt.deltas)));
if (opt.echo) {
  // what the mock sends with --echo-request for the bench's cc76k request
  const sent = upstreamBody(claudeCodeRequest()) as unknown as { instructions?: unknown; tools?: unknown };
  events = events.map((e) => (e.response ? { ...e, response: { ...e.response, instructions: sent.instructions ?? null, tools: sent.tools ?? [] } } : e));
}
if (opt.order === 'sorted') events = events.map((e) => sortedKeys(e) as ResponsesEvent);
const body = Buffer.from(toSse(events));
const size = Number(opt.chunk) > 0 ? Number(opt.chunk) : body.length;
const chunks: Buffer[] = [];
for (let i = 0; i < body.length; i += size) chunks.push(body.subarray(i, i + size));

const trees = [await load(process.cwd(), 'this tree')];
if (opt.echo) trees.unshift(await load(process.cwd(), 'this tree, uncut', false));
if (opt.against) trees.unshift(await load(opt.against, opt.against));

/** CPU µs per reply over n replies. */
function measure(tree: Tree, n: number): number {
  const t0 = process.cpuUsage();
  let bytes = 0;
  for (let i = 0; i < n; i++) bytes += tree.run(chunks);
  const u = process.cpuUsage(t0);
  if (bytes === 0) throw new Error(`${tree.name}: no output`);
  return (u.user + u.system) / n;
}

for (let w = 0; w < 3; w++) for (const t of trees) measure(t, 300); // warm up (JIT)
const samples = trees.map(() => [] as number[]);
for (let r = 0; r < Number(opt.rounds); r++) trees.forEach((t, i) => samples[i].push(measure(t, 400)));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`${events.length} events, ${body.length} bytes in ${chunks.length} chunk(s), keys in ${opt.order} order${opt.echo ? ', the request echoed' : ''}; CPU µs per reply, median of ${opt.rounds} rounds:`);
trees.forEach((t, i) => console.log(`  ${t.name}: ${median(samples[i]).toFixed(1)}`));
if (trees.length >= 2) console.log(`  change, last against first: ${(100 * (median(samples[trees.length - 1]) / median(samples[0]) - 1)).toFixed(0)} %`);
