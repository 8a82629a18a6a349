// The judge's request (what a Packycode model is asked) and the reading of its answer.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compactTranscript, judgeRequest, readVerdicts, PIECE_LIMIT } from '../../src/safeguards/judge-request.ts';

describe('judgeRequest', () => {
  const req = judgeRequest({
    model: 'gpt-5-mini', effort: 'low', classifierContext: { v: 1, auto_mode: { soft_deny: ['no pushes'] } },
    messages: [{ role: 'user', content: 'tidy the repo' }], calls: [{ id: 'call_1', name: 'Bash', input: { command: 'git push' } }],
  });
  it('is a streamed, unstored Responses request with a strict JSON schema and no tools', () => {
    assert.equal(req.model, 'gpt-5-mini');
    assert.equal(req.stream, true);
    assert.equal(req.store, false);
    assert.deepEqual(req.tools, []);
    assert.equal(req.reasoning.effort, 'low');
    assert.equal(req.text?.format?.type, 'json_schema');
  });
  it('carries the classifier context, the transcript and the calls in the user message', () => {
    const user = req.input[1];
    assert.ok(user.type === 'message' && user.role === 'user');
    const text = (user.content[0] as { text: string }).text;
    assert.ok(text.includes('"soft_deny":["no pushes"]'));
    assert.ok(text.includes('user: tidy the repo'));
    assert.ok(text.includes('"id":"call_1","tool":"Bash","input":{"command":"git push"}'));
  });
});

describe('compactTranscript', () => {
  it('shows texts, tool calls and tool results; drops thinking', () => {
    const t = compactTranscript([
      { role: 'user', content: [{ type: 'text', text: 'list files' }] },
      { role: 'assistant', content: [{ type: 'thinking', thinking: 'secret plan' }, { type: 'tool_use', id: 't1', name: 'Bash', input: { command: 'ls' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'a.txt', is_error: true }] },
    ]);
    assert.equal(t, 'user: list files\nassistant: [tool call Bash t1] {"command":"ls"}\nuser: [tool result t1, error] a.txt');
  });
  it('cuts long pieces and keeps the newest messages within the budget', () => {
    const long = 'x'.repeat(PIECE_LIMIT + 10);
    assert.ok(compactTranscript([{ role: 'user', content: long }]).endsWith('[... 10 more characters]'));
    const t = compactTranscript([{ role: 'user', content: 'old '.repeat(50) }, { role: 'user', content: 'newest' }], 30);
    assert.equal(t, '[earlier conversation left out]\nuser: newest');
  });
});

describe('readVerdicts', () => {
  const table: Array<[string, string, Record<string, unknown>]> = [
    ['flagged with a rule', '{"verdicts":[{"id":"a","flagged":true,"explanation":"pushes","cited_rule":"auto_mode.soft_deny.0"}]}',
      { a: { type: 'evaluated', outcome: 'flagged', explanation: 'pushes', cited_rule: { type: 'classifier_context', path: 'auto_mode.soft_deny.0' } } }],
    ['not flagged, no rule', '{"verdicts":[{"id":"a","flagged":false,"explanation":"reads a file","cited_rule":null}]}',
      { a: { type: 'evaluated', outcome: 'not_flagged', explanation: 'reads a file' } }],
    ['not JSON', 'sure, looks fine', { a: { type: 'unavailable', reason: 'error' } }],
    ['id left out', '{"verdicts":[]}', { a: { type: 'unavailable', reason: 'error' } }],
    ['flagged not a boolean', '{"verdicts":[{"id":"a","flagged":"no"}]}', { a: { type: 'unavailable', reason: 'error' } }],
  ];
  for (const [name, answer, want] of table) it(name, () => assert.deepEqual(readVerdicts(answer, ['a']), want));
});
