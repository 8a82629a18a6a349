// Web search through the gateway with the official Anthropic SDK: streamed and not, the blocks and usage a client
// gets back, what goes upstream, and blocked_domains refused in Anthropic's error shape.
import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, userRequest, type Harness } from './sdk-harness.ts';
import { MOCK_SEARCH_HOST } from '../support/mock-default-handler.ts';

const webSearch = { type: 'web_search_20250305', name: 'web_search', max_uses: 3 } as const;

describe('web search through the gateway (SDK)', () => {
  let h: Harness;
  before(async () => { h = await startHarness(); });
  after(async () => { await h.close(); });
  beforeEach(() => h.mock.reset());

  function checkMessage(m: { content: Array<Record<string, any>>; usage: Record<string, any>; stop_reason: string | null }): void {
    assert.deepEqual(m.content.map((b) => b.type), ['server_tool_use', 'web_search_tool_result', 'text']);
    const [use, result, text] = m.content;
    assert.equal(use.name, 'web_search');
    assert.equal(use.input.query, 'packybridge news');
    assert.equal(result.tool_use_id, use.id);
    assert.equal(result.content.length, 2);
    for (const r of result.content) {
      assert.equal(r.type, 'web_search_result');
      assert.ok(r.url.startsWith(MOCK_SEARCH_HOST));
    }
    assert.equal(text.citations.length, 1);
    assert.equal(text.citations[0].type, 'web_search_result_location');
    assert.equal(text.citations[0].url, result.content[0].url);
    assert.ok(text.text.startsWith(text.citations[0].cited_text));
    assert.equal(m.usage.server_tool_use.web_search_requests, 1);
    assert.equal(m.stop_reason, 'end_turn');

    const up = h.lastUpstream().body;
    assert.deepEqual(up.tools, [{ type: 'web_search' }]);
    assert.equal(up.max_tool_calls, 3);
    assert.ok(up.include.includes('web_search_call.action.sources'));
  }

  it('non-streaming: server_tool_use, its results, the cited text and the search count', async () => {
    const m = await h.client.messages.create(userRequest('packybridge news', { tools: [webSearch] }) as never);
    checkMessage(m as never);
  });

  it('streaming: the SDK assembles the same message', async () => {
    const stream = h.client.messages.stream(userRequest('packybridge news', { tools: [webSearch] }) as never);
    checkMessage(await stream.finalMessage() as never);
  });

  it('blocked_domains: 400 invalid_request_error naming the key, nothing sent upstream', async () => {
    const r = await h.post('/v1/messages', userRequest('news', { tools: [{ ...webSearch, blocked_domains: ['spam.example'] }] }));
    assert.equal(r.status, 400);
    assert.equal(r.json.type, 'error');
    assert.equal(r.json.error.type, 'invalid_request_error');
    assert.match(r.json.error.message, /^tools\.0\.blocked_domains: .*cannot exclude domains \(spam\.example\)/);
    assert.equal(h.mock.requests.length, 0);
  });
});
