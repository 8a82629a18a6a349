// Claude Code 2.1.332 (the real binary, headless) continuing a session through packybridge: `--continue`,
// `--resume <id>` and `--resume <id> --fork-session` after a first run whose turn held reasoning and a Bash
// round trip. The resumed conversation reaches the upstream whole (earlier prompts, the call and its output,
// the reasoning item with its encrypted content), under the session's prompt_cache_key; a fork gets its own.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startMockUpstream, type MockUpstream, type RecordedRequest } from '../support/mock-upstream.ts';
import { MOCK_ENCRYPTED_PREFIX, MOCK_HELLO } from '../support/mock-default-handler.ts';
import { startTestGateway, packycodeYaml, type TestGateway } from '../support/gateway.ts';
import { claudePlatformKey, describeRun, findClaudeBinary, runClaude, type ClaudeRun } from '../support/claude-cli.ts';

const bin = findClaudeBinary(process.cwd(), '2.1.332');
const mustRun = claudePlatformKey() === 'linux-x64';
const skip = bin === undefined && !mustRun ? 'Claude Code 2.1.332 is not installed here; skipped' : false;

type Json = Record<string, any>;
const isSide = (r: RecordedRequest): boolean => r.body?.text?.format?.type === 'json_schema';
const has = (r: RecordedRequest, s: string): boolean => JSON.stringify(r.body?.input ?? []).includes(s);

describe('Claude Code 2.1.332 through packybridge: --continue and --resume', { concurrency: 1, skip }, () => {
  let mock: MockUpstream;
  let gw: TestGateway;
  let root: string;

  before(async () => {
    assert.ok(bin, 'Claude Code 2.1.332 is installed (npm ci)');
    mock = await startMockUpstream({ apiKey: 'sk-test-upstream-key-1234' });
    gw = await startTestGateway(packycodeYaml(mock.url));
    root = mkdtempSync(join(tmpdir(), 'packybridge-resume-'));
  });

  after(async () => {
    await gw?.stop();
    await mock?.close();
    rmSync(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  });

  /** One headless run in the shared HOME and folder; the main (non-title) requests it sent upstream. */
  async function claude(prompt: string, args: string[] = []): Promise<{ run: ClaudeRun; main: RecordedRequest[] }> {
    mock.reset();
    const run = await runClaude({ bin: bin!, prompt, baseUrl: gw.url, apiKey: 'test-client-key', root, timeoutMs: 90_000, args: ['--allowedTools', 'Bash', ...args] });
    assert.equal(run.exitCode, 0, describeRun(run));
    assert.equal(run.result?.is_error, false, describeRun(run));
    return { run, main: mock.requests.filter((r) => !isSide(r)) };
  }

  it('the session goes on with its whole history, reasoning and tool round trip included', { timeout: 300_000 }, async () => {
    const token = `pb-resume-${randomBytes(4).toString('hex')}`;
    const first = await claude(`THINK RUN: echo ${token}`);
    assert.match(first.run.result?.result ?? '', new RegExp(`The command printed: ${token}`));
    const session = first.run.result!.session_id;
    const cacheKey = first.main[0].body.prompt_cache_key;
    assert.ok(cacheKey, 'Claude Code\'s session reaches the upstream as prompt_cache_key');

    const checkHistory = (r: RecordedRequest, prompts: string[]) => {
      const items = r.body.input as Json[];
      for (const p of prompts) assert.ok(has(r, p), `the earlier prompt ${p} is sent again`);
      assert.ok(items.some((i) => i.type === 'function_call' && i.name === 'Bash' && String(i.arguments).includes(token)), 'the Bash call');
      assert.ok(items.some((i) => i.type === 'function_call_output' && String(JSON.stringify(i.output)).includes(token)), 'and its output');
      assert.ok(items.some((i) => i.type === 'reasoning' && String(i.encrypted_content).startsWith(MOCK_ENCRYPTED_PREFIX)), 'the reasoning item with its encrypted content');
      assert.ok(has(r, MOCK_HELLO) || has(r, 'The command printed'), 'the earlier answer');
    };

    const continued = await claude('CONTINUED-PROMPT-beta', ['--continue']);
    assert.equal(continued.run.result?.session_id, session, '--continue keeps the session');
    checkHistory(continued.main[0], [token]);
    assert.equal(continued.main[0].body.prompt_cache_key, cacheKey);

    const resumed = await claude('RESUMED-PROMPT-gamma', ['--resume', session]);
    assert.equal(resumed.run.result?.session_id, session);
    checkHistory(resumed.main[0], [token, 'CONTINUED-PROMPT-beta']);
    assert.equal(resumed.main[0].body.prompt_cache_key, cacheKey);

    const forked = await claude('FORKED-PROMPT-delta', ['--resume', session, '--fork-session']);
    assert.notEqual(forked.run.result?.session_id, session, 'a fork is a new session');
    checkHistory(forked.main[0], [token, 'CONTINUED-PROMPT-beta', 'RESUMED-PROMPT-gamma']);
    assert.notEqual(forked.main[0].body.prompt_cache_key, cacheKey, 'with its own cache key');
    assert.match(forked.run.result?.result ?? '', new RegExp(MOCK_HELLO.replace('.', '\\.')));
  });
});
