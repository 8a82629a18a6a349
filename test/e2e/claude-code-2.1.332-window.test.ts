// Claude Code 2.1.332 (the real binary) with exactly the environment `packybridge claude-env` prints, used as
// is: ANTHROPIC_BASE_URL, ANTHROPIC_AUTH_TOKEN, CLAUDE_CODE_AUTO_COMPACT_WINDOW (the catalog's input window of
// the model behind the Claude names: 272,000 for gpt-5-codex) and CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY.
//
// What it proves: auto-compact uses the real window (debug log `effectiveWindow=252000`, 272,000 less the
// 20,000 summary reserve); the terminal UI's /context shows 272k for the Claude name (claude-opus-5-5), and
// /model lists the gateway's names; and a session that grows towards the window compacts *before* sending a
// request over it (proactive), where the default setup (1M assumed) only compacts after the upstream refused
// one (reactive).
//
// The growing session: Claude Code decides from the sizes the upstream reports in `usage`, so the mock model
// reports 10,000 tokens plus 60,000 per tool output in the conversation and refuses a conversation turn over
// 272,000 (any request: a conversation turn or Claude Code's summary request) the way Chat-style relays do
// (400 context_length_exceeded with its counts).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startMockUpstream, type MockUpstream, type RecordedRequest } from '../support/mock-upstream.ts';
import { createDefaultHandler, readTurn } from '../support/mock-default-handler.ts';
import { functionCalls, httpError, openaiErrorBody, text, type Scenario } from '../support/response-scenarios.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { claudePlatformKey, describeRun, findClaudeBinary, runClaude, type ClaudeRun } from '../support/claude-cli.ts';
import { startRecordingProxy, type ProxiedExchange, type RecordingProxy } from '../support/recording-proxy.ts';
import { hasTmux, TmuxSession } from '../support/tmux-session.ts';

const CLI = resolve(import.meta.dirname, '../../src/cli.ts');
const UPSTREAM_KEY = 'sk-test-upstream-key-1234';
const WINDOW = 272_000;
const BASE = 10_000;
const STEP = 60_000;
const ROUNDS = 5;
const TEST_TIMEOUT_MS = 150_000;

const bin = findClaudeBinary(process.cwd(), '2.1.332');
const mustRun = claudePlatformKey() === 'linux-x64';
const skip = bin === undefined && !mustRun ? 'Claude Code 2.1.332 is not installed here; skipped' : false;

/** The test's configuration: no api-keys, so claude-env gives a token to use as it is. */
const configYaml = (upstream: string) => [
  'packycode:', '  enabled: true', `  base-url: ${upstream}`, '  credentials:', `    openai-api-key: ${UPSTREAM_KEY}`,
  '  defaults:', '    model: gpt-5-codex', '    model-reasoning-effort: medium', '',
].join('\n');

const isSide = (r: RecordedRequest): boolean => r.body?.text?.format?.type === 'json_schema';
const outputs = (r: RecordedRequest): number => (r.body?.input ?? []).filter((i: { type?: string }) => i.type === 'function_call_output').length;
const mentions = (r: RecordedRequest, s: string): boolean => JSON.stringify(r.body?.input ?? []).includes(s);
const round = (n: number): Scenario => functionCalls([{ name: 'Bash', arguments: { command: `echo round ${n}`, description: `round ${n}` } }], { usage: { input_tokens: BASE + STEP * (n - 1) } });

/** The growing session's model (see the header); other requests get the mock's default answers. */
function growingModel(defaults: (r: RecordedRequest) => Scenario) {
  return (r: RecordedRequest): Scenario => {
    if (isSide(r)) return defaults(r);
    const n = mentions(r, 'GROW_SUMMARY') ? 0 : outputs(r); // a summary replaces the rounds before it
    const size = BASE + STEP * n;
    if (size > WINDOW) {
      return httpError(400, openaiErrorBody(400, {
        code: 'context_length_exceeded', type: 'invalid_request_error',
        message: `This model's maximum context length is ${WINDOW} tokens. However, your messages resulted in ${size} tokens. Please reduce the length of the messages.`,
      }));
    }
    if (r.body.input.at(-1)?.type === 'function_call_output' && n > 0) {
      return n < ROUNDS ? round(n + 1) : text(`GROW_DONE after round ${n}.`, { usage: { input_tokens: size } });
    }
    const turn = readTurn(r.body);
    if (turn.lastCallName === undefined && turn.userTexts.some((t) => t.includes('GROW'))) return round(1);
    // Claude Code's summary request when it compacts, then the session going on with the summary
    return text(mentions(r, 'GROW_SUMMARY') ? 'GROW_DONE after a compaction.' : '<summary>GROW_SUMMARY: rounds of echo ran.</summary>', { usage: { input_tokens: BASE } });
  };
}

/** Types a slash command and presses Enter until its screen shows (the menu may draw before it takes keys). */
async function command(tui: TmuxSession, name: string, shows: RegExp): Promise<string> {
  tui.type(name);
  for (let i = 0; ; i++) {
    tui.press('Enter');
    try { return await tui.waitFor(shows, 15_000); } catch (e) { if (i === 3) throw e; }
  }
}

describe('Claude Code 2.1.332 with the environment packybridge claude-env prints', { concurrency: 1, skip }, () => {
  let mock: MockUpstream;
  let gw: TestGateway;
  let proxy: RecordingProxy;
  /** claude-env's variables, for a Claude Code that reaches the gateway through the recording proxy */
  let printed: Record<string, string>;

  before(async () => {
    assert.ok(bin, 'Claude Code 2.1.332 is installed (npm ci)');
    mock = await startMockUpstream({ apiKey: UPSTREAM_KEY, handler: growingModel(createDefaultHandler()) });
    gw = await startTestGateway(configYaml(mock.url));
    proxy = await startRecordingProxy(gw.url);
    // the real command, on the gateway's own config.yaml, told the proxy's port (where this Claude Code connects)
    const r = spawnSync(process.execPath, [CLI, 'claude-env', '--config', gw.configPath, '--codex-home', join(gw.dir, 'codex-home'), '--port', new URL(proxy.url).port],
      { env: { PATH: process.env.PATH, HOME: gw.dir }, encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    printed = Object.fromEntries([...r.stdout.matchAll(/^export (\w+)=(\S+)$/gm)].map((m) => [m[1], m[2]]));
    assert.deepEqual(printed, {
      ANTHROPIC_BASE_URL: proxy.url,
      ANTHROPIC_AUTH_TOKEN: 'packybridge',
      CLAUDE_CODE_AUTO_COMPACT_WINDOW: String(WINDOW),
      CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY: '1',
    });
  });

  after(async () => {
    await proxy?.close();
    await gw?.stop();
    await mock?.close();
  });

  /** Headless `claude -p` with `env` exactly (runClaude adds PATH, HOME, TMPDIR and no-telemetry only). */
  async function claude(prompt: string, env: Record<string, string>): Promise<{ run: ClaudeRun; traffic: ProxiedExchange[] }> {
    mock.reset();
    const from = proxy.exchanges.length;
    const run = await runClaude({ bin: bin!, prompt, baseUrl: env.ANTHROPIC_BASE_URL, env, timeoutMs: 120_000, outputFormat: 'stream-json', debugLog: true, args: ['--allowedTools', 'Bash'] });
    return { run, traffic: proxy.exchanges.slice(from) };
  }

  function explain(run: ClaudeRun, traffic: ProxiedExchange[], check: () => void): void {
    try { check(); } catch (e) {
      if (e instanceof Error) {
        e.message += `\n--- Claude Code ---\n${describeRun(run)}\n--- gateway saw ---\n${traffic.map((x) => `${x.method} ${x.url} -> ${x.status}`).join('\n')}`
          + `\n--- debug log (compaction lines) ---\n${(run.debugLog ?? '').split('\n').filter((l) => /compact|window/i.test(l)).slice(0, 40).join('\n')}`;
      }
      throw e;
    }
  }

  const messages = (traffic: ProxiedExchange[]) => traffic.filter((x) => x.method === 'POST' && x.url.startsWith('/v1/messages?'));

  it('headless: auto-compact at the real window, the gateway\'s model list read, no unknown-model notice', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { run, traffic } = await claude('Say hello, please.', printed);
    explain(run, traffic, () => {
      assert.equal(run.exitCode, 0);
      assert.equal(run.result?.is_error, false);
      assert.match(run.debugLog ?? '', /autocompact: .*effectiveWindow=252000/, '272,000 less the 20,000 summary reserve');
      assert.doesNotMatch(run.debugLog ?? '', /effectiveWindow=980000/);
      assert.doesNotMatch(run.debugLog ?? '', /doesn't recognize the model/);
      assert.ok(traffic.some((x) => x.method === 'GET' && x.url === '/v1/models?limit=1000' && x.status === 200), 'discovery read the gateway\'s list');
      assert.ok(messages(traffic).every((x) => x.status === 200));
      assert.deepEqual(Object.keys(run.result?.modelUsage ?? {}), ['claude-opus-5-5'], 'the Claude name stays');
    });
  });

  it('a growing session compacts before it would overflow (proactive); the default setup only after a refusal (reactive)', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const pinned = await claude('GROW: run the rounds', printed);
    explain(pinned.run, pinned.traffic, () => {
      const calls = messages(pinned.traffic);
      t.diagnostic(`claude-env's setup: /v1/messages ${calls.map((x) => x.status).join(', ')}`);
      assert.equal(pinned.run.exitCode, 0);
      assert.equal(pinned.run.result?.result, 'GROW_DONE after a compaction.');
      assert.ok(calls.every((x) => x.status === 200), 'no request went over the window');
      assert.match(pinned.run.debugLog ?? '', /autocompact: .*level=compact effectiveWindow=252000/);
      assert.match(pinned.run.debugLog ?? '', /source=compact/);
      const turns = mock.requests.filter((r) => !isSide(r) && r.body.input.at(-1)?.type === 'function_call_output');
      assert.ok(turns.every((r) => BASE + STEP * outputs(r) <= WINDOW), 'every turn sent fits the window');
      assert.ok(turns.some((r) => outputs(r) === ROUNDS - 1), 'the rounds below the window all ran before it compacted');
      assert.ok(mock.requests.some((r) => !isSide(r) && mentions(r, 'GROW_SUMMARY')), 'the session went on with the summary');
    });

    const { CLAUDE_CODE_AUTO_COMPACT_WINDOW: _, ...withoutWindow } = printed;
    const assumed = await claude('GROW: run the rounds', withoutWindow);
    explain(assumed.run, assumed.traffic, () => {
      const calls = messages(assumed.traffic);
      t.diagnostic(`without the window: /v1/messages ${calls.map((x) => x.status).join(', ')}`);
      assert.match(assumed.run.debugLog ?? '', /effectiveWindow=980000/, 'it assumes 1M for the Claude name');
      const refused = calls.find((x) => x.status === 400);
      assert.ok(refused, 'a turn went over the window and was refused');
      assert.match(JSON.parse(refused.reply).error.message, /^prompt is too long: \d+ tokens > 272000 maximum$/);
      assert.match(assumed.run.debugLog ?? '', /\[reactive-compact\] finished/, 'then it compacted, reactively');
      assert.equal(assumed.run.result?.result, 'GROW_DONE after a compaction.', 'and went on');
    });
  });

  it('terminal UI: /context shows the 272k window for the Claude name, /model the gateway\'s names', { timeout: TEST_TIMEOUT_MS, skip: !hasTmux() && !mustRun ? 'tmux is not installed here' : false }, async () => {
    assert.ok(hasTmux(), 'tmux is installed (.ci/run installs it)');
    const root = mkdtempSync(join(tmpdir(), 'packybridge-window-tui-'));
    const home = join(root, 'home');
    const work = join(root, 'work');
    mkdirSync(home);
    mkdirSync(work);
    // first-run screens skipped as the README says, folder trusted; ANTHROPIC_AUTH_TOKEN needs no key approval
    writeFileSync(join(home, '.claude.json'), JSON.stringify({ hasCompletedOnboarding: true, projects: { [work]: { hasTrustDialogAccepted: true } } }));
    const tui = new TmuxSession([bin!], {
      cwd: work, rows: 60, cols: 150,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, TERM: 'xterm-256color', TMPDIR: root, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_TELEMETRY: '1', ...printed },
    });
    try {
      await tui.waitFor(/auto mode on/, 60_000);
      const context = await command(tui, '/context', /Auto-compact window:\s+\d/);
      assert.match(context, /claude-opus-5-5/);
      assert.match(context, /\d+(\.\d+)?k\/272k tokens/, 'the usage line counts against 272k');
      assert.match(context, /Auto-compact window:\s+272k tokens/);
      assert.doesNotMatch(context, /\/1m tokens|unrecognized model/);
      tui.press('Escape');
      const picker = await command(tui, '/model', /Select model/);
      assert.match(picker, /→ GPT-5 Codex \(packybridge\)/, 'the gateway\'s names are listed');
      tui.press('Escape');
    } finally {
      await tui.close();
      // the program's children (shell snapshots, the debug log) may still be closing files for a moment
      rmSync(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    }
  });
});
