import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { anthropicStopReason, type StreamOutcome } from '../../src/translate/stop-reason.ts';

describe('anthropicStopReason', () => {
  const cases: Array<[StreamOutcome, string]> = [
    [{ terminal: 'completed', toolUse: false, refusal: false }, 'end_turn'],
    [{ terminal: 'completed', toolUse: true, refusal: false }, 'tool_use'],
    [{ terminal: 'completed', toolUse: false, refusal: true }, 'refusal'],
    [{ terminal: 'completed', toolUse: true, refusal: true }, 'tool_use'],
    [{ terminal: 'incomplete', incompleteReason: 'max_output_tokens', toolUse: false, refusal: false }, 'max_tokens'],
    [{ terminal: 'incomplete', incompleteReason: 'max_output_tokens', toolUse: true, refusal: false }, 'max_tokens'],
    [{ terminal: 'incomplete', incompleteReason: 'content_filter', toolUse: false, refusal: false }, 'refusal'],
    [{ terminal: 'incomplete', incompleteReason: null, toolUse: false, refusal: false }, 'max_tokens'],
    [{ terminal: 'incomplete', incompleteReason: 'something_new', toolUse: false, refusal: false }, 'max_tokens'],
  ];
  for (const [input, want] of cases) it(`${JSON.stringify(input)} -> ${want}`, () => assert.equal(anthropicStopReason(input), want));
});
