// The newest Claude Code (2.1.332) headless through packybridge against an upstream that echoes the request in
// its response objects, as the real Responses API does: every reply's response.created, in_progress and
// completed carry Claude Code's ~24 tool schemas and its system prompt. The gateway cuts them before decoding
// (src/upstream/echoed-request.ts): the first echo of a tool set is walked, the later ones (the other events of
// the reply, the next turn of the session) are recognised by their bytes. A Bash round trip is two turns with
// the same tools, so both ways are on the path the real client reads.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.ts';
import { createDefaultHandler } from '../support/mock-default-handler.ts';
import { startTestGateway, packycodeYaml, type TestGateway } from '../support/gateway.ts';
import { claudePlatformKey, describeRun, findClaudeBinary, runClaude } from '../support/claude-cli.ts';

const CLIENT_KEY = 'test-client-key';
const UPSTREAM_KEY = 'sk-test-upstream-key-1234';

const platform = claudePlatformKey();
const bin = findClaudeBinary(process.cwd(), '2.1.332');
const skip = bin === undefined && platform !== 'linux-x64' ? `Claude Code 2.1.332's native binary is not installed for ${platform}; skipped` : false;

describe('Claude Code 2.1.332 through packybridge, the upstream echoing its request', { concurrency: 1, skip }, () => {
  let mock: MockUpstream;
  let gw: TestGateway;

  before(async () => {
    assert.ok(bin, `Claude Code 2.1.332's binary is missing on ${platform}: npm ci (with optional dependencies) installs claude-code-2.1.332`);
    mock = await startMockUpstream({ apiKey: UPSTREAM_KEY, handler: createDefaultHandler(), echoRequest: true });
    gw = await startTestGateway(packycodeYaml(mock.url));
  });

  after(async () => {
    await gw?.stop();
    await mock?.close();
  });

  it('a Bash round trip: two turns, each reply echoing ~70 KB of tools three times, read whole', { timeout: 120_000 }, async () => {
    const token = `pb-echo-${randomBytes(4).toString('hex')}`;
    const run = await runClaude({ bin: bin!, prompt: `RUN: echo ${token}`, baseUrl: gw.url, apiKey: CLIENT_KEY, timeoutMs: 90_000, outputFormat: 'stream-json', args: ['--permission-mode', 'auto'] });
    const why = `\n${describeRun(run)}`;
    assert.equal(run.exitCode, 0, why);
    assert.equal(run.result?.is_error, false, why);
    assert.equal(run.result?.result, `The command printed: ${token}`, why);
    // the conversation's turns went upstream with Claude Code's whole tool list, so each reply echoed it
    const turns = mock.requests.filter((r) => Array.isArray(r.body?.tools) && r.body.tools.length > 10);
    assert.ok(turns.length >= 2, `two turns with the tools upstream (${mock.requests.length} requests)${why}`);
    assert.ok(turns.every((r) => JSON.stringify(r.body.tools).length > 30_000), 'a real tool list: tens of KB echoed in every response object');
    assert.deepEqual(JSON.stringify(turns[0].body.tools), JSON.stringify(turns.at(-1)!.body.tools), 'the same tools every turn: the later echoes are the kept ones');
  });
});
