// The tool conversion cache, in process: CPU time of translate + serialise for a Claude Code request parsed
// anew each time (as the gateway gets it), three ways, in alternating rounds (min and median of rounds):
//   no cache        the cache cleared before every request: convertTools and JSON.stringify, as before it
//   cache           the tools from the cache, JSON.stringify(body)
//   cache + splice  the tools from the cache, serializeResponsesRequest(body) (their bytes made once)
// Usage: node bench/tool-cache.ts [--body cc76k] [--rounds 12] [--per-round 60]
import { parseArgs } from 'node:util';
import { toResponsesRequest } from '../src/translate/request-to-responses.ts';
import { toolConversionCache } from '../src/translate/tool-conversion-cache.ts';
import { serializeResponsesRequest } from '../src/translate/serialize-request.ts';
import { bodyText } from './bodies.ts';

const { values: opt } = parseArgs({ options: { body: { type: 'string', default: 'cc76k' }, rounds: { type: 'string', default: '12' }, 'per-round': { type: 'string', default: '60' } } });
const text = bodyText(opt.body);
const opts = { upstreamModel: 'gpt-5-codex', defaultEffort: 'medium' as const, store: true, forwardSamplingParams: false };
const modes = ['no cache', 'cache', 'cache + splice'] as const;
const results: Record<string, number[]> = Object.fromEntries(modes.map((m) => [m, []]));
const cpuUs = (): number => { const u = process.cpuUsage(); return u.user + u.system; };
const perRound = Number(opt['per-round']);
for (let round = 0; round < Number(opt.rounds); round++) {
  for (const mode of modes) {
    let total = 0;
    for (let i = 0; i < perRound; i++) {
      const req = JSON.parse(text);
      const t0 = cpuUs();
      if (mode === 'no cache') toolConversionCache.clear();
      const { body } = toResponsesRequest(req, opts);
      const json = mode === 'cache + splice' ? serializeResponsesRequest(body) : Buffer.from(JSON.stringify(body));
      total += cpuUs() - t0;
      if (json.length === 0) throw new Error('empty body');
    }
    if (round >= 2) results[mode].push(total / perRound); // the first two rounds warm the JIT
  }
}
console.log(`${opt.body} (${(text.length / 1024).toFixed(0)} KB): translate + serialise, CPU µs per request (min / median of ${Number(opt.rounds) - 2} rounds of ${perRound})`);
for (const m of modes) {
  const a = results[m].sort((x, y) => x - y);
  console.log(`  ${m.padEnd(15)} ${a[0].toFixed(0).padStart(5)} / ${a[a.length >> 1].toFixed(0).padStart(5)}`);
}
