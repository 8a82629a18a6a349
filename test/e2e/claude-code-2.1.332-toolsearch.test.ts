// ToolSearch with the newest Claude Code (2.1.332, headless `claude -p`): its deferred tools stay out of the
// upstream's tool list until the model loads one through ToolSearch; the tool_reference in the tool_result makes
// the gateway send the tool's full definition, the model calls it, and its output comes back.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { inputOf, noDeferredMarkers, skip332, startSession332, toolsOf } from '../support/claude-code-332.ts';
import type { Session332 } from '../support/claude-code-332.ts';

type Json = Record<string, any>;


describe('Claude Code 2.1.332: a deferred tool loaded through ToolSearch, then called', { concurrency: 1, skip: skip332 }, () => {
  let s: Session332;
  before(async () => { s = await startSession332(); });
  after(async () => { await s?.stop(); });

  it('CronList: not offered, loaded by ToolSearch, called, its output read by the model', { timeout: 150_000 }, async () => {
    const run = await s.claude('USE: CronList {}', { args: ['--allowedTools', 'ToolSearch,CronList'] });
    try {
      assert.equal(run.timedOut, false);
      assert.equal(run.exitCode, 0);
      assert.ok(run.result);
      assert.equal(run.result.is_error, false);
      assert.deepEqual(run.result.permission_denials, []);

      const main = s.mock.requests.filter((r) => r.body?.text?.format?.type !== 'json_schema');
      assert.equal(main.length, 3, 'ToolSearch, CronList, the answer');
      const [first, second, third] = main;
      assert.equal(toolsOf(first).some((t) => t.name === 'CronList'), false, 'deferred: not offered before it is loaded');
      assert.ok(toolsOf(first).some((t) => t.name === 'ToolSearch'));
      assert.ok(noDeferredMarkers(s.mock.requests), 'no placeholder, no defer_loading upstream');

      // the ToolSearch result: its tool_reference became text, and CronList is now a full function tool
      const loadedBy = inputOf(second).filter((i) => i.type === 'function_call_output');
      assert.equal(loadedBy.length, 1);
      assert.match(String(loadedBy[0].output), /^Tool loaded: CronList\b/);
      const cron = toolsOf(second).find((t) => t.name === 'CronList');
      assert.ok(cron, 'CronList sent once loaded');
      assert.equal(cron.type, 'function');
      assert.equal(typeof cron.description, 'string');
      assert.equal(cron.parameters?.type, 'object');

      // Claude Code ran the call and the model got its output
      const called = inputOf(third).filter((i) => i.type === 'function_call').map((i) => i.name);
      assert.deepEqual(called, ['ToolSearch', 'CronList']);
      const cronResult = run.events.find((e) => e.type === 'user' && (e as Json).tool_use_result && 'jobs' in (e as Json).tool_use_result);
      assert.ok(cronResult, 'Claude Code ran CronList');
      assert.match(run.result.result ?? '', /The CronList tool answered: \S/);
      const output = inputOf(third).filter((i) => i.type === 'function_call_output').at(-1);
      assert.ok((run.result.result ?? '').includes(String(output?.output).trim()), 'the answer quotes the tool\'s real output');
    } catch (e) {
      if (e instanceof Error) e.message += `\n${s.account(run)}`;
      throw e;
    }
  });
});
