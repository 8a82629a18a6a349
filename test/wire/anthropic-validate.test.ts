import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { validateCountTokensRequest, validateMessagesRequest } from '../../src/wire/anthropic-validate.ts';

const ok = { model: 'claude-opus-4-8', messages: [{ role: 'user', content: 'hi' }] };
const withContent = (content: unknown) => ({ model: 'm', messages: [{ role: 'user', content }] });

describe('validateMessagesRequest: accepted', () => {
  const cases: Array<[string, unknown]> = [
    ['minimal', ok],
    ['no max_tokens', { model: 'm', messages: [] }],
    ['unknown top-level keys pass through', { ...ok, context_management: { edits: [] }, betas: ['x'], service_tier: 'auto' }],
    ['system as string', { ...ok, system: 'S' }],
    ['system as blocks with cache_control', { ...ok, system: [{ type: 'text', text: 'S', cache_control: { type: 'ephemeral', ttl: '1h' } }] }],
    ['mid-conversation system message', { model: 'm', messages: [{ role: 'user', content: 'a' }, { role: 'system', content: 'b' }] }],
    ['every block type', withContent([
      { type: 'text', text: 't', citations: null },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AA' } },
      { type: 'image', source: { type: 'url', url: 'https://e/x.png' } },
      { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'AA' }, title: 'x.pdf' },
      { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'x' } },
      { type: 'document', source: { type: 'content', content: [{ type: 'text', text: 'x' }] } },
      { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'x' }, { type: 'image', source: { type: 'url', url: 'u' } }], is_error: true },
      { type: 'tool_result', tool_use_id: 'toolu_2' },
      { type: 'search_result', source: 's', title: 't', content: [{ type: 'text', text: 'c' }] },
      { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_1', content: [] },
    ])],
    ['assistant blocks', { model: 'm', messages: [{ role: 'assistant', content: [
      { type: 'thinking', thinking: 't', signature: 's' },
      { type: 'redacted_thinking', data: 'd' },
      { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'ls' } },
      { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: {} },
    ] }] }],
    ['tool input_schema is not deep-validated', { ...ok, tools: [{ name: 'T', input_schema: { type: 'object', properties: { a: { type: 42 } } } }] }],
    ['tool_use without input', { model: 'm', messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'T' }] }] }],
    ['server tool', { ...ok, tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 5 }] }],
    ['tool_choice variants', { ...ok, tool_choice: { type: 'tool', name: 'T', disable_parallel_tool_use: true } }],
    ['thinking adaptive', { ...ok, thinking: { type: 'adaptive' } }],
    ['thinking enabled', { ...ok, thinking: { type: 'enabled', budget_tokens: 31999 } }],
    ['metadata with JSON user_id', { ...ok, metadata: { user_id: '{"session_id":"s"}' } }],
    ['output_config', { ...ok, output_config: { effort: 'max', format: { type: 'json_schema', schema: { type: 'object' } } } }],
    ['nulls for optional fields', { ...ok, system: null, tools: null, tool_choice: null, thinking: null, metadata: null, temperature: null }],
  ];
  for (const [name, body] of cases) {
    it(name, () => {
      const r = validateMessagesRequest(body);
      assert.equal(r.ok, true, r.ok ? '' : r.message);
      // the value is the body itself, unchanged: validation only checks (no copy kept, nothing rewritten)
      const before = JSON.stringify(body);
      assert.ok(r.ok && r.value === body);
      assert.equal(JSON.stringify(r.value), before);
    });
  }

  it('keeps unknown keys in the value', () => {
    const r = validateMessagesRequest({ ...ok, context_management: { edits: [1] }, messages: [{ role: 'user', content: 'hi', extra: 1 }] });
    assert.ok(r.ok);
    assert.deepEqual(r.value.context_management, { edits: [1] });
    assert.equal((r.value.messages[0] as unknown as { extra: number }).extra, 1);
  });
});

describe('validateMessagesRequest: rejected with a path and what is expected', () => {
  const cases: Array<[string, unknown, string]> = [
    ['not an object', [], 'the request body must be a JSON object (such as {"model": ..., "messages": [...]}), received a JSON array'],
    ['null body', null, 'the request body must be a JSON object (such as {"model": ..., "messages": [...]}), received a JSON null'],
    ['missing model', { messages: [] }, 'model: required, expected string'],
    ['empty model', { model: '', messages: [] }, 'model: expected a non-empty string'],
    ['missing messages', { model: 'm' }, 'messages: required, expected array'],
    ['messages not an array', { model: 'm', messages: {} }, 'messages: expected array, received object'],
    ['bad role', { model: 'm', messages: [{ role: 'bot', content: 'x' }] }, 'messages.0.role: expected one of "user", "assistant", "system", received "bot"'],
    ['content of the wrong type', withContent(5), 'messages.0.content: expected string or array, received number'],
    ['unknown block type', { model: 'm', messages: [ok.messages[0], ok.messages[0], { role: 'user', content: [{ type: 'foo' }] }] }, 'messages.2.content.0.type: unknown content block type "foo"'],
    ['block without type', withContent([{ text: 'x' }]), 'messages.0.content.0.type: missing, expected a content block type'],
    ['text not a string', withContent([{ type: 'text', text: 1 }]), 'messages.0.content.0.text: expected string, received number'],
    ['unknown image source', withContent([{ type: 'image', source: { type: 'ftp' } }]), 'messages.0.content.0.source.type: unknown source type "ftp"'],
    ['bad block inside tool_result', withContent([{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'video' }] }]), 'messages.0.content.0.content.0.type: unknown content block type "video"'],
    ['tool_result without tool_use_id', withContent([{ type: 'tool_result', content: 'x' }]), 'messages.0.content.0.tool_use_id: required, expected string'],
    ['system block not text', { ...ok, system: [{ type: 'image' }] }, 'system.0.type: expected "text", received "image"'],
    ['tool without name', { ...ok, tools: [{ description: 'd' }] }, 'tools.0.name: required, expected string'],
    ['unknown tool_choice', { ...ok, tool_choice: { type: 'maybe' } }, 'tool_choice.type: unknown tool_choice type "maybe"'],
    ['thinking enabled without budget', { ...ok, thinking: { type: 'enabled' } }, 'thinking.budget_tokens: required, expected number'],
    ['message without content', { model: 'm', messages: [{ role: 'user' }] }, 'messages.0.content: required, expected string or array'],
    ['input_schema not an object', { ...ok, tools: [{ name: 'T', input_schema: 'x' }] }, 'tools.0.input_schema: expected object, received string'],
    ['max_tokens not a number', { ...ok, max_tokens: '100' }, 'max_tokens: expected number, received string'],
    ['max_tokens beyond double range (1e400 parses as Infinity)', { ...ok, max_tokens: Infinity }, 'max_tokens: the number is too large (beyond ±1.8e308); send a finite number'],
    ['max_tokens 0', { ...ok, max_tokens: 0 }, 'max_tokens: expected a number >= 1, received 0'],
    ['temperature above 1', { ...ok, temperature: 1.5 }, 'temperature: expected a number <= 1, received 1.5'],
    ['model name too long (not echoed)', { ...ok, model: 'm'.repeat(257) }, 'model: is 257 characters long; a model name has at most 256 (e.g. claude-sonnet-4-5 or gpt-5-codex)'],
    ['model name with a control character', { ...ok, model: 'gpt-5\u0000' }, 'model: contains control or non-printable characters; send a model name such as claude-sonnet-4-5 or gpt-5-codex'],
    ['model name with a line separator', { ...ok, model: 'gpt-5\u2028x' }, 'model: contains control or non-printable characters; send a model name such as claude-sonnet-4-5 or gpt-5-codex'],
    ['unknown block type: a huge value is quoted short', withContent([{ type: 'x'.repeat(1000) }]), `messages.0.content.0.type: unknown content block type "${'x'.repeat(79)}… (1002 characters)`],
  ];
  for (const [name, body, message] of cases) {
    it(name, () => {
      const r = validateMessagesRequest(body);
      assert.equal(r.ok, false);
      assert.equal(r.ok ? '' : r.message, message);
    });
  }

  it('lists up to three problems', () => {
    const r = validateMessagesRequest({ model: 1, messages: 2, system: 3, tools: 4 });
    assert.equal(r.ok, false);
    assert.equal(r.ok ? 0 : r.message.split('; ').length, 3);
  });
});

describe('validateCountTokensRequest', () => {
  it('accepts what Claude Code sends for /context', () => {
    const r = validateCountTokensRequest({ model: 'gpt-5-codex', messages: [{ role: 'user', content: 'x' }], tools: [] });
    assert.equal(r.ok, true);
  });
  it('accepts system, tools, thinking and unknown keys', () => {
    const r = validateCountTokensRequest({ ...ok, system: 'S', tools: [{ name: 'T', input_schema: {} }], thinking: { type: 'adaptive' }, extra: true });
    assert.equal(r.ok, true);
  });
  it('rejects a missing model', () => {
    const r = validateCountTokensRequest({ messages: [] });
    assert.deepEqual(r, { ok: false, message: 'model: required, expected string' });
  });
});
