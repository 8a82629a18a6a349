// Claude Code 2.1.332's terminal UI (in tmux) through packybridge, in its default auto mode, classifier off:
// one turn whose Bash call its own checks cannot decide. The gateway's per-call answer makes it ask the user
// ("Auto mode couldn't check this action, so it needs your approval"), never the session-wide "Auto mode
// can't check actions in this session"; approving runs the command and its output reaches the model.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.ts';
import { startTestGateway, packycodeYaml, type TestGateway } from '../support/gateway.ts';
import { claudePlatformKey, findClaudeBinary } from '../support/claude-cli.ts';
import { hasTmux, TmuxSession } from '../support/tmux-session.ts';

const bin = findClaudeBinary(process.cwd(), '2.1.332');
const mustRun = claudePlatformKey() === 'linux-x64';
const skip = (bin === undefined || !hasTmux()) && !mustRun ? 'Claude Code 2.1.332 or tmux is not installed here; terminal UI test skipped' : false;

describe('Claude Code 2.1.332 terminal UI, auto mode, classifier off', { skip }, () => {
  let mock: MockUpstream;
  let gw: TestGateway;
  let root: string;
  let tui: TmuxSession | undefined;

  before(async () => {
    assert.ok(bin, 'Claude Code 2.1.332 is installed (npm ci)');
    assert.ok(hasTmux(), 'tmux is installed (.ci/run installs it)');
    mock = await startMockUpstream({ apiKey: 'sk-test-upstream-key-1234' });
    gw = await startTestGateway(packycodeYaml(mock.url));
    root = mkdtempSync(join(tmpdir(), 'packybridge-tui-'));
  });

  after(async () => {
    await tui?.close();
    await gw?.stop();
    await mock?.close();
    rmSync(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  });

  it('asks about the action (per call, no session error); approved, it runs and the answer quotes its output', { timeout: 90_000 }, async () => {
    const home = join(root, 'home');
    const work = join(root, 'work');
    mkdirSync(home);
    mkdirSync(work);
    // first-run screens skipped as the README says; the key pre-approved (its last 20 characters); folder trusted
    writeFileSync(join(home, '.claude.json'), JSON.stringify({
      hasCompletedOnboarding: true, customApiKeyResponses: { approved: ['test-client-key'], rejected: [] },
      projects: { [work]: { hasTrustDialogAccepted: true } },
    }));
    tui = new TmuxSession([bin!], {
      cwd: work,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, TERM: 'xterm-256color', TMPDIR: root,
        ANTHROPIC_BASE_URL: gw.url, ANTHROPIC_API_KEY: 'test-client-key', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_TELEMETRY: '1',
      },
    });
    await tui.waitFor(/auto mode on/);
    const token = `pb-tui-${randomBytes(4).toString('hex')}`;
    // a pipe into a shell: nothing in Claude Code's own rules allows it, so it needs the check
    tui.type(`RUN: echo ${token} | sh -c cat`);
    tui.press('Enter');
    const asked = await tui.waitFor(/needs your approval/);
    assert.match(asked, /Auto mode couldn't check this action, so it needs your approval/);
    assert.doesNotMatch(asked, /can't check actions in this session/);
    // the dialog may draw before it takes keys (a loaded machine): move to "Yes" until the screen shows it chosen,
    // then Enter; under full CI load the dialog was once seen drawn again afresh ("❯ No") after the Enter, so
    // while it still shows, choose "Yes" again (at most twice more)
    const printed = new RegExp(`The command printed: ${token}`);
    let done = '';
    for (let attempt = 0; done === ''; attempt++) {
      for (let i = 0; ; i++) {
        tui.press('Down');
        try { await tui.waitFor(/❯ Yes/, 3_000); break; } catch (e) { if (i === 4) throw e; }
      }
      tui.press('Enter'); // Yes
      try {
        done = await tui.waitFor(printed, attempt === 2 ? 30_000 : 15_000);
      } catch (e) {
        if (attempt === 2 || !/❯ No\s+Yes/.test(tui.screen())) throw e;
      }
    }
    assert.doesNotMatch(done, /can't check actions in this session/);
    const conv = mock.requests.filter((r) => r.body?.text?.format?.type !== 'json_schema');
    assert.ok(conv.length >= 2, 'the call, then the answer to its result');
    assert.ok(conv.every((r) => !('safeguards' in r.body)), 'safeguards stay at the gateway');
  });
});
