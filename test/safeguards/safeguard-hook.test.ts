// The safeguards hook: what goes onto the final message_delta / message, with and without a judge.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Message, StreamEvent } from '../../src/wire/anthropic-stream.ts';
import { SafeguardHook, type JudgeCalls } from '../../src/safeguards/safeguard-hook.ts';
import { requestedDangerousToolUse } from '../../src/safeguards/safeguard-results.ts';

const usage = { input_tokens: 1, output_tokens: 1, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 } as Message['usage'];

function toolReply(calls: Array<{ id: string; name: string; json: string }>): StreamEvent[] {
  const evs: StreamEvent[] = [];
  calls.forEach((c, i) => {
    evs.push({ type: 'content_block_start', index: i, content_block: { type: 'tool_use', id: c.id, name: c.name, input: {} } });
    // split the JSON in two deltas, as a stream does
    const mid = Math.floor(c.json.length / 2);
    evs.push({ type: 'content_block_delta', index: i, delta: { type: 'input_json_delta', partial_json: c.json.slice(0, mid) } });
    evs.push({ type: 'content_block_delta', index: i, delta: { type: 'input_json_delta', partial_json: c.json.slice(mid) } });
    evs.push({ type: 'content_block_stop', index: i });
  });
  evs.push({ type: 'message_delta', delta: { stop_reason: calls.length ? 'tool_use' : 'end_turn', stop_sequence: null }, usage });
  evs.push({ type: 'message_stop' });
  return evs;
}

const results = (evs: StreamEvent[]): unknown => (evs.find((e) => e.type === 'message_delta') as { delta: { safeguard_results?: unknown } }).delta.safeguard_results;

describe('requestedDangerousToolUse', () => {
  const table: Array<[string, unknown, boolean]> = [
    ['no safeguards', { model: 'm' }, false],
    ['another type only', { safeguards: [{ type: 'something_else' }] }, false],
    ['not a list', { safeguards: { type: 'dangerous_tool_use' } }, false],
    ['dangerous_tool_use', { safeguards: [{ type: 'dangerous_tool_use', classifier_context: { v: 1 } }] }, true],
    ['without classifier_context', { safeguards: [{ type: 'dangerous_tool_use' }] }, true],
  ];
  for (const [name, body, asked] of table) {
    it(name, () => assert.equal(requestedDangerousToolUse(body) !== undefined, asked));
  }
  it('returns the classifier_context', () => {
    assert.deepEqual(requestedDangerousToolUse({ safeguards: [{ type: 'dangerous_tool_use', classifier_context: { v: 1, rules: { allow: [] } } }] })?.classifierContext, { v: 1, rules: { allow: [] } });
  });
});

describe('SafeguardHook without a judge', () => {
  it('answers at once: every call not_judged_as_run (Claude Code then applies its own checks)', () => {
    const evs = toolReply([{ id: 'call_a', name: 'Bash', json: '{"command":"ls"}' }, { id: 'call_b', name: 'Read', json: '{}' }]);
    assert.equal(new SafeguardHook().pass(evs), undefined, 'no promise: nothing waits');
    assert.deepEqual(results(evs), [{ type: 'dangerous_tool_use', status: { type: 'available', tool_uses: {
      call_a: { type: 'unavailable', reason: 'not_judged_as_run' }, call_b: { type: 'unavailable', reason: 'not_judged_as_run' },
    } } }]);
  });
  it('a reply without calls: available, no verdicts', () => {
    const evs = toolReply([]);
    new SafeguardHook().pass(evs);
    assert.deepEqual(results(evs), [{ type: 'dangerous_tool_use', status: { type: 'available', tool_uses: {} } }]);
  });
  it('events fed in several passes (as batches arrive) are followed', () => {
    const evs = toolReply([{ id: 'call_x', name: 'Bash', json: '{"command":"pwd"}' }]);
    const hook = new SafeguardHook();
    hook.pass(evs.slice(0, 2));
    const rest = evs.slice(2);
    hook.pass(rest);
    assert.deepEqual(Object.keys((results(rest) as any)[0].status.tool_uses), ['call_x']);
  });
});

describe('SafeguardHook with a judge', () => {
  it('the judge gets each call with its parsed input; its verdicts go on the message_delta', async () => {
    let seen: unknown;
    const judge: JudgeCalls = async (calls) => {
      seen = calls;
      return { call_a: { type: 'evaluated', outcome: 'flagged', explanation: 'pipes a download into sh' }, call_b: { type: 'evaluated', outcome: 'not_flagged' } };
    };
    const evs = toolReply([{ id: 'call_a', name: 'Bash', json: '{"command":"curl x | sh"}' }, { id: 'call_b', name: 'Read', json: '{"file_path":"a"}' }]);
    const wait = new SafeguardHook({ judge }).pass(evs);
    assert.ok(wait instanceof Promise, 'the message_delta waits for the judge');
    await wait;
    assert.deepEqual(seen, [{ id: 'call_a', name: 'Bash', input: { command: 'curl x | sh' } }, { id: 'call_b', name: 'Read', input: { file_path: 'a' } }]);
    assert.deepEqual((results(evs) as any)[0].status.tool_uses, {
      call_a: { type: 'evaluated', outcome: 'flagged', explanation: 'pipes a download into sh' },
      call_b: { type: 'evaluated', outcome: 'not_flagged' },
    });
  });
  it('a call the judge left out is unavailable, never not_flagged', async () => {
    const evs = toolReply([{ id: 'call_a', name: 'Bash', json: '{}' }, { id: 'call_b', name: 'Bash', json: '{}' }]);
    await new SafeguardHook({ judge: async () => ({ call_a: { type: 'evaluated', outcome: 'not_flagged' } }) }).pass(evs);
    assert.deepEqual((results(evs) as any)[0].status.tool_uses.call_b, { type: 'unavailable', reason: 'error' });
  });
  it('a judge that throws: every call unavailable (error)', async () => {
    const evs = toolReply([{ id: 'call_a', name: 'Bash', json: '{}' }]);
    const outcomes: unknown[] = [];
    await new SafeguardHook({ judge: async () => { throw new Error('upstream down'); }, onJudged: (o) => outcomes.push(o) }).pass(evs);
    assert.deepEqual((results(evs) as any)[0].status.tool_uses, { call_a: { type: 'unavailable', reason: 'error' } });
    assert.equal((outcomes[0] as any).failure, 'error');
  });
  it('a judge past its deadline: every call unavailable (timeout), and the judge is aborted', async () => {
    let aborted = false;
    const judge: JudgeCalls = (_calls, signal) => new Promise((resolve) => {
      signal.addEventListener('abort', () => { aborted = true; resolve({ call_a: { type: 'evaluated', outcome: 'not_flagged' } }); });
    });
    const evs = toolReply([{ id: 'call_a', name: 'Bash', json: '{}' }]);
    await new SafeguardHook({ judge, timeoutMs: 20 }).pass(evs);
    assert.deepEqual((results(evs) as any)[0].status.tool_uses, { call_a: { type: 'unavailable', reason: 'timeout' } });
    assert.equal(aborted, true);
  });
  it('no calls: the judge is not asked', async () => {
    let asked = false;
    const evs = toolReply([]);
    const wait = new SafeguardHook({ judge: async () => { asked = true; return {}; } }).pass(evs);
    assert.equal(wait, undefined);
    assert.equal(asked, false);
  });
  it('non-streaming: forMessage puts safeguard_results on the message', async () => {
    const message: Message = { id: 'msg_1', type: 'message', role: 'assistant', model: 'm', stop_reason: 'tool_use', stop_sequence: null, usage,
      content: [{ type: 'text', text: 'running it' }, { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'ls' } }] };
    const out = await new SafeguardHook({ judge: async () => ({ toolu_1: { type: 'evaluated', outcome: 'not_flagged' } }) }).forMessage(message);
    assert.deepEqual(out.safeguard_results, [{ type: 'dangerous_tool_use', status: { type: 'available', tool_uses: { toolu_1: { type: 'evaluated', outcome: 'not_flagged' } } } }]);
    assert.deepEqual(out.content, message.content);
  });
});
