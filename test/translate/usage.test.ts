import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { anthropicUsage, zeroUsage } from '../../src/translate/usage.ts';
import type { ResponsesUsage } from '../../src/wire/responses-stream.ts';

describe('anthropicUsage', () => {
  const cases: Array<[string, ResponsesUsage | null | undefined, { input_tokens: number; output_tokens: number; cache_read_input_tokens: number }]> = [
    ['null', null, { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0 }],
    ['undefined', undefined, { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0 }],
    ['no cache', { input_tokens: 42, output_tokens: 7 }, { input_tokens: 42, output_tokens: 7, cache_read_input_tokens: 0 }],
    ['cached tokens are subtracted', { input_tokens: 7112, input_tokens_details: { cached_tokens: 3072 }, output_tokens: 463 }, { input_tokens: 4040, output_tokens: 463, cache_read_input_tokens: 3072 }],
    ['details null', { input_tokens: 10, input_tokens_details: null, output_tokens: 1 }, { input_tokens: 10, output_tokens: 1, cache_read_input_tokens: 0 }],
    ['cached above input is capped', { input_tokens: 5, input_tokens_details: { cached_tokens: 9 }, output_tokens: 1 }, { input_tokens: 0, output_tokens: 1, cache_read_input_tokens: 5 }],
    ['reasoning tokens stay in output_tokens', { input_tokens: 1, output_tokens: 300, output_tokens_details: { reasoning_tokens: 250 } }, { input_tokens: 1, output_tokens: 300, cache_read_input_tokens: 0 }],
    ['garbage numbers become 0', { input_tokens: -3, output_tokens: Number.NaN } as ResponsesUsage, { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0 }],
  ];
  for (const [name, input, want] of cases) it(name, () => assert.deepEqual(anthropicUsage(input), want));

  it('zeroUsage returns a fresh object', () => {
    const a = zeroUsage();
    a.input_tokens = 5;
    assert.equal(zeroUsage().input_tokens, 0);
  });
});
