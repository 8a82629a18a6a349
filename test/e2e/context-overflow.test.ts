// An upstream context overflow reaches the client as Anthropic's own "prompt is too long: N tokens > M maximum"
// (what Claude Code compacts on), streamed or not, as an HTTP 400 or a failed stream.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, userRequest, type Harness } from './sdk-harness.ts';
import { relayTuning } from '../../src/relay/relay.ts';
import { failed, httpError, openaiErrorBody } from '../support/response-scenarios.ts';

let h: Harness;
const savedRetry = relayTuning.retry;
before(async () => { relayTuning.retry = { delaysMs: [], maxRetryAfterMs: 0 }; h = await startHarness(); });
after(async () => { relayTuning.retry = savedRetry; await h.close(); });
beforeEach(() => { h.mock.reset(); });

const OVERFLOW = 'Your input exceeds the context window of this model. Please adjust your input and try again.';

for (const [name, scenario] of [
  ['an HTTP 400 context_length_exceeded', () => httpError(400, openaiErrorBody(400, { code: 'context_length_exceeded', message: OVERFLOW, type: 'invalid_request_error' }))],
  ['a response.failed with context_length_exceeded', () => failed('context_length_exceeded', OVERFLOW)],
] as const) {
  for (const stream of [false, true]) {
    test(`${name}, stream=${stream}: 400 invalid_request_error "prompt is too long: N tokens > 272000 maximum"`, async () => {
      h.mock.enqueue(scenario());
      const r = await h.post('/v1/messages', userRequest('a long conversation', { stream, model: 'gpt-5-codex' }));
      assert.equal(r.status, 400, r.text.slice(0, 300));
      assert.equal(r.json.type, 'error');
      assert.equal(r.json.error.type, 'invalid_request_error');
      const m = /^prompt is too long: (\d+) tokens > (\d+) maximum$/.exec(r.json.error.message);
      assert.ok(m, r.json.error.message);
      assert.equal(Number(m[2]), 272_000, 'M is gpt-5-codex\'s input window');
      assert.ok(Number(m[1]) > Number(m[2]), 'N is above M');
      assert.equal(r.headers.get('x-should-retry'), 'false');
    });
  }
}
