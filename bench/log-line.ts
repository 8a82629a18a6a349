// The request log line's cost: the line `server/routes/messages.ts` writes for every request, through the
// production logger (masking in its `log` formatter) and through pino with the `redact` path list it replaced,
// into a stream that drops the bytes. CPU µs per line, medians of alternating rounds.
//   node bench/log-line.ts [--lines 50000] [--rounds 7]
import { parseArgs } from 'node:util';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createLogger } from '../src/observability/logger.ts';

const { values: opt } = parseArgs({ options: { lines: { type: 'string', default: '50000' }, rounds: { type: 'string', default: '7' } } });
const LINES = Number(opt.lines);

// the paths of pino's `redact` option before the formatter took over
const OLD_PATHS = ['headers.authorization', 'headers["x-api-key"]', 'headers["x-management-key"]', 'req.headers.authorization',
  'req.headers["x-api-key"]', 'req.headers["x-management-key"]', 'apiKey', 'key', 'secret', '*.apiKey', '*.openaiApiKey',
  '*["openai-api-key"]', '*["secret-key"]'];

const drop = () => new Writable({ write(_c, _e, cb) { cb(); } });
const loggers = {
  formatter: createLogger({ level: 'info', destination: drop() }),
  'pino redact': pino({ level: 'info', base: { service: 'packybridge' }, redact: { paths: OLD_PATHS, censor: '[masked]' }, timestamp: pino.stdTimeFunctions.isoTime }, drop() as pino.DestinationStream),
};

// the fields of a finished streaming request, as messages.ts logs them
const fields = (i: number) => ({
  reqId: `req-${i.toString(36)}`, route: '/v1/messages', client: 'default', modelAsked: 'claude-opus-4-1', modelUsed: 'gpt-5-codex',
  via: 'map', provider: 'packycode', stream: true, status: 200, errorKind: undefined, clientAborted: undefined, ttfbMs: 3,
  totalMs: 12, inputTokens: 20_000, cachedTokens: 18_000, outputTokens: 200, stopReason: 'end_turn',
});

function round(log: pino.Logger): number {
  const cpu = process.cpuUsage();
  for (let i = 0; i < LINES; i++) log.info(fields(i), 'request');
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / LINES;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const results = new Map<string, number[]>();
for (const [name, log] of Object.entries(loggers)) { round(log); results.set(name, []); } // warm up
for (let r = 0; r < Number(opt.rounds); r++) {
  for (const [name, log] of Object.entries(loggers)) results.get(name)!.push(round(log));
}
console.log(`request log line, ${LINES} lines a round, medians of ${opt.rounds} rounds`);
for (const [name, us] of results) console.log(`  ${name.padEnd(12)} ${median(us).toFixed(2).padStart(6)} µs/line`);
