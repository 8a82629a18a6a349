// Fault injection: every way an upstream fails, streaming and not, with one upstream (a precise Anthropic error
// in bounded time) and with two (the second serves whatever it still can). After every case the gateway still
// serves. Real gateways on 127.0.0.1; the faulty upstream is the mock Responses server told how to fail.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { refusedPort } from '../support/free-port.ts';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startTestGateway, packycodeYaml, type TestGateway } from '../support/gateway.ts';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.ts';
import { createDefaultHandler } from '../support/mock-default-handler.ts';
import {
  failed, hang, httpError, incomplete, rawSse, slow, stall, streamError, text, truncated, type Scenario,
} from '../support/response-scenarios.ts';
import { closeUpstreamPools } from '../../src/upstream/pool.ts';
import { relayTuning } from '../../src/relay/relay.ts';

// long enough that a loaded machine's own pauses between two mock events never look like a stall
const TIMEOUTS = ['timeouts:', '  connect-ms: 2000', '  first-byte-ms: 1500', '  idle-ms: 1500'].join('\n');
/** generous for a loaded machine, yet far below any client's patience: no case may hang */
const BOUND_MS = 10_000;
const REFUSED = { error: { message: 'The encrypted content for item rs_1 could not be verified.', type: 'invalid_request_error', param: null, code: 'invalid_encrypted_content' } };

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
/** heap + external after two full collections: what the gateways (in this process) keep */
function settledMemory(): number {
  gc(); gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}
let baselineMemory = 0;

let faulty: MockUpstream;
let healthy: MockUpstream;
let closedPort: number;
const gw: Record<'one' | 'two' | 'oneRefused' | 'twoRefused', TestGateway> = {} as never;
const savedRetry = relayTuning.retry;


before(async () => {
  relayTuning.retry = { delaysMs: [], maxRetryAfterMs: 0 };
  faulty = await startMockUpstream();
  healthy = await startMockUpstream();
  closedPort = await refusedPort();
  const second = ['codex-api-key:', `  - { name: second, api-key: sk-second-key-9999, base-url: "${healthy.url}" }`].join('\n');
  gw.one = await startTestGateway(packycodeYaml(faulty.url, TIMEOUTS));
  gw.two = await startTestGateway(packycodeYaml(faulty.url, `${TIMEOUTS}\n${second}`));
  gw.oneRefused = await startTestGateway(packycodeYaml(`http://127.0.0.1:${closedPort}/v1`, TIMEOUTS));
  gw.twoRefused = await startTestGateway(packycodeYaml(`http://127.0.0.1:${closedPort}/v1`, `${TIMEOUTS}\n${second}`));
  // warm: the first request loads what every later one shares (pools, the tokenizer's tables, compiled code)
  await stillServing(gw.one, faulty);
  await stillServing(gw.two, faulty);
  baselineMemory = settledMemory();
});
after(async () => {
  relayTuning.retry = savedRetry;
  for (const g of Object.values(gw)) await g.stop();
  await faulty.close();
  await healthy.close();
  await closeUpstreamPools();
});
beforeEach(() => {
  faulty.reset();
  healthy.reset();
  for (const g of Object.values(gw)) g.runtime.forgetUpstreamHealth();
});

interface Outcome {
  /** HTTP status; for a stream that started, 200 and then `event: error` when midError */
  status: number;
  type?: string;
  midError?: boolean;
}

interface Fault {
  name: string;
  scenario?: () => Scenario;
  /** the upstream's port is closed */
  refused?: boolean;
  /** the request carries earlier reasoning (signed thinking) */
  withReasoning?: boolean;
  one: { stream: Outcome; whole: Outcome };
  /** with a healthy second upstream; default: both served */
  two?: { stream: Outcome; whole: Outcome };
}

const OK: Outcome = { status: 200 };
const both = (o: Outcome) => ({ stream: o, whole: o });

const FAULTS: Fault[] = [
  { name: 'refuses connections', refused: true, one: both({ status: 502, type: 'api_error' }) },
  { name: 'hangs before headers', scenario: () => hang(), one: both({ status: 504, type: 'timeout_error' }) },
  { name: 'headers, then nothing', scenario: () => hang({ afterHeaders: true }), one: both({ status: 502, type: 'api_error' }) },
  {
    name: 'stalls mid-stream', scenario: () => stall(6),
    one: { stream: { status: 200, midError: true }, whole: { status: 502, type: 'api_error' } },
    two: { stream: { status: 200, midError: true }, whole: OK },
  },
  {
    name: 'resets the socket mid-stream', scenario: () => truncated(6, { end: 'destroy' }),
    one: { stream: { status: 200, midError: true }, whole: { status: 502, type: 'api_error' } },
    two: { stream: { status: 200, midError: true }, whole: OK },
  },
  { name: 'sends malformed SSE', scenario: () => rawSse('event: response.created\ndata: {"type":"response.created", oops\n\n'), one: both({ status: 502, type: 'api_error' }) },
  { name: 'sends an error event', scenario: () => streamError('server_error', 'boom'), one: both({ status: 500, type: 'api_error' }) },
  { name: 'sends response.failed', scenario: () => failed('server_error', 'failed'), one: both({ status: 500, type: 'api_error' }) },
  { name: 'sends response.incomplete (a valid end)', scenario: () => incomplete('max_output_tokens', { text: 'cut short' }), one: both(OK), two: both(OK) },
  { name: '401', scenario: () => httpError(401), one: both({ status: 401, type: 'authentication_error' }) },
  { name: '403', scenario: () => httpError(403), one: both({ status: 401, type: 'authentication_error' }) },
  { name: '429 with retry-after', scenario: () => httpError(429, undefined, { 'retry-after': '9' }), one: both({ status: 429, type: 'rate_limit_error' }) },
  { name: '429 without retry-after', scenario: () => httpError(429), one: both({ status: 429, type: 'rate_limit_error' }) },
  { name: '500', scenario: () => httpError(500), one: both({ status: 500, type: 'api_error' }) },
  { name: '503 with retry-after', scenario: () => httpError(503, undefined, { 'retry-after': '3' }), one: both({ status: 529, type: 'overloaded_error' }) },
  { name: '503 without retry-after', scenario: () => httpError(503), one: both({ status: 529, type: 'overloaded_error' }) },
  { name: 'rejects encrypted reasoning', withReasoning: true, scenario: () => httpError(400, REFUSED), one: both(OK), two: both(OK) },
  { name: 'answers slowly', scenario: () => slow(30, text('one two three four five six')), one: both(OK), two: both(OK) },
];

function body(f: Fault, stream: boolean): Record<string, unknown> {
  const messages: unknown[] = f.withReasoning
    ? [
      { role: 'user', content: 'first' },
      { role: 'assistant', content: [{ type: 'thinking', thinking: 'earlier', signature: 'gAAAA-from-elsewhere' }, { type: 'text', text: 'answer' }] },
      { role: 'user', content: 'second' },
    ]
    : [{ role: 'user', content: 'hello' }];
  return { model: 'gpt-5-codex', max_tokens: 100, stream, messages };
}

async function send(g: TestGateway, payload: unknown): Promise<{ status: number; text: string; ms: number; headers: Headers }> {
  const started = Date.now();
  const r = await fetch(`${g.url}/v1/messages`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'test-client-key' }, body: JSON.stringify(payload),
    signal: AbortSignal.timeout(BOUND_MS * 3),
  });
  const t = await r.text();
  return { status: r.status, text: t, ms: Date.now() - started, headers: r.headers };
}

function check(got: { status: number; text: string; ms: number }, want: Outcome, stream: boolean, what: string): void {
  assert.ok(got.ms < BOUND_MS, `${what}: answered in ${got.ms} ms`);
  assert.equal(got.status, want.status, `${what}: ${got.text.slice(0, 300)}`);
  if (want.status !== 200) {
    const j = JSON.parse(got.text) as { type: string; error: { type: string; message: string } };
    assert.equal(j.type, 'error', what);
    assert.equal(j.error.type, want.type, what);
    assert.ok(j.error.message.length > 20, `${what}: a message that says something`);
    return;
  }
  if (!stream) {
    assert.equal((JSON.parse(got.text) as { type: string }).type, 'message', what);
    return;
  }
  const events = [...got.text.matchAll(/^event: (\S+)/gm)].map((m) => m[1]).filter((e) => e !== 'ping');
  assert.equal(events[0], 'message_start', what);
  if (want.midError) {
    assert.equal(events.at(-1), 'error', what);
    assert.ok(!events.includes('message_stop'), what);
  } else {
    assert.equal(events.at(-1), 'message_stop', what);
  }
}

/** Every request gets the fault; a reasoning fault only while the request carries reasoning. */
function handlerFor(f: Fault): (r: { body?: any }) => Scenario {
  if (!f.withReasoning) return () => f.scenario!();
  return (r) => ((r.body?.input ?? []).some((i: { type?: string }) => i.type === 'reasoning') ? f.scenario!() : text('fine'));
}

async function stillServing(g: TestGateway, upstream: MockUpstream): Promise<void> {
  upstream.setHandler(createDefaultHandler());
  g.runtime.forgetUpstreamHealth();
  const r = await send(g, { model: 'gpt-5-codex', max_tokens: 10, messages: [{ role: 'user', content: 'ping' }] });
  assert.equal(r.status, 200, `the gateway still serves: ${r.text.slice(0, 200)}`);
}

describe('fault injection', () => {
  for (const f of FAULTS) {
    for (const stream of [true, false]) {
      const mode = stream ? 'stream' : 'whole';
      test(`${f.name} (${mode}), one upstream: ${f.one[mode].status}${f.one[mode].midError ? ' then event: error' : ''}`, async () => {
        if (f.scenario) faulty.setHandler(handlerFor(f));
        const g = f.refused ? gw.oneRefused : gw.one;
        check(await send(g, body(f, stream)), f.one[mode], stream, f.name);
        await stillServing(f.refused ? gw.one : g, faulty);
      });
      const twoWant = (f.two ?? both(OK))[mode];
      test(`${f.name} (${mode}), two upstreams: ${twoWant.status}${twoWant.midError ? ' then event: error' : ''}`, async () => {
        if (f.scenario) faulty.setHandler(handlerFor(f));
        const g = f.refused ? gw.twoRefused : gw.two;
        check(await send(g, body(f, stream)), twoWant, stream, f.name);
        if (twoWant.status === 200 && !twoWant.midError && !f.withReasoning && f.name !== 'answers slowly' && !f.name.includes('incomplete')) {
          assert.equal(healthy.requests.length, 1, 'the second upstream served');
        }
        await stillServing(g, faulty);
      });
    }
  }
});

test('after every fault the memory returns to its baseline and nothing is left in flight', async () => {
  for (const g of Object.values(gw)) {
    const inFlight = (await g.runtime.metrics.registry.getSingleMetric('packybridge_inflight_streams')?.get())?.values ?? [];
    assert.ok(inFlight.every((v) => v.value === 0), 'no stream left in flight');
  }
  const grown = settledMemory() - baselineMemory;
  // generous: a leak of even 1 MB per faulted request (72 cases) would show far above it
  assert.ok(grown < 40 * 1024 * 1024, `heap + external grew ${(grown / 1048576).toFixed(1)} MB across the fault suite`);
});
