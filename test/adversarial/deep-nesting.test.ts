// Deep nesting (issue 8, item 7). The probe: depth 10,000 inside tool_use.input gave 500 "Maximum call stack
// size exceeded"; inside input_schema it was retried three times and reported as a 502; count_tokens answered
// 0. Now JSON nested deeper than 128 levels anywhere in the body is a 400 invalid_request_error naming where,
// on /v1/messages and count_tokens, before validation, translation or counting can recurse into it.
// Claude Code's deepest request nests 11 levels (an input_schema); 128 levels still go through.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, CLIENT_KEY, type Harness } from '../e2e/sdk-harness.ts';
import { send, isAnthropicError } from './edge-client.ts';
import { MAX_JSON_NESTING, tooDeepPath } from '../../src/wire/json-depth.ts';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

const HEADERS = { 'content-type': 'application/json', 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01' };

/** JSON text of `depth` objects nested in each other ({"a":{"a":...{}}}), built as text so any depth is cheap. */
function nested(depth: number, key = 'a'): string {
  return `${`{"${key}":`.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`;
}

function withToolUseInput(input: string): string {
  return `{"model":"gpt-5-codex","max_tokens":50,"messages":[{"role":"user","content":"run it"},` +
    `{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"Run","input":${input}}]},` +
    '{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"done"}]}]}';
}

function withInputSchema(schema: string): string {
  return `{"model":"gpt-5-codex","max_tokens":50,"tools":[{"name":"Run","input_schema":${schema}}],"messages":[{"role":"user","content":"hi"}]}`;
}

const PATHS = ['/v1/messages', '/v1/messages/count_tokens'];

test('depth 10,000 and 1,000,000 inside tool_use.input and input_schema: 400 naming the path, nothing upstream', async () => {
  const before = h.mock.requestCount;
  for (const depth of [10_000, 1_000_000]) {
    for (const [body, where] of [[withToolUseInput(nested(depth)), /^messages\.1\.content\.0\.input\.a\.a/], [withInputSchema(nested(depth, 'properties')), /^tools\.0\.input_schema\.properties\.properties/]] as const) {
      for (const path of PATHS) {
        const r = await send(`${h.gw.url}${path}`, 'POST', HEADERS, body);
        assert.equal(isAnthropicError(r, 400, 'invalid_request_error'), undefined, `${path} depth ${depth}`);
        assert.match(r.json.error.message, where);
        assert.match(r.json.error.message, /nested more than 128 levels deep/);
        assert.ok(r.text.length < 2000, `a ${r.text.length}-byte answer`);
      }
    }
  }
  // deep arrays in an unknown key, and in a tool_result's content
  const arrays = `{"model":"gpt-5-codex","max_tokens":5,"messages":[{"role":"user","content":"x"}],"extra":${'['.repeat(5000)}${']'.repeat(5000)}}`;
  const r = await send(`${h.gw.url}/v1/messages`, 'POST', HEADERS, arrays);
  assert.equal(isAnthropicError(r, 400, 'invalid_request_error'), undefined);
  assert.match(r.json.error.message, /^extra\.0\.0\.0/);
  assert.equal(h.mock.requestCount, before, 'the upstream received nothing');
});

test('JSON nested exactly to the limit goes through validation, translation and counting', async () => {
  // the body, messages, the message, content, the block: 5 levels before input
  const input = nested(MAX_JSON_NESTING - 5);
  const body = withToolUseInput(input);
  assert.equal(tooDeepPath(JSON.parse(body)), null);
  const counted = await send(`${h.gw.url}/v1/messages/count_tokens`, 'POST', HEADERS, body);
  assert.equal(counted.status, 200, counted.text);
  assert.ok(counted.json.input_tokens > MAX_JSON_NESTING, JSON.stringify(counted.json));
  const relayed = await send(`${h.gw.url}/v1/messages`, 'POST', HEADERS, body);
  assert.equal(relayed.status, 200, relayed.text);
  assert.equal(relayed.json.type, 'message');
  const upstreamInput = JSON.stringify(h.lastUpstream().body);
  assert.ok(upstreamInput.includes('{\\"a\\":{\\"a\\"'), 'the nested input went upstream as the function call arguments');
  // one level more is refused
  const over = await send(`${h.gw.url}/v1/messages`, 'POST', HEADERS, withToolUseInput(nested(MAX_JSON_NESTING - 4)));
  assert.equal(isAnthropicError(over, 400, 'invalid_request_error'), undefined);
});

test('tooDeepPath: paths and limits', () => {
  assert.equal(tooDeepPath({ a: [1, { b: 2 }] }, 3), null);
  assert.deepEqual(tooDeepPath({ a: [1, { b: {} }] }, 3), ['a', 1, 'b']);
  assert.deepEqual(tooDeepPath([[[]]], 2), [0, 0]);
  assert.equal(tooDeepPath('text', 1), null);
  assert.deepEqual(tooDeepPath(JSON.parse(nested(200_000)), 128)?.length, 128);
});

test('tooDeepPath: top-level keys checked before (a shared tail) are skipped, every other one walked', () => {
  const body = { model: 'm', messages: [[[[]]]], tools: [[[[]]]] };
  assert.deepEqual(tooDeepPath(body, 4), ['messages', 0, 0, 0]);
  assert.deepEqual(tooDeepPath(body, 4, ['messages']), ['tools', 0, 0, 0]);
  assert.equal(tooDeepPath(body, 4, ['messages', 'tools']), null);
  assert.deepEqual(tooDeepPath(body, 0, ['messages', 'tools']), [], 'the body itself is over a limit of 0');
  assert.deepEqual(tooDeepPath([[[]]], 2, ['0']), [0, 0], 'an array body: nothing skipped');
});
