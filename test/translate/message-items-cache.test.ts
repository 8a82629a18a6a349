// Repeated (frozen) messages are translated once: the kept items and their JSON bytes must give exactly what a
// fresh translation of the same request gives, follow the request's tool-name map, and never change.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toResponsesRequest } from '../../src/translate/request-to-responses.ts';
import { serializeResponsesRequest } from '../../src/translate/serialize-request.ts';
import { cachedItemBytes, messageItemsCounts } from '../../src/translate/message-items-cache.ts';
import { deepFreeze } from '../../src/wire/deep-freeze.ts';
import type { MessagesRequest } from '../../src/wire/anthropic-request.ts';
import type { InputItem } from '../../src/wire/responses-request.ts';
import { claudeCodeRequest } from '../../bench/bodies.ts';

const opts = { upstreamModel: 'gpt-5-codex', defaultEffort: 'medium' as const, store: true, forwardSamplingParams: false };
const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** The request with its messages and system prompt deep-frozen, as the repeated-tail and -messages caches share them. */
function shared(req: MessagesRequest): MessagesRequest {
  const r = copy(req);
  for (const m of r.messages) deepFreeze(m);
  if (typeof r.system === 'object' && r.system !== null) deepFreeze(r.system);
  return r;
}

const LONG_MCP = `mcp__${'a_server_with_a_name_far_far_too_long_for_the_upstream_to_take'}__read`; // > 64 characters: mapped

/** Every content block kind the translation handles, in a tool round trip and a web search. */
function variedRequest(): MessagesRequest {
  return {
    model: 'claude-opus-4-8', max_tokens: 1000,
    system: [{ type: 'text', text: 'x-anthropic-billing-header: cc_version=1' }, { type: 'text', text: 'You are a helper. «ü» 中文 \u{1F600}' }],
    tools: [{ name: 'Bash', input_schema: { type: 'object' } }, { name: LONG_MCP, input_schema: { type: 'object' } }],
    messages: [
      { role: 'user', content: 'a plain string "with quotes" \\ and \u2028' },
      { role: 'assistant', content: [
        { type: 'thinking', thinking: 'let me look', signature: 'enc-1' },
        { type: 'text', text: 'Looking.' },
        { type: 'tool_use', id: 'toolu_1', name: LONG_MCP, input: { path: '/tmp/é' } },
        { type: 'tool_use', id: 'toolu_2', name: 'Bash', input: { command: 'ls' } },
      ] },
      { role: 'user', content: [
        { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'file body' }] },
        { type: 'tool_result', tool_use_id: 'toolu_2', content: 'boom', is_error: true },
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
        { type: 'text', text: 'what now?' },
      ] },
      { role: 'assistant', content: [{ type: 'text', text: 'Done.', citations: null }] },
      { role: 'user', content: [{ type: 'text', text: 'thanks', cache_control: { type: 'ephemeral' } }] },
    ],
  } as MessagesRequest;
}

const deepFrozen = (v: unknown): boolean =>
  typeof v !== 'object' || v === null || (Object.isFrozen(v) && Object.values(v).every(deepFrozen));

const bytesOf = (req: MessagesRequest) => serializeResponsesRequest(toResponsesRequest(req, opts).body);

describe('message items cache', () => {
  for (const [name, make] of [
    ['every content block kind', variedRequest],
    ['a Claude Code session of 40 round trips', () => claudeCodeRequest({ rounds: 40 }) as MessagesRequest],
  ] as const) {
    it(`${name}: shared messages give the bytes a fresh translation gives, turn after turn`, () => {
      const fresh = bytesOf(copy(make()));
      assert.deepEqual(bytesOf(copy(make())), fresh, 'fresh translations agree');
      const req = shared(make());
      const before = messageItemsCounts();
      const first = bytesOf(req);
      const second = bytesOf(req);
      const after = messageItemsCounts();
      assert.ok(first.equals(fresh), 'the first shared translation (items made and kept)');
      assert.ok(second.equals(fresh), 'the second (items and their bytes reused)');
      assert.ok(after.hits - before.hits >= req.messages.length, 'the second translation reused every message');
      assert.ok(second.equals(Buffer.from(JSON.stringify(toResponsesRequest(req, opts).body))), 'exactly JSON.stringify of the body');
    });
  }

  it('reuses the same frozen items, and their bytes are their JSON', () => {
    const req = shared(variedRequest());
    const a = toResponsesRequest(req, opts).body.input;
    const b = toResponsesRequest(req, opts).body.input;
    assert.equal(a.length, b.length);
    for (let i = 0; i < a.length; i++) {
      assert.equal(a[i], b[i], `item ${i} is the kept object`);
      assert.ok(deepFrozen(a[i]), `item ${i} is frozen all the way down`);
      assert.ok(cachedItemBytes(a[i])!.equals(Buffer.from(JSON.stringify(a[i]))), `item ${i}: kept bytes`);
    }
    assert.throws(() => { (a[1] as { role: string }).role = 'user'; }, TypeError, 'a kept item cannot be changed');
  });

  it('a message that is not frozen is translated every time (nothing kept for it)', () => {
    const req = copy(variedRequest());
    const a = toResponsesRequest(req, opts).body.input;
    const b = toResponsesRequest(req, opts).body.input;
    assert.notEqual(a[1], b[1]);
    assert.equal(cachedItemBytes(a[1]), undefined);
    assert.deepEqual(a, b);
  });

  it('follows the request\'s tool-name map: a name mapped differently now gives new items', () => {
    const req = shared(variedRequest());
    const callName = (input: InputItem[]) => input.filter((i) => i.type === 'function_call').map((i) => (i as { name: string }).name);
    const before = callName(toResponsesRequest(req, opts).body.input);
    assert.deepEqual(before, ['mcp__read', 'Bash'], 'the long MCP name is shortened to mcp__read');
    // the next turn also offers a tool really named mcp__read: the long name can no longer take it
    const next: MessagesRequest = { ...req, tools: [...req.tools!, { name: 'mcp__read', input_schema: { type: 'object' } }] };
    const after = callName(toResponsesRequest(next, opts).body.input);
    assert.notEqual(after[0], 'mcp__read');
    assert.match(after[0], /^mcp__a_server.*_[0-9a-f]{8}$/);
    assert.ok(bytesOf(next).equals(bytesOf(copy(next))), 'the same bytes as a fresh translation');
    // and back: the first mapping again
    assert.deepEqual(callName(toResponsesRequest(req, opts).body.input), before);
  });

  it('the reasoning items a refusing upstream gets without still serialise exactly', () => {
    const req = shared(variedRequest());
    toResponsesRequest(req, opts);
    const { body } = toResponsesRequest(req, opts);
    body.input = body.input.filter((item) => item.type !== 'reasoning');
    assert.ok(serializeResponsesRequest(body).equals(Buffer.from(JSON.stringify(body))));
    assert.ok(!serializeResponsesRequest(body).toString().includes('enc-1'));
  });

  it('a frozen system prompt gives its developer message once; the billing block stays out', () => {
    const req = shared(variedRequest());
    const a = toResponsesRequest(req, opts).body.input[0];
    const b = toResponsesRequest(req, opts).body.input[0];
    assert.equal(a, b);
    assert.deepEqual(a, { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'You are a helper. «ü» 中文 \u{1F600}' }] });
  });
});
