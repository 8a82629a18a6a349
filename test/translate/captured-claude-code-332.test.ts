// The requests Claude Code 2.1.332 really sent (shared captured fixtures, read at test time) through the request
// translation: deferred tools stay out until loaded, tool_reference becomes text, the WebSearch side request
// becomes the hosted web_search tool, thinking.display is honoured.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toResponsesRequest } from '../../src/translate/request-to-responses.ts';
import { webSearchProblem } from '../../src/translate/web-search.ts';
import { validateMessagesRequest } from '../../src/wire/anthropic-validate.ts';
import type { MessagesRequest } from '../../src/wire/anthropic-request.ts';
import type { FunctionTool, InputItem } from '../../src/wire/responses-request.ts';
import { sharedFixture } from '../support/shared-fixtures.ts';

const DIR = sharedFixture('captured/claude-code-2.1.332') ?? '/nonexistent';
const captures: Array<{ file: string; body: MessagesRequest }> = existsSync(DIR)
  ? readdirSync(DIR).filter((f) => f.endsWith('.json')).sort()
    .map((file) => ({ file, c: JSON.parse(readFileSync(join(DIR, file), 'utf8')) as { url: string; body: MessagesRequest } }))
    .filter(({ c }) => /^\/v1\/messages(\?|$)/.test(c.url) && Array.isArray(c.body?.messages))
    .map(({ file, c }) => ({ file, body: c.body }))
  : [];

const translate = (body: MessagesRequest) =>
  toResponsesRequest(body, { upstreamModel: 'gpt-5-codex', defaultEffort: 'medium', store: false, forwardSamplingParams: false }).body;

/** Every tool name a tool_reference of the conversation names. */
function referenced(body: MessagesRequest): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.type === 'tool_reference' && typeof o.tool_name === 'string') out.push(o.tool_name);
      Object.values(o).forEach(walk);
    }
  };
  walk(body.messages);
  return out;
}

describe('captured Claude Code 2.1.332 requests, translated', { skip: captures.length === 0 ? `no captures in ${DIR}` : false }, () => {
  for (const { file, body } of captures) {
    it(file, () => {
      assert.equal(validateMessagesRequest(body).ok, true);
      assert.equal(webSearchProblem(body.tools), undefined);
      const up = translate(body);
      const names = up.tools.filter((t): t is FunctionTool => t.type === 'function').map((t) => t.name);
      for (const tool of up.tools) assert.equal('defer_loading' in tool, false, 'no upstream tool carries defer_loading');
      assert.equal(names.includes('DeferredToolPlaceholder'), false, 'the placeholder never goes upstream');
      const deferred = (body.tools ?? []).filter((t) => t.defer_loading === true).map((t) => t.name);
      const loaded = referenced(body);
      for (const name of deferred) assert.equal(names.includes(name), loaded.includes(name), `${name}: sent exactly when a tool_reference loaded it`);
      const outputs = up.input.filter((i): i is Extract<InputItem, { type: 'function_call_output' }> => i.type === 'function_call_output');
      for (const o of outputs) assert.notEqual(o.output, '', 'no empty function_call_output');
      for (const name of loaded) assert.ok(outputs.some((o) => typeof o.output === 'string' && o.output.includes(`Tool loaded: ${name}`)), `${name}'s reference became text`);

      const hasWebSearch = (body.tools ?? []).some((t) => typeof t.type === 'string' && t.type.startsWith('web_search_'));
      if (hasWebSearch) {
        assert.deepEqual(up.tools, [{ type: 'web_search' }], 'the side request: only the hosted web search');
        assert.equal(up.max_tool_calls, 8);
        assert.ok(up.include.includes('web_search_call.action.sources'));
      }
      const display = (body.thinking as { display?: string } | undefined)?.display;
      if (display === 'omitted') assert.equal('summary' in up.reasoning, false, 'display omitted: no summaries asked');
      if (display === 'updates') assert.equal(up.reasoning.summary, 'auto');
    });
  }
});
