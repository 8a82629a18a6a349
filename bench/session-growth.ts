// A Claude Code session growing turn by turn, in process: CPU per request of the gateway's request path (parse,
// validate, translate, serialise) with the repeated-tail and repeated-messages caches and without them. Each
// request carries one more tool round trip than the one before, and the cache_control marker moves to its last
// message, as Claude Code's do; the caches see the requests in order, as a gateway does.
// Usage: node bench/session-growth.ts [--from 300] [--turns 40] [--rounds 5]
//   --from   the session's size in KB at the first measured turn (the turns before warm the caches)
import { parseArgs } from 'node:util';
import { parseJsonBytes, tailOf } from '../src/server/json-body.ts';
import { RepeatedTailCache } from '../src/server/repeated-tail.ts';
import { validateMessagesRequest } from '../src/wire/anthropic-validate.ts';
import { toResponsesRequest } from '../src/translate/request-to-responses.ts';
import { serializeResponsesRequest } from '../src/translate/serialize-request.ts';
import type { MessagesRequest } from '../src/wire/anthropic-request.ts';
import { claudeCodeRequest, roundsFor } from './bodies.ts';

const { values: opt } = parseArgs({ options: { from: { type: 'string', default: '300' }, turns: { type: 'string', default: '40' }, rounds: { type: 'string', default: '5' } } });
const first = roundsFor(Number(opt.from) * 1024);
const turns = Number(opt.turns);
const translateOpts = { upstreamModel: 'gpt-5-codex', defaultEffort: 'medium' as const, store: true, forwardSamplingParams: false };

/** request n of the session: n round trips, the last message marked for caching (Claude Code moves the marker) */
function bodyOf(n: number): Buffer {
  const req = claudeCodeRequest({ rounds: n }) as MessagesRequest;
  const last = req.messages[req.messages.length - 1];
  if (Array.isArray(last.content)) {
    const blocks = last.content as Array<Record<string, unknown>>;
    blocks[blocks.length - 1] = { ...blocks[blocks.length - 1], cache_control: { type: 'ephemeral' } };
  }
  return Buffer.from(JSON.stringify(req));
}

const bodies = Array.from({ length: turns + 3 }, (_, i) => bodyOf(first - 3 + i));
const cpuUs = (): number => { const u = process.cpuUsage(); return u.user + u.system; };
const faults = (): number => process.resourceUsage().minorPageFault;

function session(withCaches: boolean): { us: number; faults: number } {
  const cache = withCaches ? new RepeatedTailCache() : undefined;
  let us = 0;
  let f = 0;
  bodies.forEach((b, i) => {
    const t0 = cpuUs();
    const f0 = faults();
    const parsed = parseJsonBytes(b, cache);
    if (!parsed.ok) throw new Error(parsed.message);
    const v = validateMessagesRequest(parsed.value, tailOf(parsed.value));
    if (!v.ok) throw new Error(v.message);
    serializeResponsesRequest(toResponsesRequest(v.value, translateOpts).body);
    if (i >= 3) { us += cpuUs() - t0; f += faults() - f0; } // the first three fill the caches
  });
  return { us: us / turns, faults: f / turns };
}

const rows: Record<string, number[][]> = { without: [], with: [] };
for (let r = 0; r < Number(opt.rounds) + 1; r++) {
  for (const w of [false, true]) {
    const s = session(w);
    if (r > 0) rows[w ? 'with' : 'without'].push([s.us, s.faults]); // the first round warms the JIT
  }
}
const kb = (b: Buffer) => (b.length / 1024).toFixed(0);
console.log(`a session of ${turns} turns, ${kb(bodies[3])} KB to ${kb(bodies[bodies.length - 1])} KB: request path CPU µs per request (parse, validate, translate, serialise), median of ${opt.rounds} rounds`);
for (const [name, r] of Object.entries(rows)) {
  const us = r.map((x) => x[0]).sort((a, b) => a - b);
  const fl = r.map((x) => x[1]).sort((a, b) => a - b);
  console.log(`  ${name.padEnd(8)} caches  ${us[us.length >> 1].toFixed(0).padStart(6)} µs  (min ${us[0].toFixed(0)}), ${fl[fl.length >> 1].toFixed(1)} minor page faults`);
}
