import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { passthroughRequest, ResponsesPassthrough, PASSTHROUGH_TRUNCATED_MESSAGE, type PassthroughOptions } from '../../src/translate/responses-passthrough.ts';
import type { ResponsesEvent } from '../../src/wire/responses-stream.ts';
import { OWN_FIXTURES, readFixture } from './stream-support.ts';

const OPTS: PassthroughOptions = { upstreamModel: 'gpt-5-codex', store: false };

describe('passthroughRequest', () => {
  const cases: Array<{ name: string; body: Record<string, unknown>; opts?: Partial<PassthroughOptions>; want: Record<string, unknown> }> = [
    {
      name: 'model routed, stream forced on, store forced off, the rest as sent',
      body: { model: 'gpt-5-codex', input: 'hi', stream: false, store: true, include: ['reasoning.encrypted_content'], client_metadata: { a: '1' }, prompt_cache_key: 'k' },
      want: { model: 'gpt-5-codex', input: 'hi', stream: true, store: false, include: ['reasoning.encrypted_content'], client_metadata: { a: '1' }, prompt_cache_key: 'k' },
    },
    { name: 'store left as sent when storage is allowed', body: { model: 'x', input: 'hi', store: true }, opts: { store: true }, want: { model: 'gpt-5-codex', input: 'hi', store: true, stream: true } },
    { name: 'store not added when allowed and absent', body: { model: 'x', input: 'hi' }, opts: { store: true }, want: { model: 'gpt-5-codex', input: 'hi', stream: true } },
    {
      name: 'a suffix effort wins over the request, summary kept',
      body: { model: 'gpt-5-codex-high', input: [], reasoning: { effort: 'low', summary: 'auto' } }, opts: { forcedEffort: 'high' },
      want: { model: 'gpt-5-codex', input: [], stream: true, store: false, reasoning: { effort: 'high', summary: 'auto' } },
    },
    {
      name: 'the requested effort is clamped to what the model accepts',
      body: { model: 'gpt-5-codex', input: [], reasoning: { effort: 'minimal' } }, opts: { supportedEfforts: ['low', 'medium', 'high'] },
      want: { model: 'gpt-5-codex', input: [], stream: true, store: false, reasoning: { effort: 'low' } },
    },
    {
      name: 'an unknown effort word is left for the upstream to judge',
      body: { model: 'm', input: [], reasoning: { effort: 'turbo' } },
      want: { model: 'gpt-5-codex', input: [], stream: true, store: false, reasoning: { effort: 'turbo' } },
    },
    { name: 'a forced effort adds reasoning when absent', body: { model: 'm', input: [] }, opts: { forcedEffort: 'low' }, want: { model: 'gpt-5-codex', input: [], stream: true, store: false, reasoning: { effort: 'low' } } },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(passthroughRequest(c.body, { ...OPTS, ...c.opts }), c.want));
  it('does not change the client body', () => {
    const body = { model: 'a', input: 'x', reasoning: { effort: 'low' } };
    passthroughRequest(body, { ...OPTS, forcedEffort: 'high' });
    assert.deepEqual(body, { model: 'a', input: 'x', reasoning: { effort: 'low' } });
  });
});

function watch(events: ResponsesEvent[], end = true) {
  const w = new ResponsesPassthrough('client-model');
  const out: ResponsesEvent[] = [];
  const outputAt: number[] = [];
  events.forEach((ev, i) => { const was = w.hasOutput; w.push(ev, out); if (!was && w.hasOutput) outputAt.push(i); });
  if (end) w.end();
  return { w, out, outputAt };
}

describe('ResponsesPassthrough', () => {
  const fixtures: Array<{ file: string; failedCode?: string; output: boolean; usageIn?: number }> = [
    { file: 'text-deltas.jsonl', output: true, usageIn: 120 },
    { file: 'function-call.jsonl', output: true, usageIn: 1500 },
    { file: 'completed-only.jsonl', output: true, usageIn: 400 },
    { file: 'incomplete-max-output-tokens.jsonl', output: true },
    { file: 'error-then-failed.jsonl', output: true, failedCode: 'rate_limit_exceeded' }, // text first, then the error: passed on as is
    { file: 'failed-only.jsonl', output: false, failedCode: 'server_error' },
  ];
  for (const f of fixtures) {
    it(f.file, () => {
      const events = readFixture(new URL(f.file, OWN_FIXTURES));
      const { w, out, outputAt } = watch(events);
      assert.equal(w.hasOutput, f.output);
      assert.equal(w.failed?.code, f.failedCode);
      if (f.output) assert.ok(!['response.created', 'response.in_progress'].includes(events[outputAt[0]].type), 'the preamble is not output');
      if (!f.failedCode) {
        assert.equal(out.length, events.length, 'every event passes');
        assert.ok(w.response());
        for (const ev of out) if (ev.response) assert.equal(ev.response.model, 'client-model');
      }
      if (f.usageIn !== undefined) assert.equal(w.usage?.input_tokens, f.usageIn);
    });
  }
  it('a body that ends before a terminal event is a failure', () => {
    const { w } = watch(readFixture(new URL('truncated.jsonl', OWN_FIXTURES)));
    assert.equal(w.failed?.message, PASSTHROUGH_TRUNCATED_MESSAGE);
    assert.equal(w.response(), undefined);
  });
  it('response(): an empty terminal output is filled from output_item.done', () => {
    const item = { id: 'msg_1', type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hi' }] };
    const { w } = watch([
      { type: 'response.output_item.done', output_index: 0, item },
      { type: 'response.completed', response: { id: 'r', status: 'completed', output: [] } },
    ]);
    assert.deepEqual(w.response()?.output, [item]);
  });
  it('events after the terminal one are dropped', () => {
    const { out } = watch([
      { type: 'response.completed', response: { id: 'r', status: 'completed', output: [] } },
      { type: 'response.output_text.delta', delta: 'late' },
    ]);
    assert.equal(out.length, 1);
  });
});
