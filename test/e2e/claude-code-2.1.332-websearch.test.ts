// WebSearch with the newest Claude Code (2.1.332, headless `claude -p`) through a real gateway and the mock
// upstream: the model loads WebSearch through ToolSearch and calls it; Claude Code's side request carries only the
// web_search_20250305 server tool, which the gateway sends as the Responses web_search tool; the mock's
// web_search_call comes back as server_tool_use + web_search_tool_result, Claude Code reports the search and its
// results, and the results reach the main model in the next turn. The mock also opens a page and searches in it
// (OPEN_PAGE), which come back as Claude's web_fetch blocks: Claude Code must take them without an error.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { RecordedRequest } from '../support/mock-upstream.ts';
import { MOCK_SEARCH_HOST } from '../support/mock-default-handler.ts';
import { noDeferredMarkers, skip332, startSession332, toolsOf } from '../support/claude-code-332.ts';
import type { Session332 } from '../support/claude-code-332.ts';

type Json = Record<string, any>;

const isSideRequest = (r: RecordedRequest): boolean => toolsOf(r).some((t) => t.type === 'web_search');

describe('Claude Code 2.1.332: WebSearch through packybridge', { concurrency: 1, skip: skip332 }, () => {
  let s: Session332;
  before(async () => { s = await startSession332(); });
  after(async () => { await s?.stop(); });

  it('searches (reported with its results) and the results reach the main model', { timeout: 150_000 }, async () => {
    const run = await s.claude('SEARCH: packybridge OPEN_PAGE news', { args: ['--allowedTools', 'ToolSearch,WebSearch'] });
    try {
      assert.equal(run.timedOut, false);
      assert.equal(run.exitCode, 0);
      assert.ok(run.result);
      assert.equal(run.result.is_error, false);

      // the upstream: the side request got the hosted web_search tool, nothing else
      const side = s.mock.requests.filter(isSideRequest);
      assert.equal(side.length, 1, 'one web search side request');
      assert.deepEqual(toolsOf(side[0]), [{ type: 'web_search' }]);
      assert.ok((side[0].body.include as string[]).includes('web_search_call.action.sources'), 'sources asked for');
      assert.equal(side[0].body.max_tool_calls, 8, 'Claude Code\'s max_uses as max_tool_calls');
      const emitted = s.emitted.find((e) => e.request === side[0]);
      assert.ok(emitted && emitted.scenario.kind === 'events');
      const calls = emitted.scenario.events.filter((e) => e.type === 'response.output_item.done' && e.item?.type === 'web_search_call');
      assert.deepEqual(calls.map((c) => (c.item as Json).action.type), ['search', 'open_page', 'find_in_page']);
      const call = calls[0];
      const sources = ((call.item as Json).action.sources as Json[]).map((x) => x.url as string);

      // Claude Code: the WebSearch tool reports its search and lists the results with their URLs
      const toolResults = run.events.filter((e) => e.type === 'user' && (e as Json).tool_use_result?.results);
      assert.equal(toolResults.length, 1, 'one WebSearch result');
      const reported = (toolResults[0] as Json).tool_use_result;
      const found = (reported.results as Json[]).filter((r) => typeof r === 'object' && Array.isArray(r.content));
      assert.equal(found.length, 1, 'one search with results, not "did no searches"');
      assert.match(found[0].tool_use_id, /^srvtoolu_/);
      assert.deepEqual(found[0].content.map((c: Json) => c.url), sources);
      assert.ok(Object.values(run.result.modelUsage ?? {}).some((u) => (u as Json).webSearchRequests >= 1), 'Claude Code counted the search');

      // the main model's next turn read them: the mock quotes the tool output it was given
      assert.match(run.result.result ?? '', /The WebSearch tool answered: /);
      for (const url of sources) assert.ok((run.result.result ?? '').includes(url), `the result ${url} reached the main model`);
      assert.ok(sources.every((u) => u.startsWith(MOCK_SEARCH_HOST)));

      // deferred tools: WebSearch went upstream only after ToolSearch loaded it; never a placeholder or defer_loading
      const main = s.mock.requests.filter((r) => !isSideRequest(r) && r.body?.text?.format?.type !== 'json_schema');
      assert.ok(main.length >= 3, 'load, call, answer');
      assert.equal(toolsOf(main[0]).some((t) => t.name === 'WebSearch'), false, 'not before it is loaded');
      assert.equal(toolsOf(main[1]).some((t) => t.name === 'WebSearch'), true, 'loaded by the tool_reference');
      assert.ok(noDeferredMarkers(s.mock.requests), 'no placeholder, no defer_loading upstream');
      assert.deepEqual(s.gw.logLines.filter((l) => l.includes(MOCK_SEARCH_HOST)), [], 'no reply text in the logs');
    } catch (e) {
      if (e instanceof Error) e.message += `\n${s.account(run)}`;
      throw e;
    }
  });
});
