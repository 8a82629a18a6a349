// count_tokens in-process on a ~100 KB Claude-Code-shaped request (no HTTP):
//   cold: every system block and tool text is new (salted), as for a new session's first /context
//   warm: system prompt and tools repeat, every message differs
//   follow-up: system prompt, tools and conversation repeat, one new user message at the end
// Times the route's work: JSON.parse + validate + count, and count() alone, in this thread's CPU time
// (what it costs without other processes competing; HTTP timings are wall-clock, in bench/main.ts).
// Usage: node bench/count-tokens.ts [--cold 30] [--warm 200] [--json]
import { parseArgs } from 'node:util';
import { TokenCounter } from '../src/translate/token-count.ts';
import { validateCountTokensRequest } from '../src/wire/anthropic-validate.ts';
import type { CountTokensRequest } from '../src/wire/anthropic-request.ts';
import { bodyText } from './bodies.ts';
import { cpuNow } from './translate.ts';

export interface CountSample { full: number[]; count: number[]; bytes: number; tokens: number }
export interface CountTokensResult { cold: CountSample; warm: CountSample; followUp: CountSample }

function measure(counter: TokenCounter, bodies: string[]): CountSample {
  const s: CountSample = { full: [], count: [], bytes: bodies[0].length, tokens: 0 };
  for (const text of bodies) {
    const t0 = cpuNow();
    const v = validateCountTokensRequest(JSON.parse(text));
    if (!v.ok) throw new Error(`benchmark body is not valid: ${v.message}`);
    const t1 = cpuNow();
    s.tokens = counter.count(v.value as CountTokensRequest);
    const t2 = cpuNow();
    s.full.push(t2 - t0);
    s.count.push(t2 - t1);
  }
  return s;
}

export function benchCountTokens(cold: number, warm: number): CountTokensResult {
  const counter = new TokenCounter({ maxEntries: 4096 });
  // warm-up: JIT and the tokenizer's own caches, on texts not used below
  measure(counter, Array.from({ length: 5 }, (_, i) => bodyText('count-cold', 10_000 + i)));
  const coldR = measure(counter, Array.from({ length: cold }, (_, i) => bodyText('count-cold', i)));
  // warm: the same system prompt and tools every time (seen once first), new messages
  measure(counter, [bodyText('count-warm', 0)]);
  const warmR = measure(counter, Array.from({ length: warm }, (_, i) => bodyText('count-warm', i + 1)));
  // follow-up: the same conversation plus one new message (the memo's everyday case)
  const followR = measure(counter, Array.from({ length: warm }, (_, i) => bodyText('count-followup', i)));
  return { cold: coldR, warm: warmR, followUp: followR };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { cold: { type: 'string', default: '30' }, warm: { type: 'string', default: '200' }, json: { type: 'boolean', default: false } } });
  const r = benchCountTokens(Number(values.cold), Number(values.warm));
  if (!values.json) {
    const med = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
    for (const [k, s] of Object.entries(r)) {
      console.log(`${k}: ${(s.bytes / 1024).toFixed(0)} KB, ${s.tokens} tokens: parse+validate+count p50 ${med(s.full).toFixed(2)} ms, count() p50 ${med(s.count).toFixed(2)} ms`);
    }
  }
  console.log(JSON.stringify(r));
}
