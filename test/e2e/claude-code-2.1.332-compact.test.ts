// Claude Code 2.1.332 (the real binary) compacting through packybridge when the model's window is smaller than
// the one it assumes. The mock Responses upstream plays a model with a small input window (WINDOW tokens,
// counted as the input's JSON length / 4) and answers an input over it the way Chat-style relays do:
// 400 context_length_exceeded, "maximum context length is M tokens. However, your messages resulted in N
// tokens". The gateway turns that into Anthropic's `prompt is too long: N tokens > M maximum`.
//
// What 2.1.332 does with it (read from the binary and checked here): in a conversation of two or more rounds
// it compacts reactively ("Reactive compact" in its debug log, a `source=compact` request: the older rounds
// are summarised), swaps the summary in and retries; the session then goes on. In a conversation of a single
// round there is nothing to summarise away and it reports "Prompt is too long" (claude-code-2.1.332.test.ts).
// Its proactive threshold ignores the gateway's model list and follows CLAUDE_CODE_AUTO_COMPACT_WINDOW.
import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { startMockUpstream } from '../support/mock-upstream.ts';
import type { MockUpstream, RecordedRequest } from '../support/mock-upstream.ts';
import { createDefaultHandler, readTurn } from '../support/mock-default-handler.ts';
import { functionCalls, httpError, openaiErrorBody, text, type Scenario } from '../support/response-scenarios.ts';
import { startTestGateway, packycodeYaml } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { claudePlatformKey, describeRun, findClaudeBinary, runClaude } from '../support/claude-cli.ts';
import type { ClaudeRun, RunClaudeOptions } from '../support/claude-cli.ts';
import { startRecordingProxy, type ProxiedExchange, type RecordingProxy } from '../support/recording-proxy.ts';

const CLIENT_KEY = 'test-client-key';
const UPSTREAM_KEY = 'sk-test-upstream-key-1234';
const TEST_TIMEOUT_MS = 150_000;
const CLI_TIMEOUT_MS = 120_000;
/** The mock model's input window, in tokens (~4 characters of request JSON each). */
const WINDOW = 14_000;
/** Rounds of the counting loop: each adds a ~11 KB Bash output, so the window overflows on the way. */
const ROUNDS = 6;
const SUMMARY = 'LOOP_SUMMARY: the user asked for rounds of counting; the first ones ran.';
const DONE = 'LOOP_DONE';

const platform = claudePlatformKey();
const bin = findClaudeBinary(process.cwd(), '2.1.332');
const mustRun = platform === 'linux-x64';
const skip = bin === undefined && !mustRun ? `Claude Code 2.1.332's native binary is not installed for ${platform}; skipped` : false;

type Json = Record<string, any>;

const tokensOf = (r: RecordedRequest): number => Math.ceil(JSON.stringify(r.body?.input ?? []).length / 4);
const mentions = (r: RecordedRequest, s: string): boolean => JSON.stringify(r.body?.input ?? []).includes(s);
const isSide = (r: RecordedRequest): boolean => r.body?.text?.format?.type === 'json_schema';
const count = (round: number): Scenario => functionCalls([{ name: 'Bash', arguments: { command: `seq ${round} 2000`, description: `count, round ${round}` } }]);

/**
 * The mock model: over the window, the overflow error; a request ending in a Bash output runs the next round
 * (the output's first line is the round) until ROUNDS, then DONE; the LOOP prompt starts round 1; any other
 * request (the summary request Claude Code sends when it compacts) gets a summary, unless the conversation
 * already holds one (then the session is going on after a compaction: DONE).
 */
function compactingModel(defaults: (r: RecordedRequest) => Scenario, statesCounts: () => boolean) {
  return (r: RecordedRequest): Scenario => {
    if (isSide(r)) return defaults(r);
    const tokens = tokensOf(r);
    if (tokens > WINDOW) {
      return httpError(400, openaiErrorBody(400, {
        code: 'context_length_exceeded', type: 'invalid_request_error',
        message: statesCounts()
          ? `This model's maximum context length is ${WINDOW} tokens. However, your messages resulted in ${tokens} tokens. Please reduce the length of the messages.`
          : 'Your input exceeds the context window of this model. Please adjust your input and try again.',
      }));
    }
    const turn = readTurn(r.body);
    if (r.body.input.at(-1)?.type === 'function_call_output' && turn.toolOutput !== undefined) {
      const round = Number(turn.toolOutput.trim().split('\n')[0]);
      return round < ROUNDS ? count(round + 1) : text(`${DONE} after round ${round}.`);
    }
    if (turn.lastCallName === undefined && turn.userTexts.some((t) => t.includes('LOOP'))) return count(1);
    return text(mentions(r, 'LOOP_SUMMARY') ? `${DONE} after a compaction.` : `<summary>${SUMMARY}</summary>`);
  };
}

describe('Claude Code 2.1.332 through packybridge: compaction when the model\'s window is smaller', { concurrency: 1, skip }, () => {
  let mock: MockUpstream;
  let gw: TestGateway;
  let proxy: RecordingProxy | undefined;
  let statesCounts = true;

  before(async () => {
    assert.ok(bin, `Claude Code 2.1.332's binary is missing on ${platform}: npm ci (with optional dependencies) installs claude-code-2.1.332`);
    mock = await startMockUpstream({ apiKey: UPSTREAM_KEY, handler: compactingModel(createDefaultHandler(), () => statesCounts) });
    gw = await startTestGateway(packycodeYaml(mock.url));
  });

  after(async () => {
    await proxy?.close();
    await gw?.stop();
    await mock?.close();
  });

  beforeEach(() => { mock?.reset(); });

  async function claude(prompt: string, extra: Partial<RunClaudeOptions> = {}): Promise<{ run: ClaudeRun; traffic: ProxiedExchange[] }> {
    await proxy?.close();
    proxy = await startRecordingProxy(gw.url);
    const run = await runClaude({ bin: bin!, prompt, baseUrl: proxy.url, apiKey: CLIENT_KEY, timeoutMs: CLI_TIMEOUT_MS, outputFormat: 'stream-json', debugLog: true, ...extra });
    return { run, traffic: [...proxy.exchanges] };
  }

  function explain(run: ClaudeRun, traffic: ProxiedExchange[], check: () => void): void {
    try { check(); } catch (e) {
      if (e instanceof Error) {
        e.message += `\n--- Claude Code ---\n${describeRun(run)}\n--- gateway saw ---\n${traffic.map((x) => `${x.method} ${x.url} -> ${x.status} ${x.status >= 400 ? x.reply.slice(0, 200) : ''}`).join('\n') || '(nothing)'}`
          + `\n--- debug log (compaction lines) ---\n${(run.debugLog ?? '').split('\n').filter((l) => /compact/i.test(l)).slice(0, 40).join('\n')}`;
      }
      throw e;
    }
  }

  const messagesCalls = (traffic: ProxiedExchange[]) => traffic.filter((x) => x.method === 'POST' && x.url.startsWith('/v1/messages?'));

  const cases = [
    { states: true, how: 'the upstream states its counts (Chat-style relays): N and M are the upstream\'s' },
    { states: false, how: 'the upstream states none (OpenAI Responses\' own message): N counted locally, M the catalog window' },
  ];
  for (const { states, how } of cases) it(`a session that outgrows the window, ${how}; Claude Code summarises the older rounds and goes on`, { timeout: TEST_TIMEOUT_MS }, async (t) => {
    statesCounts = states;
    const { run, traffic } = await claude('LOOP: count with Bash, round after round', { args: ['--allowedTools', 'Bash'] });
    explain(run, traffic, () => {
      const calls = messagesCalls(traffic);
      t.diagnostic(`claude ran ${run.durationMs} ms; /v1/messages: ${calls.map((x) => x.status).join(', ')}`);
      const overflow = calls.findIndex((x) => x.status === 400);
      assert.ok(overflow > 0, 'a request overflowed the window after some rounds');
      const error = JSON.parse(calls[overflow].reply).error as Json;
      assert.equal(error.type, 'invalid_request_error');
      const [, n, m] = /^prompt is too long: (\d+) tokens > (\d+) maximum$/.exec(error.message) ?? [];
      if (states) {
        assert.equal(Number(m), WINDOW, 'M is the window the upstream stated');
        assert.ok(Number(n) > WINDOW, 'N is the size the upstream counted');
      } else {
        assert.equal(Number(m), 272_000, 'M is the catalog\'s input window of gpt-5-codex');
        assert.ok(Number(n) > Number(m));
      }
      // the summary request: Claude Code's compaction, sent through the gateway and answered
      const summarising = mock.requests.filter((r) => !isSide(r) && r.body.input.at(-1)?.role === 'user' && !mentions(r, 'LOOP_SUMMARY') && tokensOf(r) <= WINDOW && r.body.input.some((i: Json) => i.type === 'function_call_output'));
      assert.ok(summarising.length >= 1, 'a summary request reached the upstream');
      assert.ok(calls.slice(overflow + 1).some((x) => x.status === 200 && x.reply.includes('LOOP_SUMMARY')), 'the summary came back through the gateway');
      assert.match(run.debugLog ?? '', /source=compact/);
      assert.match(run.debugLog ?? '', /\[reactive-compact\] finished/);
      // after the compaction: the conversation carries the summary, fits, and the session ends normally
      const after = mock.requests.filter((r) => mentions(r, 'LOOP_SUMMARY') && !isSide(r));
      assert.ok(after.length >= 1, 'the session went on with the summary in place of the older rounds');
      assert.ok(after.every((r) => tokensOf(r) <= WINDOW), 'and within the window');
      assert.equal(run.exitCode, 0);
      assert.equal(run.result?.is_error, false);
      assert.match(run.result?.result ?? '', new RegExp(`^${DONE}`));
      assert.ok(!/prompt is too long/i.test(run.result?.result ?? ''), 'the user is not shown the overflow');
    });
  });

  it('its auto-compact window: 1,000,000 by default even with the gateway\'s model list; CLAUDE_CODE_AUTO_COMPACT_WINDOW=272000 sets it', { timeout: TEST_TIMEOUT_MS }, async () => {
    const discovery = await claude('Say hello, please.', { env: { CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY: '1' } });
    explain(discovery.run, discovery.traffic, () => {
      assert.equal(discovery.run.exitCode, 0);
      assert.ok(discovery.traffic.some((x) => x.method === 'GET' && x.url === '/v1/models?limit=1000' && x.status === 200), 'it read the gateway\'s model list');
      assert.match(discovery.run.debugLog ?? '', /autocompact: .*effectiveWindow=980000/, 'the list\'s context_window does not change the window (1M less its 20k summary reserve)');
    });
    const pinned = await claude('Say hello, please.', { env: { CLAUDE_CODE_AUTO_COMPACT_WINDOW: '272000' } });
    explain(pinned.run, pinned.traffic, () => {
      assert.equal(pinned.run.exitCode, 0);
      assert.match(pinned.run.debugLog ?? '', /autocompact: .*effectiveWindow=252000/, 'the env var sets it: 272000 less the 20k reserve');
      assert.doesNotMatch(pinned.run.debugLog ?? '', /effectiveWindow=980000/);
    });
  });
});
