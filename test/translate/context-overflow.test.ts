// Context overflow: which upstream errors are overflows, and Anthropic's "prompt is too long" message.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isContextOverflow, promptTooLong, statedOverflow } from '../../src/translate/context-overflow.ts';
import { contextOverflowClientError } from '../../src/relay/anthropic-errors.ts';
import { inputWindow, MODEL_CATALOG, INPUT_WINDOWS, DEFAULT_INPUT_WINDOW } from '../../src/routing/model-catalog.ts';

describe('isContextOverflow', () => {
  const table: Array<[string | undefined, string | undefined, boolean]> = [
    ['context_length_exceeded', undefined, true],
    ['CONTEXT_LENGTH_EXCEEDED', undefined, true],
    ['context_window_exceeded', undefined, true],
    ['input_too_long', undefined, true],
    [undefined, 'Your input exceeds the context window of this model. Please adjust your input and try again.', true],
    [undefined, "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.", true],
    ['invalid_request_error', 'prompt is too long: 300000 tokens > 272000 maximum', true],
    [undefined, 'Please reduce the length of the messages.', true],
    ['rate_limit_exceeded', 'Rate limit reached for tokens per min', false],
    ['insufficient_quota', 'You exceeded your current quota', false],
    ['invalid_request_error', "Invalid value for 'reasoning.effort'", false],
    [undefined, undefined, false],
  ];
  for (const [code, message, want] of table) {
    it(`${code ?? '-'} / ${message ?? '-'} -> ${want}`, () => assert.equal(isContextOverflow(code, message), want));
  }
});

describe('promptTooLong', () => {
  const table: Array<[number, number, string]> = [
    [300_000, 272_000, 'prompt is too long: 300000 tokens > 272000 maximum'],
    [100_000, 272_000, 'prompt is too long: 272001 tokens > 272000 maximum'], // a local count below the window: kept above it
    [272_000, 272_000, 'prompt is too long: 272001 tokens > 272000 maximum'],
  ];
  for (const [n, m, want] of table) {
    it(`${n} > ${m}`, () => assert.deepEqual(promptTooLong(n, m), { type: 'invalid_request_error', message: want }));
  }
});

describe('statedOverflow: the counts an upstream\'s message states', () => {
  const table: [string, { counted: number; window: number } | undefined][] = [
    ["This model's maximum context length is 128000 tokens. However, your messages resulted in 130512 tokens. Please reduce the length of the messages.", { counted: 130_512, window: 128_000 }],
    ["This model's maximum context length is 8,192 tokens, however you requested 9,001 tokens (8,001 in your prompt; 1,000 for the completion).", { counted: 9_001, window: 8_192 }],
    ['prompt is too long: 210000 tokens > 200000 maximum', { counted: 210_000, window: 200_000 }],
    ['Your input exceeds the context window of this model. Please adjust your input and try again.', undefined],
    ["This model's maximum context length is 128000 tokens.", undefined], // no count: the local one is used
    ["This model's maximum context length is 128000 tokens. However, your messages resulted in 1000 tokens.", undefined], // not over: not believed
  ];
  for (const [message, want] of table) it(message.slice(0, 60), () => assert.deepEqual(statedOverflow(message), want));
});

describe('contextOverflowClientError', () => {
  it('counts the upstream states win over the local count and the catalog window', () => {
    let counted = false;
    const e = contextOverflowClientError(refused, { upstreamCode: 'context_length_exceeded', upstreamMessage: "This model's maximum context length is 14000 tokens. However, your messages resulted in 15481 tokens." }, () => { counted = true; return 1; }, 272_000);
    assert.equal(e?.message, 'prompt is too long: 15481 tokens > 14000 maximum');
    assert.equal(counted, false);
  });
  const refused = { status: 400, type: 'invalid_request_error' as const, message: 'Packycode refused the request (HTTP 400)' };
  const base = { status: 400, type: 'invalid_request_error' as const, message: 'Packycode refused the request (HTTP 400: Your input exceeds the context window of this model.)' };
  it('an upstream 400 context_length_exceeded becomes 400 "prompt is too long", not retried', () => {
    const e = contextOverflowClientError(base, { upstreamCode: 'context_length_exceeded', upstreamMessage: 'Your input exceeds the context window of this model.' }, () => 290_123, 272_000);
    assert.deepEqual(e, { status: 400, type: 'invalid_request_error', message: 'prompt is too long: 290123 tokens > 272000 maximum', headers: { 'x-should-retry': 'false' } });
  });
  it('a failed stream (no UpstreamError, the code in the message) too', () => {
    const e = contextOverflowClientError({ status: 400, type: 'invalid_request_error', message: 'Packycode error (context_length_exceeded): Your input exceeds the context window of this model.' }, undefined, () => 1, 200_000);
    assert.equal(e?.message, 'prompt is too long: 200001 tokens > 200000 maximum');
  });
  it('other errors are left alone, and nothing is counted', () => {
    let counted = false;
    assert.equal(contextOverflowClientError({ status: 429, type: 'rate_limit_error', message: 'Packycode rate limit reached' }, { upstreamCode: 'rate_limit_exceeded' }, () => { counted = true; return 1; }, 272_000), undefined);
    assert.equal(counted, false);
  });
});

describe('input windows', () => {
  it('every catalog model has one, below its nominal context window', () => {
    for (const m of MODEL_CATALOG) {
      assert.ok(INPUT_WINDOWS[m.id] !== undefined, `${m.id} has an input window`);
      assert.ok(inputWindow(m) <= m.contextWindow, m.id);
    }
  });
  it('the GPT-5 family: 272,000; unknown models: the default', () => {
    assert.equal(inputWindow(MODEL_CATALOG.find((m) => m.id === 'gpt-5-codex')), 272_000);
    assert.equal(inputWindow(undefined), DEFAULT_INPUT_WINDOW);
  });
});
