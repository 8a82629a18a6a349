// Standalone mock Responses upstream for the benchmark and manual runs.
//   node test/support/mock-upstream-cli.ts [--port 0] [--scenario default|long:<n>|text:<words>|think|slow:<ms>]
//        [--api-key KEY] [--delay MS] [--batch] [--events-per-write N] [--echo-request]
// --delay: ms between events; --batch: write each reply (headers and body) in one write instead of one write
// per event; --events-per-write N: N events per write, one write per event-loop turn; --echo-request: the
// response objects carry the request's instructions and tools, as the real API's do (mock-upstream.ts).
// Prints the base URL (http://127.0.0.1:<port>/v1) as the first stdout line, then serves until SIGINT/SIGTERM.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startMockUpstream } from './mock-upstream.ts';
import type { ScenarioHandler } from './mock-upstream.ts';
import { createDefaultHandler } from './mock-default-handler.ts';
import { longText, reasoningThenText, slow, text } from './response-scenarios.ts';
import type { Scenario } from './response-scenarios.ts';

export function handlerFor(spec: string, delayMs = 0, batch = false, eventsPerWrite = 1): ScenarioHandler {
  const withDelay = (s: Scenario, ms: number): Scenario => {
    if (s.kind !== 'events' && s.kind !== 'raw') return s;
    const out = { ...s };
    if (ms > 0) out.delayMs = ms;
    if (batch) out.flush = false;
    if (eventsPerWrite > 1) out.eventsPerWrite = eventsPerWrite;
    return out;
  };
  const [name, arg] = [spec.split(':')[0], spec.slice(spec.indexOf(':') + 1)];
  const hasArg = spec.includes(':');
  let fixed: Scenario;
  switch (name) {
    case 'default': {
      const h = createDefaultHandler();
      return (req) => withDelay(h(req), delayMs);
    }
    case 'long': {
      const n = hasArg ? Number(arg) : 500;
      if (!Number.isInteger(n) || n < 1) throw new Error(`--scenario long:<n> needs a positive integer, got "${arg}"`);
      fixed = longText(n);
      break;
    }
    case 'text':
      fixed = text(hasArg && arg ? arg : 'Hello from the mock upstream.');
      break;
    case 'think':
      fixed = reasoningThenText({ summaries: ['**Thinking**\n\nA first thought.', '**More**\n\nA second thought.'], encrypted: 'gAAAAB-mock-reasoning-cli', text: 'Done thinking.' });
      break;
    case 'slow':
      fixed = slow(hasArg ? Number(arg) : 50);
      break;
    default:
      throw new Error(`unknown --scenario "${spec}" (default | long:<n> | text:<words> | think | slow:<ms>)`);
  }
  const s = withDelay(fixed, delayMs);
  // one event list replayed for every request: the mock caches its rendered bytes
  return () => s;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      scenario: { type: 'string', default: 'default' },
      'api-key': { type: 'string' },
      delay: { type: 'string', default: '0' },
      batch: { type: 'boolean', default: false },
      'events-per-write': { type: 'string', default: '1' },
      'echo-request': { type: 'boolean', default: false },
    },
  });
  const handler = handlerFor(values.scenario, Number(values.delay), values.batch, Number(values['events-per-write']));
  const mock = await startMockUpstream({
    port: Number(values.port),
    handler,
    maxRecorded: 0,
    echoRequest: values['echo-request'],
    ...(values['api-key'] ? { apiKey: values['api-key'] } : {}),
  });
  process.stdout.write(`${mock.url}\n`);
  const stop = (): void => {
    mock.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    process.stderr.write(`mock-upstream: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  });
}
