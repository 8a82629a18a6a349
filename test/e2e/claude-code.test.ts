// Proven with the real client: the Claude Code CLI (devDependency, native binary) run headless through a real
// packybridge against the mock Responses upstream. Each test checks the CLI's JSON result and what the
// upstream received. Needs no internet; the binary is skipped only where its platform package cannot exist.
import { describe, it, before, after, beforeEach } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startMockUpstream } from '../support/mock-upstream.ts';
import type { MockUpstream, RecordedRequest } from '../support/mock-upstream.ts';
import { createDefaultHandler, MOCK_ENCRYPTED_PREFIX, MOCK_HELLO } from '../support/mock-default-handler.ts';
import type { Scenario } from '../support/response-scenarios.ts';
import { startTestGateway, packycodeYaml } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { claudePlatformKey, describeRun, findClaudeBinary, runClaude } from '../support/claude-cli.ts';
import type { ClaudeRun, RunClaudeOptions } from '../support/claude-cli.ts';
import { recordGatewayTraffic } from './claude-code-traffic.ts';
import type { GatewayHit } from './claude-code-traffic.ts';

const CLIENT_KEY = 'test-client-key'; // in packycodeYaml's api-keys
const UPSTREAM_KEY = 'sk-test-upstream-key-1234'; // packycodeYaml's packycode.credentials.openai-api-key
const TEST_TIMEOUT_MS = 90_000;
const CLI_TIMEOUT_MS = 60_000;

const platform = claudePlatformKey();
const bin = findClaudeBinary();
/** linux-x64 is CI's platform: there a missing binary is a failure, never a silent skip. */
const mustRun = platform === 'linux-x64';
const skip = bin === undefined && !mustRun
  ? `Claude Code's native binary is not installed for ${platform} (optional dependency @anthropic-ai/claude-code-${platform}); real-client tests skipped`
  : false;

type Json = Record<string, any>;
interface Emitted { request: RecordedRequest; scenario: Scenario }

/** Title and other structured side requests of Claude Code (text.format json_schema); not the conversation. */
const isSideRequest = (r: RecordedRequest): boolean => r.body?.text?.format?.type === 'json_schema';

/** The output items a mock reply streamed (from its `response.output_item.done` events). */
function emittedItems(s: Scenario): Json[] {
  return s.kind === 'events' ? s.events.filter((e) => e.type === 'response.output_item.done' && e.item).map((e) => e.item as Json) : [];
}

/** The types of a request's input items, for failure messages (no texts: prompts stay out of logs). */
function inputShape(r: RecordedRequest): string {
  const input = Array.isArray(r.body?.input) ? (r.body.input as Json[]) : [];
  return `${r.method} ${r.path} model=${r.body?.model} input=[${input.map((i) => i.type ?? i.role).join(',')}]${isSideRequest(r) ? ' (side request)' : ''}`;
}

describe('the real Claude Code CLI through packybridge', { concurrency: 1, skip }, () => {
  let mock: MockUpstream;
  let gw: TestGateway;
  let hits: GatewayHit[] = [];
  const emitted: Emitted[] = [];

  before(async () => {
    assert.ok(bin, `Claude Code's native binary is missing on ${platform}, where it must run: install the dev dependencies ` +
      'with optional dependencies (npm ci, not --omit=optional) so @anthropic-ai/claude-code-linux-x64 is present');
    const defaults = createDefaultHandler();
    mock = await startMockUpstream({
      apiKey: UPSTREAM_KEY,
      handler: (request) => {
        const scenario = defaults(request);
        emitted.push({ request, scenario });
        return scenario;
      },
    });
    gw = await startTestGateway(packycodeYaml(mock.url));
    hits = recordGatewayTraffic(gw.app.server); // what Claude Code asked the gateway, the HEAD / probe included
  });

  after(async () => {
    await gw?.stop();
    await mock?.close();
  });

  beforeEach(() => {
    mock?.reset();
    gw?.runtime.forgetUpstreamHealth(); // a rate-limited case rests the key; each case starts afresh
    hits.length = 0;
    emitted.length = 0;
  });

  async function claude(t: TestContext, prompt: string, extra: Partial<RunClaudeOptions> = {}): Promise<ClaudeRun> {
    const run = await runClaude({ bin: bin!, prompt, baseUrl: gw.url, apiKey: CLIENT_KEY, timeoutMs: CLI_TIMEOUT_MS, ...extra });
    t.diagnostic(`claude ran ${run.durationMs} ms, exit ${run.exitCode}; gateway saw ${hits.length} request(s), upstream ${mock.requests.length}`);
    return run;
  }

  /** Runs the assertions; on failure adds the CLI's stderr/stdout and what the gateway and upstream saw. */
  function explain(run: ClaudeRun, check: () => void): void {
    try {
      check();
    } catch (e) {
      if (e instanceof Error) {
        const extra = `\n--- Claude Code ---\n${describeRun(run)}` +
          `\n--- gateway saw ---\n${hits.map((h) => `${h.method} ${h.url} -> ${h.status}`).join('\n') || '(nothing)'}` +
          `\n--- upstream saw ---\n${mock.requests.map(inputShape).join('\n') || '(nothing)'}`;
        e.message += extra;
        // the reporter prints the stack, which was fixed when the error was made: put the account in it too
        const at = e.stack?.indexOf('\n    at ') ?? -1;
        if (e.stack) e.stack = at >= 0 ? `${e.stack.slice(0, at)}${extra}${e.stack.slice(at)}` : `${e.stack}${extra}`;
      }
      throw e;
    }
  }

  function conversation(): RecordedRequest[] {
    return mock.requests.filter((r) => !isSideRequest(r));
  }

  /** The gateway's log never holds a prompt, a reply or a key (here: the run's random token and both keys). */
  function assertLogsClean(token: string): void {
    assert.ok(gw.logLines.length > 0, 'the gateway logged its requests');
    for (const secret of [token, CLIENT_KEY, UPSTREAM_KEY]) {
      assert.ok(!gw.logLines.some((l) => l.includes(secret)), 'no log line holds the prompt, the reply or a key');
    }
  }

  /** Claude Code probes HEAD / before its first request; the gateway must answer it 200. */
  function assertProbeAnswered(): void {
    const probes = hits.filter((h) => h.method === 'HEAD' && h.url === '/');
    assert.ok(probes.length >= 1, 'Claude Code sent its HEAD / probe');
    assert.deepEqual(probes.map((p) => p.status), probes.map(() => 200), 'the gateway answered the HEAD / probe with 200');
  }

  it('a plain answer: the mock\'s reply comes back, the upstream got a streamed, unstored request with the configured key', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const run = await claude(t, 'Say hello, please.');
    explain(run, () => {
      assert.equal(run.timedOut, false);
      assert.equal(run.exitCode, 0);
      assert.ok(run.result, 'stdout holds a result object');
      assert.equal(run.result.is_error, false);
      assert.equal(run.result.subtype, 'success');
      assert.match(run.result.result ?? '', new RegExp(`^${MOCK_HELLO.replace('.', '\\.')} \\(model: gpt-5-codex\\)`));

      assertProbeAnswered();
      const messages = hits.filter((h) => h.method === 'POST' && h.url.startsWith('/v1/messages'));
      assert.ok(messages.length >= 1);
      assert.ok(messages.every((h) => h.status === 200), 'every /v1/messages call succeeded');

      const conv = conversation();
      assert.equal(conv.length, 1, 'one conversation request upstream');
      for (const r of mock.requests) {
        assert.equal(r.method, 'POST');
        assert.equal(r.path, '/v1/responses');
        assert.equal(r.headers.authorization, `Bearer ${UPSTREAM_KEY}`, 'the key from config, as Bearer');
        assert.equal(r.body.stream, true);
        assert.equal(r.body.store, false);
      }
      assert.equal(conv[0].body.model, 'gpt-5-codex', 'the default model from config');
    });
  });

  it('a Bash tool round trip: Claude Code runs the mock\'s function_call and the output comes back under the same call_id', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const token = `pb-e2e-${randomBytes(4).toString('hex')}`;
    const run = await claude(t, `RUN: echo ${token}`, { args: ['--allowedTools', 'Bash'] });
    explain(run, () => {
      assert.equal(run.timedOut, false);
      assert.equal(run.exitCode, 0);
      assert.ok(run.result);
      assert.equal(run.result.is_error, false);
      assert.equal(run.result.result, `The command printed: ${token}`, 'the final answer quotes the command\'s real output');
      assert.equal(run.result.num_turns, 2);
      assert.deepEqual(run.result.permission_denials, []);
      assertProbeAnswered();

      const conv = conversation();
      assert.equal(conv.length, 2, 'the tool call, then the answer to its result');
      const offered = (conv[0].body.tools as Json[]).map((tool) => tool.name);
      assert.ok(offered.includes('Bash'), 'Claude Code\'s Bash tool was offered upstream');

      const first = emitted.find((e) => e.request === conv[0]);
      assert.ok(first);
      const call = emittedItems(first.scenario).find((i) => i.type === 'function_call');
      assert.ok(call, 'the mock answered with a function_call');
      assert.equal(call.name, 'Bash');
      assert.equal(JSON.parse(call.arguments).command, `echo ${token}`);

      const input = conv[1].body.input as Json[];
      const sentBack = input.filter((i) => i.type === 'function_call');
      const outputs = input.filter((i) => i.type === 'function_call_output');
      assert.equal(sentBack.length, 1);
      assert.equal(outputs.length, 1);
      assert.equal(sentBack[0].call_id, call.call_id, 'the function_call comes back with the mock\'s call_id');
      assert.equal(outputs[0].call_id, call.call_id, 'the function_call_output answers the mock\'s call_id');
      const output = typeof outputs[0].output === 'string' ? outputs[0].output : JSON.stringify(outputs[0].output);
      assert.ok(output.includes(token), 'the output is what the command printed');
      assert.ok(input.indexOf(sentBack[0]) < input.indexOf(outputs[0]), 'call before its output');
      assertLogsClean(token);
    });
  });

  it('thinking: Claude Code shows the mock\'s reasoning and the next request carries it back encrypted', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const token = `pb-e2e-${randomBytes(4).toString('hex')}`;
    const run = await claude(t, `THINK first, then RUN: echo ${token}`, { args: ['--allowedTools', 'Bash'], outputFormat: 'stream-json' });
    explain(run, () => {
      assert.equal(run.timedOut, false);
      assert.equal(run.exitCode, 0);
      assert.ok(run.result);
      assert.equal(run.result.is_error, false);
      assert.equal(run.result.result, `The command printed: ${token}`);

      const conv = conversation();
      assert.equal(conv.length, 2);
      assert.deepEqual(conv[0].body.include, ['reasoning.encrypted_content'], 'the gateway asks for the encrypted reasoning (store:false)');
      const first = emitted.find((e) => e.request === conv[0]);
      assert.ok(first);
      const reasoning = emittedItems(first.scenario).find((i) => i.type === 'reasoning');
      assert.ok(reasoning, 'the mock streamed a reasoning item');
      assert.ok(String(reasoning.encrypted_content).startsWith(MOCK_ENCRYPTED_PREFIX));

      // the CLI's stream-json shows the thinking block, the summaries as text and the encrypted content as signature
      const blocks = run.events
        .filter((e) => e.type === 'assistant')
        .flatMap((e) => ((e.message as Json | undefined)?.content as Json[] | undefined) ?? []);
      const thinking = blocks.filter((b) => b.type === 'thinking');
      assert.equal(thinking.length, 1, 'one thinking block shown');
      for (const summary of reasoning.summary as Json[]) assert.ok(String(thinking[0].thinking).includes(summary.text), 'each summary part is in the thinking text');
      assert.equal(thinking[0].signature, reasoning.encrypted_content);
      assert.ok(blocks.some((b) => b.type === 'tool_use' && b.name === 'Bash'));

      // ... and the second request of the session hands the reasoning back, before the call it led to
      const input = conv[1].body.input as Json[];
      const back = input.filter((i) => i.type === 'reasoning');
      assert.equal(back.length, 1, 'the reasoning item is sent back');
      assert.equal(back[0].encrypted_content, reasoning.encrypted_content, 'with the same encrypted_content');
      const callIndex = input.findIndex((i) => i.type === 'function_call');
      assert.ok(callIndex > input.indexOf(back[0]), 'reasoning precedes its function_call');
      assertLogsClean(token);
    });
  });

  it('a rate-limited upstream: Claude Code shows the 429 at once and exits, no silent retries', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    // Every request gets 429 + retry-after: 1 (RATE_LIMIT). The gateway retries twice itself (waiting the
    // retry-after), then answers 429 with `x-should-retry: false`, which Claude Code honours: without it,
    // Claude Code would retry 10 times with backoff (about 3 minutes) before showing anything in -p mode.
    const run = await claude(t, 'RATE_LIMIT this request');
    explain(run, () => {
      assert.equal(run.timedOut, false, 'Claude Code exited by itself');
      assert.notEqual(run.exitCode, 0);
      assert.ok(run.result, 'an error result is still printed as JSON');
      assert.equal(run.result.is_error, true);
      assert.equal(run.result.api_error_status, 429);
      assert.match(run.result.result ?? '', /rate limit/i);
      assert.match(run.result.result ?? '', /429/);

      assertProbeAnswered();
      const messages = hits.filter((h) => h.method === 'POST' && h.url.startsWith('/v1/messages'));
      assert.deepEqual(messages.map((h) => h.status), [429], 'one answer: Claude Code does not retry');
      assert.deepEqual(messages.map((h) => h.retryAfter), ['1'], 'the upstream\'s retry-after is passed on');
      assert.deepEqual(messages.map((h) => h.shouldRetry), ['false'], 'the gateway already retried');
      assert.equal(conversation().length, 3, 'the gateway tried the upstream three times (two short retries)');
    });
  });

  it('a passing rate limit: the gateway\'s own retry absorbs it and Claude Code gets the answer', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const run = await claude(t, 'RATE_LIMIT_ONCE then say hello');
    explain(run, () => {
      assert.equal(run.timedOut, false);
      assert.equal(run.exitCode, 0);
      assert.ok(run.result);
      assert.equal(run.result.is_error, false);
      assert.match(run.result.result ?? '', /\(model: gpt-5-codex\)/);
      const messages = hits.filter((h) => h.method === 'POST' && h.url.startsWith('/v1/messages'));
      assert.deepEqual(messages.map((h) => h.status), [200], 'Claude Code saw no error at all');
      assert.equal(conversation().length, 2, 'the upstream saw the 429 and the retry');
    });
  });

  it('--model gpt-5-codex-high: the upstream gets gpt-5-codex with effort high (over Claude Code\'s --effort low)', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const run = await claude(t, 'Say hello, please.', { args: ['--model', 'gpt-5-codex-high', '--effort', 'low'] });
    explain(run, () => {
      assert.equal(run.timedOut, false);
      assert.equal(run.exitCode, 0);
      assert.ok(run.result);
      assert.equal(run.result.is_error, false);
      assert.match(run.result.result ?? '', /\(model: gpt-5-codex\)/);
      assert.ok(Object.keys(run.result.modelUsage ?? {}).includes('gpt-5-codex-high'), 'Claude Code accounts the reply to the model it asked for');

      const conv = conversation();
      assert.equal(conv.length, 1);
      assert.equal(conv[0].body.model, 'gpt-5-codex');
      assert.equal(conv[0].body.reasoning?.effort, 'high', 'the name\'s suffix decides the effort');
    });
  });
});
