import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { validateCountTokensRequest, validateMessagesRequest } from '../../src/wire/anthropic-validate.ts';

const ok = { model: 'claude-opus-4-8', max_tokens: 1024, messages: [{ role: 'user', content: 'hi' }] };
const withContent = (content: unknown) => ({ model: 'm', max_tokens: 1024, messages: [{ role: 'user', content }] });
const assistantUses = { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'Bash', input: {} }, { type: 'tool_use', id: 'toolu_2', name: 'Bash', input: {} }] };

describe('validateMessagesRequest: accepted', () => {
  const cases: Array<[string, unknown]> = [
    ['minimal', ok],
    ['unknown top-level keys pass through', { ...ok, context_management: { edits: [] }, betas: ['x'], service_tier: 'auto' }],
    ['system as string', { ...ok, system: 'S' }],
    ['system as blocks with cache_control', { ...ok, system: [{ type: 'text', text: 'S', cache_control: { type: 'ephemeral', ttl: '1h' } }] }],
    ['mid-conversation system message', { model: 'm', max_tokens: 1, messages: [{ role: 'user', content: 'a' }, { role: 'system', content: 'b' }] }],
    ['every block type', { model: 'm', max_tokens: 1024, messages: [{ role: 'user', content: 'go' }, assistantUses, { role: 'user', content: [
      { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'x' }, { type: 'image', source: { type: 'url', url: 'u' } }], is_error: true },
      { type: 'tool_result', tool_use_id: 'toolu_2' },
      { type: 'text', text: 't', citations: null },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AA' } },
      { type: 'image', source: { type: 'url', url: 'https://e/x.png' } },
      { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'AA' }, title: 'x.pdf' },
      { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'x' } },
      { type: 'document', source: { type: 'content', content: [{ type: 'text', text: 'x' }] } },
      { type: 'search_result', source: 's', title: 't', content: [{ type: 'text', text: 'c' }] },
      { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_1', content: [] },
    ] }] }],
    ['assistant blocks', { model: 'm', max_tokens: 1, messages: [{ role: 'assistant', content: [
      { type: 'thinking', thinking: 't', signature: 's' },
      { type: 'redacted_thinking', data: 'd' },
      { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'ls' } },
      { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: {} },
    ] }] }],
    ['tool input_schema is not deep-validated', { ...ok, tools: [{ name: 'T', input_schema: { type: 'object', properties: { a: { type: 42 } } } }] }],
    ['tool_use without input', { model: 'm', max_tokens: 1, messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'T' }] }] }],
    ['server tool', { ...ok, tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 5 }] }],
    ['tool_choice variants', { ...ok, tool_choice: { type: 'tool', name: 'T', disable_parallel_tool_use: true } }],
    ['thinking adaptive', { ...ok, thinking: { type: 'adaptive' } }],
    ['thinking enabled', { ...ok, thinking: { type: 'enabled', budget_tokens: 31999 } }],
    ['metadata with JSON user_id', { ...ok, metadata: { user_id: '{"session_id":"s"}' } }],
    ['output_config', { ...ok, output_config: { effort: 'max', format: { type: 'json_schema', schema: { type: 'object' } } } }],
    ['tool names of 128 characters, MCP names, explicit custom type', { ...ok, tools: [
      { name: 'x'.repeat(128), input_schema: { type: 'object' } },
      { name: 'mcp__my-server__get_thing', input_schema: { type: 'object', properties: {} } },
      { type: 'custom', name: 'T', input_schema: { type: 'object' } },
    ] }],
    ['tool_results in any order, text after them, a later user message in the same turn', { model: 'm', max_tokens: 1, messages: [
      { role: 'user', content: 'go' }, assistantUses,
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_2' }, { type: 'tool_result', tool_use_id: 'toolu_1' }, { type: 'text', text: 'more' }] },
      { role: 'user', content: 'and this' }, { role: 'assistant', content: 'done' },
    ] }],
    ['tool_use of a turn split over two assistant messages, answered in a user turn split by a system message', { model: 'm', max_tokens: 1, messages: [
      { role: 'user', content: 'go' }, { role: 'assistant', content: [assistantUses.content[0]] }, { role: 'assistant', content: [assistantUses.content[1]] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1' }] }, { role: 'system', content: 'note' },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_2' }] },
    ] }],
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
    ['missing model', { max_tokens: 1, messages: ok.messages }, 'model: required, expected string'],
    ['empty model', { model: '', max_tokens: 1, messages: ok.messages }, 'model: expected a non-empty string'],
    ['missing messages', { model: 'm', max_tokens: 1 }, 'messages: required, expected array'],
    ['no messages', { model: 'm', max_tokens: 1, messages: [] }, 'messages: expected at least 1 item, received none'],
    ['messages not an array', { model: 'm', max_tokens: 1, messages: {} }, 'messages: expected array, received object'],
    ['bad role', { model: 'm', max_tokens: 1, messages: [{ role: 'bot', content: 'x' }] }, 'messages.0.role: expected one of "user", "assistant", "system", received "bot"'],
    ['content of the wrong type', withContent(5), 'messages.0.content: expected string or array, received number'],
    ['unknown block type', { model: 'm', max_tokens: 1, messages: [ok.messages[0], ok.messages[0], { role: 'user', content: [{ type: 'foo' }] }] }, 'messages.2.content.0.type: unknown content block type "foo"'],
    ['block without type', withContent([{ text: 'x' }]), 'messages.0.content.0.type: missing, expected a content block type'],
    ['text not a string', withContent([{ type: 'text', text: 1 }]), 'messages.0.content.0.text: expected string, received number'],
    ['unknown image source', withContent([{ type: 'image', source: { type: 'ftp' } }]), 'messages.0.content.0.source.type: unknown source type "ftp"'],
    ['bad block inside tool_result', withContent([{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'video' }] }]), 'messages.0.content.0.content.0.type: unknown content block type "video"'],
    ['tool_result without tool_use_id', withContent([{ type: 'tool_result', content: 'x' }]), 'messages.0.content.0.tool_use_id: required, expected string'],
    ['system block not text', { ...ok, system: [{ type: 'image' }] }, 'system.0.type: expected "text", received "image"'],
    ['tool without name', { ...ok, tools: [{ description: 'd' }] }, 'tools.0.name: required, expected string'],
    ['unknown tool_choice', { ...ok, tool_choice: { type: 'maybe' } }, 'tool_choice.type: unknown tool_choice type "maybe"'],
    ['thinking enabled without budget', { ...ok, thinking: { type: 'enabled' } }, 'thinking.budget_tokens: required, expected number'],
    ['message without content', { model: 'm', max_tokens: 1, messages: [{ role: 'user' }] }, 'messages.0.content: required, expected string or array'],
    ['input_schema not an object', { ...ok, tools: [{ name: 'T', input_schema: 'x' }] }, 'tools.0.input_schema: expected object, received string'],
    ['no max_tokens', { model: 'm', messages: ok.messages }, 'max_tokens: required, expected a positive integer: the most tokens the reply may have (such as 1024)'],
    ['max_tokens null', { ...ok, max_tokens: null }, 'max_tokens: expected a positive integer: the most tokens the reply may have (such as 1024), received null'],
    ['max_tokens not a number', { ...ok, max_tokens: '100' }, 'max_tokens: expected a positive integer: the most tokens the reply may have (such as 1024), received "100"'],
    ['max_tokens not an integer', { ...ok, max_tokens: 100.5 }, 'max_tokens: expected an integer, received 100.5'],
    ['top_k not an integer', { ...ok, top_k: 2.5 }, 'top_k: expected an integer, received 2.5'],
    ['budget_tokens not an integer', { ...ok, thinking: { type: 'enabled', budget_tokens: 1024.5 } }, 'thinking.budget_tokens: expected an integer, received 1024.5'],
    ['tool name with a dot', { ...ok, tools: [{ name: 'a.b', input_schema: { type: 'object' } }] }, 'tools.0.name: "a.b" is not a valid tool name: use 1 to 128 letters, digits, "_" or "-" (^[a-zA-Z0-9_-]{1,128}$)'],
    ['tool name of 129 characters', { ...ok, tools: [{ name: 'x'.repeat(129), input_schema: { type: 'object' } }] }, `tools.0.name: "${'x'.repeat(79)}… (131 characters) is not a valid tool name: use 1 to 128 letters, digits, "_" or "-" (^[a-zA-Z0-9_-]{1,128}$)`],
    ['custom tool without input_schema', { ...ok, tools: [{ name: 'T' }] }, 'tools.0.input_schema: required for a custom tool: a JSON Schema object such as {"type": "object", "properties": {...}}'],
    ['input_schema not an object schema', { ...ok, tools: [{ name: 'T', input_schema: { type: 'array' } }] }, 'tools.0.input_schema.type: a tool\'s input_schema must be an object schema: expected "object", received "array"'],
    ['tool_result answering no tool_use', { ...ok, messages: [{ role: 'user', content: 'go' }, assistantUses, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1' }, { type: 'tool_result', tool_use_id: 'toolu_2' }, { type: 'tool_result', tool_use_id: 'toolu_9' }] }] },
      'messages.2.content.2.tool_use_id: "toolu_9" answers no tool_use block of the previous assistant message (messages.1); each tool_result must answer a tool_use of the assistant message just before it'],
    ['tool_result after text', { ...ok, messages: [{ role: 'user', content: 'go' }, assistantUses, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1' }, { type: 'text', text: 'x' }, { type: 'tool_result', tool_use_id: 'toolu_2' }] }] },
      'messages.2.content.2: tool_result blocks must come first in a user message, before any other block (messages.2.content.1 is a text block)'],
    ['tool_use ids not unique', { ...ok, messages: [{ role: 'user', content: 'go' }, { role: 'assistant', content: [assistantUses.content[0], assistantUses.content[0]] }] },
      'messages.1.content.1.id: tool_use ids must be unique; "toolu_1" is used by an earlier tool_use block'],
    ['a tool_use left unanswered', { ...ok, messages: [{ role: 'user', content: 'go' }, assistantUses, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_2' }] }] },
      'messages.1: tool_use blocks without a tool_result in the next user message: "toolu_1"; answer every tool_use of an assistant message with a tool_result at the start of the user message after it'],
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
    const r = validateCountTokensRequest({ model: 'm', messages: ok.messages, system: 'S', tools: [{ name: 'T', input_schema: { type: 'object' } }], thinking: { type: 'adaptive' }, extra: true });
    assert.equal(r.ok, true);
  });
  it('rejects a missing model', () => {
    const r = validateCountTokensRequest({ messages: [] });
    assert.deepEqual(r, { ok: false, message: 'model: required, expected string' });
  });
  it('checks tools and tool_use/tool_result pairing like /v1/messages, but not max_tokens', () => {
    assert.deepEqual(validateCountTokensRequest({ model: 'm', messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1' }] }] }), {
      ok: false, message: 'messages.0.content.0.tool_use_id: "toolu_1" answers no tool_use block of a previous assistant message (there is none); each tool_result must answer a tool_use of the assistant message just before it',
    });
    assert.equal(validateCountTokensRequest({ model: 'm', messages: ok.messages, tools: [{ name: 'T', input_schema: { type: 'string' } }] }).ok, false);
  });
});
