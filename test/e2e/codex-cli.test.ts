// The real Codex CLI (`codex exec`, 0.169.0) pointed at the gateway as a custom `wire_api = "responses"`
// provider, unchanged: a text turn and a shell tool round trip (the CLI really runs the command), through
// the gateway's client key, model routing and accounting, with the mock Responses upstream behind it.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, CLIENT_KEY, type Harness } from './sdk-harness.ts';
import { findCodexBinary, runCodex, describeCodexRun } from '../support/codex-cli.ts';
import { readTurn, decide } from '../support/mock-default-handler.ts';
import { functionCalls, text } from '../support/response-scenarios.ts';
import type { RequestRecord } from '../../src/accounting/request-record.ts';

const RUN = /RUN:[ \t]*([^\r\n]+)/;
const bin = findCodexBinary();
const skip = bin ? false : 'the Codex CLI platform package is not installed';

let h: Harness;
const records: RequestRecord[] = [];
before(async () => {
  if (skip) return;
  h = await startHarness({
    mock: {
      // the Codex CLI's shell tool is `exec_command {cmd}`: ask for it on RUN:, answer its output, else say hello
      handler: (req) => {
        const facts = readTurn(req.body);
        const usage = { usage: { input_tokens: 2000, input_tokens_details: { cached_tokens: 1500 }, output_tokens: 12 } };
        if (facts.toolOutput !== undefined) return text(`The command printed: ${facts.toolOutput.trim().split('\n').at(-1)}`, usage);
        const m = facts.userTexts.map((t) => RUN.exec(t)).find(Boolean);
        if (m && facts.tools.some((t) => t.name === 'exec_command')) return functionCalls([{ name: 'exec_command', arguments: { cmd: m[1].trim() } }], usage);
        return decide(facts, usage);
      },
    },
  });
  h.gw.runtime.observers.push({ record: (r) => { records.push(r); } });
});
after(async () => { if (h) await h.close(); });
beforeEach(() => { if (h) { h.mock.reset(); records.length = 0; } });

test('codex exec: a text turn through the gateway', { skip, timeout: 120_000 }, async () => {
  const run = await runCodex({ prompt: 'Say hello', baseUrl: `${h.gw.url}/v1`, apiKey: CLIENT_KEY });
  assert.equal(run.exitCode, 0, describeCodexRun(run));
  assert.match(run.lastMessage ?? '', /Hello from the mock upstream\. \(model: gpt-5-codex\)/, describeCodexRun(run));
  const up = h.lastUpstream();
  assert.equal(up.headers.authorization, 'Bearer sk-test-upstream-key-1234');
  assert.equal(up.body.stream, true);
  assert.equal(up.body.store, false);
  assert.equal(up.body.input[0].role, 'developer', 'the Codex request shape passes through');
  assert.ok(records.some((r) => r.route === 'responses' && r.status === 200 && r.stream && r.cachedInputTokens === 1500 && r.inputTokens === 500));
});

test('codex exec: a shell tool round trip (the CLI runs the command and sends its output back)', { skip, timeout: 120_000 }, async () => {
  const run = await runCodex({ prompt: 'RUN: echo hello-from-codex-tool', baseUrl: `${h.gw.url}/v1`, apiKey: CLIENT_KEY });
  assert.equal(run.exitCode, 0, describeCodexRun(run));
  assert.equal(run.lastMessage, 'The command printed: hello-from-codex-tool', describeCodexRun(run));
  const turns = h.mock.requests.filter((r) => r.path === '/v1/responses');
  assert.equal(turns.length, 2, 'the call, then its output');
  const second = turns[1].body.input as Array<{ type?: string; call_id?: string; output?: string }>;
  const call = second.find((i) => i.type === 'function_call');
  const output = second.find((i) => i.type === 'function_call_output');
  assert.ok(call && output && call.call_id === output.call_id);
  assert.match(output.output ?? '', /hello-from-codex-tool/);
  assert.equal(records.filter((r) => r.route === 'responses' && r.status === 200).length, 2);
});

test('codex exec: a wrong client key is refused in OpenAI\'s shape and the CLI reports it', { skip, timeout: 120_000 }, async () => {
  const run = await runCodex({ prompt: 'Say hello', baseUrl: `${h.gw.url}/v1`, apiKey: 'wrong-key' });
  assert.notEqual(run.exitCode, 0);
  assert.match(run.stdout + run.stderr, /invalid API key: the key sent/, describeCodexRun(run));
  assert.equal(h.mock.requests.length, 0, 'nothing reached the upstream');
});
