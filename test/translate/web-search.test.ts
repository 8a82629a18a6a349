// Web search both ways: the server tool in the request, web_search_call items and url_citation annotations in
// the reply (streamed and aggregated), and the blocks coming back in later turns.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toResponsesRequest } from '../../src/translate/request-to-responses.ts';
import type { RequestTranslationOptions } from '../../src/translate/request-to-responses.ts';
import { translateResponseEvents } from '../../src/translate/response-to-message.ts';
import { isWebSearchTool, webSearchProblem } from '../../src/translate/web-search.ts';
import { serverToolUseId, urlCitation, webSearchPair } from '../../src/translate/web-search-reply.ts';
import { citationsText, serverBlockText } from '../../src/translate/web-search-history.ts';
import type { MessagesRequest, ToolDefinition } from '../../src/wire/anthropic-request.ts';
import type { ResponsesEvent } from '../../src/wire/responses-stream.ts';
import { OWN_FIXTURES, readFixture, run, summarize } from './stream-support.ts';

const OPTS: RequestTranslationOptions = { upstreamModel: 'gpt-5', defaultEffort: 'medium', store: false, forwardSamplingParams: false };
const translate = (req: Partial<MessagesRequest>) =>
  toResponsesRequest({ model: 'claude-opus-5-5', messages: [{ role: 'user', content: 'search' }], ...req } as MessagesRequest, OPTS).body;

const bash: ToolDefinition = { name: 'Bash', input_schema: { type: 'object', properties: { command: { type: 'string' } } } };

describe('web search tool in the request', () => {
  const cases: Array<[string, ToolDefinition, Record<string, unknown>, number | undefined]> = [
    ['as Claude Code sends it (max_uses 8)', { type: 'web_search_20250305', name: 'web_search', max_uses: 8 }, { type: 'web_search' }, 8],
    ['a newer version of the family', { type: 'web_search_20260209', name: 'web_search' }, { type: 'web_search' }, undefined],
    [
      'allowed_domains -> filters (scheme and trailing slash removed)',
      { type: 'web_search_20250305', name: 'web_search', allowed_domains: ['https://docs.example.com/', 'example.org', ''] },
      { type: 'web_search', filters: { allowed_domains: ['docs.example.com', 'example.org'] } }, undefined,
    ],
    [
      'user_location carried over',
      { type: 'web_search_20250305', name: 'web_search', user_location: { type: 'approximate', city: 'Berlin', country: 'DE', timezone: 'Europe/Berlin' } },
      { type: 'web_search', user_location: { type: 'approximate', city: 'Berlin', country: 'DE', timezone: 'Europe/Berlin' } }, undefined,
    ],
    ['an empty user_location is left out', { type: 'web_search_20250305', name: 'web_search', user_location: { type: 'approximate' } }, { type: 'web_search' }, undefined],
    ['max_uses that is not a positive whole number is left out', { type: 'web_search_20250305', name: 'web_search', max_uses: 0 }, { type: 'web_search' }, undefined],
    ['cache_control is not forwarded', { type: 'web_search_20250305', name: 'web_search', cache_control: { type: 'ephemeral' } }, { type: 'web_search' }, undefined],
  ];
  for (const [name, tool, expected, maxToolCalls] of cases) {
    it(name, () => {
      const body = translate({ tools: [tool] });
      assert.deepEqual(body.tools, [expected]);
      assert.equal(body.max_tool_calls, maxToolCalls);
      assert.deepEqual(body.include, ['reasoning.encrypted_content', 'web_search_call.action.sources']);
      assert.equal(body.tool_choice, 'auto');
    });
  }

  it('only the web_search family counts as web search', () => {
    const yes = ['web_search_20250305', 'web_search_20260209'];
    const no = ['web_fetch_20250910', 'web_search', 'bash_20250124', undefined, 'custom'];
    for (const type of yes) assert.equal(isWebSearchTool({ name: 'web_search', type }), true, type);
    for (const type of no) assert.equal(isWebSearchTool({ name: 'web_search', type }), false, String(type));
  });

  it('no web search tool: no sources requested, no max_tool_calls', () => {
    const body = translate({ tools: [bash] });
    assert.deepEqual(body.include, ['reasoning.encrypted_content']);
    assert.equal('max_tool_calls' in body, false);
  });

  const choices: Array<[string, ToolDefinition[], MessagesRequest['tool_choice'], unknown]> = [
    ['naming it when it is the only tool -> required', [{ type: 'web_search_20250305', name: 'web_search' }], { type: 'tool', name: 'web_search' }, 'required'],
    [
      'naming it beside function tools -> allowed_tools required',
      [bash, { type: 'web_search_20250305', name: 'web_search' }], { type: 'tool', name: 'web_search' },
      { type: 'allowed_tools', mode: 'required', tools: [{ type: 'web_search' }] },
    ],
    ['auto stays auto', [{ type: 'web_search_20250305', name: 'web_search' }], { type: 'auto' }, 'auto'],
    ['any -> required', [{ type: 'web_search_20250305', name: 'web_search' }], { type: 'any' }, 'required'],
    ['naming a function tool still works', [bash, { type: 'web_search_20250305', name: 'web_search' }], { type: 'tool', name: 'Bash' }, { type: 'function', name: 'Bash' }],
  ];
  for (const [name, tools, choice, expected] of choices) {
    it(`tool_choice: ${name}`, () => assert.deepEqual(translate({ tools, tool_choice: choice }).tool_choice, expected));
  }

  const problems: Array<[string, ToolDefinition[], RegExp | undefined]> = [
    ['blocked_domains -> a problem naming the key and the fix', [bash, { type: 'web_search_20250305', name: 'web_search', blocked_domains: ['spam.example'] }], /^tools\.1\.blocked_domains: .*cannot exclude domains \(spam\.example\); remove blocked_domains/],
    ['blocked_domains with allowed_domains', [{ type: 'web_search_20250305', name: 'web_search', blocked_domains: ['a.example'], allowed_domains: ['b.example'] }], /keep allowed_domains/],
    ['an empty blocked_domains is fine', [{ type: 'web_search_20250305', name: 'web_search', blocked_domains: [] }], undefined],
    ['no web search, no problem', [bash], undefined],
  ];
  for (const [name, tools, expected] of problems) {
    it(name, () => {
      const p = webSearchProblem(tools);
      if (expected) assert.match(p ?? '', expected);
      else assert.equal(p, undefined);
    });
  }
});

describe('web_search_call -> server tool blocks', () => {
  const pairs: Array<[string, Parameters<typeof webSearchPair>[0], unknown]> = [
    [
      'search with sources', { status: 'completed', action: { type: 'search', query: 'q', sources: [{ type: 'url', url: 'https://a.example/x' }, { type: 'url', url: 'https://a.example/x' }, { type: 'api', name: 'oai-weather' }] } },
      { name: 'web_search', input: { query: 'q' }, isSearch: true, result: { type: 'web_search_tool_result', tool_use_id: 'id', content: [{ type: 'web_search_result', url: 'https://a.example/x', title: 'https://a.example/x', encrypted_content: '', page_age: null }] } },
    ],
    [
      'search with queries only, no sources', { status: 'completed', action: { type: 'search', queries: ['first', 'second'] } },
      { name: 'web_search', input: { query: 'first' }, isSearch: true, result: { type: 'web_search_tool_result', tool_use_id: 'id', content: [] } },
    ],
    [
      'failed search -> error result', { status: 'failed', action: { type: 'search', query: 'q' } },
      { name: 'web_search', input: { query: 'q' }, isSearch: true, result: { type: 'web_search_tool_result', tool_use_id: 'id', content: { type: 'web_search_tool_result_error', error_code: 'unavailable' } } },
    ],
    [
      'no action at all -> a search with no query', { status: 'completed' },
      { name: 'web_search', input: { query: '' }, isSearch: true, result: { type: 'web_search_tool_result', tool_use_id: 'id', content: [] } },
    ],
    [
      'find_in_page -> web_fetch with the pattern', { status: 'completed', action: { type: 'find_in_page', url: 'https://a.example/p', pattern: 'price' } },
      {
        name: 'web_fetch', input: { url: 'https://a.example/p', pattern: 'price' }, isSearch: false,
        result: { type: 'web_fetch_tool_result', tool_use_id: 'id', content: { type: 'web_fetch_result', url: 'https://a.example/p', retrieved_at: null, content: { type: 'document', source: { type: 'text', media_type: 'text/plain', data: '' }, title: null, citations: null } } },
      },
    ],
    [
      'find (older name) without url -> web_fetch error', { status: 'completed', action: { type: 'find', pattern: 'x' } },
      { name: 'web_fetch', input: { url: '', pattern: 'x' }, isSearch: false, result: { type: 'web_fetch_tool_result', tool_use_id: 'id', content: { type: 'web_fetch_tool_result_error', error_code: 'unavailable' } } },
    ],
  ];
  for (const [name, call, expected] of pairs) it(name, () => assert.deepEqual(webSearchPair(call, 'id'), expected));

  it('server tool ids keep only the characters Claude Code accepts', () => {
    assert.equal(serverToolUseId('ws_abc-123', 0), 'srvtoolu_ws_abc-123');
    assert.equal(serverToolUseId('ws:ab/c=', 0), 'srvtoolu_wsabc');
    assert.equal(serverToolUseId(null, 3), 'srvtoolu_ws3');
    assert.match(serverToolUseId('x'.repeat(300), 0), /^srvtoolu_x{100}$/);
  });

  it('url_citation -> web_search_result_location with the cited span', () => {
    const text = 'Alpha beta gamma.';
    assert.deepEqual(urlCitation({ type: 'url_citation', start_index: 6, end_index: 10, url: 'https://a.example', title: 'A' }, text), {
      type: 'web_search_result_location', url: 'https://a.example', title: 'A', cited_text: 'beta', encrypted_index: Buffer.from('6:10').toString('base64'),
    });
    assert.equal(urlCitation({ type: 'url_citation', start_index: 0, end_index: 5, url: 'https://a.example' }, undefined)?.cited_text, '');
    assert.equal(urlCitation({ type: 'url_citation', url: 'https://a.example' }, text)?.title, 'https://a.example');
    assert.equal(urlCitation({ type: 'file_citation', file_id: 'f' }, text), null);
    assert.equal(urlCitation({ type: 'url_citation', url: '' }, text), null);
  });
});

describe('web search in the reply stream', () => {
  const file = new URL('web-search-call.jsonl', OWN_FIXTURES);

  it('every web_search_call becomes server_tool_use + its result, in output order, before the cited text', () => {
    const s = summarize(run(readFixture(file)).out);
    assert.deepEqual(s.blocks.map((b) => b.type), ['server_tool_use', 'web_search_tool_result', 'server_tool_use', 'web_fetch_tool_result', 'text']);
    assert.deepEqual(s.blocks[0], { type: 'server_tool_use', id: 'srvtoolu_ws_pb_ws02a', name: 'web_search', json: '{"query":"packybridge release notes"}' });
    assert.equal(s.blocks[1].tool_use_id, s.blocks[0].id);
    assert.deepEqual((s.blocks[1].content as Array<{ url: string }>).map((r) => r.url), ['https://example.org/packybridge/releases', 'https://news.example.com/gateways']);
    assert.equal(s.blocks[3].tool_use_id, s.blocks[2].id);
    assert.equal(s.blocks[4].text, 'Version 2 added web search. It ships today.');
    assert.deepEqual(s.blocks[4].citations, [{
      type: 'web_search_result_location', url: 'https://example.org/packybridge/releases', title: 'packybridge releases',
      cited_text: 'Version 2 added web search.', encrypted_index: Buffer.from('0:27').toString('base64'),
    }]);
    assert.deepEqual(s.usage?.server_tool_use, { web_search_requests: 1, web_fetch_requests: 1 });
  });

  it('the stream and the aggregated message hold the same blocks', () => {
    const events = readFixture(file);
    const streamed = summarize(run(events).out).blocks;
    const m = translateResponseEvents(events, { model: 'claude-test-model' }).message!;
    assert.equal(m.content.length, streamed.length);
    assert.deepEqual(m.content.map((b) => b.type), streamed.map((b) => b.type));
    assert.deepEqual(m.usage.server_tool_use, { web_search_requests: 1, web_fetch_requests: 1 });
  });

  const ws = (oi: number, action: Record<string, unknown>, status = 'completed'): ResponsesEvent[] => [
    { type: 'response.output_item.added', output_index: oi, item: { id: `ws_${oi}`, type: 'web_search_call', status: 'in_progress' } },
    { type: 'response.web_search_call.searching', output_index: oi, item_id: `ws_${oi}` },
    { type: 'response.output_item.done', output_index: oi, item: { id: `ws_${oi}`, type: 'web_search_call', status, action } },
  ];
  const created: ResponsesEvent = { type: 'response.created', response: { id: 'r', status: 'in_progress', output: [] } };
  const completed: ResponsesEvent = { type: 'response.completed', response: { id: 'r', status: 'completed', output: [], usage: { input_tokens: 5, output_tokens: 5 } } };

  it('text streaming after an unfinished search waits for it; order is kept', () => {
    const events: ResponsesEvent[] = [
      created,
      { type: 'response.output_item.added', output_index: 0, item: { id: 'ws_0', type: 'web_search_call', status: 'in_progress' } },
      { type: 'response.output_item.added', output_index: 1, item: { id: 'm1', type: 'message', role: 'assistant', content: [] } },
      { type: 'response.output_text.delta', output_index: 1, item_id: 'm1', content_index: 0, delta: 'after' },
      { type: 'response.output_item.done', output_index: 0, item: { id: 'ws_0', type: 'web_search_call', status: 'completed', action: { type: 'search', query: 'q' } } },
      completed,
    ];
    const s = summarize(run(events).out);
    assert.deepEqual(s.blocks.map((b) => b.type), ['server_tool_use', 'web_search_tool_result', 'text']);
    assert.equal(s.blocks[2].text, 'after');
  });

  it('two searches count two web_search_requests; a search seen only in response.completed is not lost', () => {
    const events: ResponsesEvent[] = [
      created, ...ws(0, { type: 'search', query: 'one' }),
      { type: 'response.completed', response: { id: 'r', status: 'completed', output: [
        { id: 'ws_0', type: 'web_search_call', status: 'completed', action: { type: 'search', query: 'one' } },
        { id: 'ws_1', type: 'web_search_call', status: 'completed', action: { type: 'search', query: 'two' } },
      ], usage: { input_tokens: 5, output_tokens: 5 } } },
    ];
    const s = summarize(run(events).out);
    assert.deepEqual(s.blocks.filter((b) => b.type === 'server_tool_use').map((b) => b.json), ['{"query":"one"}', '{"query":"two"}']);
    assert.deepEqual(s.usage?.server_tool_use, { web_search_requests: 2 });
  });

  it('no search: no server_tool_use in the usage', () => {
    const s = summarize(run([created, { type: 'response.output_text.delta', output_index: 0, item_id: 'm', content_index: 0, delta: 'x' }, completed]).out);
    assert.equal(s.usage?.server_tool_use, undefined);
  });

  it('citations from the done item alone (no annotation events), each once', () => {
    const ann = { type: 'url_citation', start_index: 0, end_index: 3, url: 'https://a.example', title: 'A' };
    const events: ResponsesEvent[] = [
      created,
      { type: 'response.output_text.delta', output_index: 0, item_id: 'm', content_index: 0, delta: 'abc def' },
      { type: 'response.output_text.annotation.added', output_index: 0, item_id: 'm', content_index: 0, annotation_index: 0, annotation: ann },
      { type: 'response.output_item.done', output_index: 0, item: { id: 'm', type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'abc def', annotations: [ann, { ...ann, start_index: 4, end_index: 7 }] }] } as never },
      completed,
    ];
    const s = summarize(run(events).out);
    assert.deepEqual((s.blocks[0].citations as Array<{ cited_text: string }>).map((c) => c.cited_text), ['abc', 'def']);
  });
});

describe('web search blocks in later turns', () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['search', { type: 'server_tool_use', id: 's', name: 'web_search', input: { query: 'news today' } }, '[web search: "news today"]'],
    ['opened page', { type: 'server_tool_use', id: 's', name: 'web_fetch', input: { url: 'https://a.example', pattern: 'x' } }, '[opened page: https://a.example, looked for "x"]'],
    [
      'results: titles, URLs, page age',
      { type: 'web_search_tool_result', tool_use_id: 's', content: [{ type: 'web_search_result', url: 'https://a.example', title: 'A', encrypted_content: 'e', page_age: 'May 1, 2026' }, { type: 'web_search_result', url: 'https://b.example', title: '', encrypted_content: '' }] },
      '[web search results]\n1. A - https://a.example (May 1, 2026)\n2. https://b.example',
    ],
    ['search error', { type: 'web_search_tool_result', tool_use_id: 's', content: { type: 'web_search_tool_result_error', error_code: 'max_uses_exceeded' } }, '[web search failed: max_uses_exceeded]'],
    [
      'fetched page with text',
      { type: 'web_fetch_tool_result', tool_use_id: 's', content: { type: 'web_fetch_result', url: 'https://a.example', content: { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'page body' }, title: 'A' } } },
      '[page https://a.example - A]\npage body',
    ],
    ['unknown server block', { type: 'mcp_tool_result', tool_use_id: 's', content: [] }, ''],
  ];
  for (const [name, block, expected] of cases) it(name, () => assert.equal(serverBlockText(block), expected));

  it('citations become the cited passages and their sources after the text', () => {
    assert.equal(citationsText([
      { type: 'web_search_result_location', url: 'https://a.example', title: 'A', cited_text: 'the fact', encrypted_index: 'x' },
      { type: 'web_search_result_location', url: 'https://b.example', title: '', cited_text: '' },
    ]), '\n[sources cited]\n- "the fact" (A, https://a.example)\n- (https://b.example)');
    assert.equal(citationsText(null), '');
    assert.equal(citationsText([]), '');
  });

  it('a whole earlier web search turn reaches the model as text it can read', () => {
    const body = translate({
      messages: [
        { role: 'user', content: 'search please' },
        {
          role: 'assistant', content: [
            { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: { query: 'q' } },
            { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_1', content: [{ type: 'web_search_result', url: 'https://a.example', title: 'A', encrypted_content: '', page_age: null }] },
            { type: 'text', text: 'A says so.', citations: [{ type: 'web_search_result_location', url: 'https://a.example', title: 'A', cited_text: 'so', encrypted_index: '' }] },
          ],
        },
        { role: 'user', content: 'thanks' },
      ],
    });
    const assistant = body.input.find((i) => i.type === 'message' && i.role === 'assistant');
    assert.deepEqual(assistant, {
      type: 'message', role: 'assistant', content: [
        { type: 'output_text', text: '[web search: "q"]' },
        { type: 'output_text', text: '[web search results]\n1. A - https://a.example' },
        { type: 'output_text', text: 'A says so.\n[sources cited]\n- "so" (A, https://a.example)' },
      ],
    });
  });
});
