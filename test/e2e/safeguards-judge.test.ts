// Auto mode's judge through a real gateway (safeguards.classifier-model) with the mock upstream as Packycode:
// a judge that answers, one that fails, one past safeguards.timeout-ms; streamed and not. A failing or slow
// judge gives `unavailable`, never `not_flagged`; the reply itself still arrives.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, parseSse, rawRequest, userRequest, CLIENT_KEY, type Harness } from './sdk-harness.ts';
import { functionCalls, hang, httpError, text, type Scenario } from '../support/response-scenarios.ts';
import type { RecordedRequest } from '../support/mock-upstream.ts';
import { writeFileSync } from 'node:fs';
import { packycodeYaml, startTestGateway } from '../support/gateway.ts';

let h: Harness;
let judge: (r: RecordedRequest) => Scenario;
const isJudge = (r: RecordedRequest): boolean => r.body?.text?.format?.name === 'tool_call_verdicts';

before(async () => {
  h = await startHarness({
    extraYaml: ['safeguards:', '  classifier-model: gpt-5-mini-low', '  timeout-ms: 1500'].join('\n'),
    mock: { handler: (r) => (isJudge(r) ? judge(r) : functionCalls([{ name: 'Bash', arguments: '{"command":"rm -rf build"}', callId: 'call_rm' }])) },
  });
});
after(async () => { await h.close(); });
beforeEach(() => { h.mock.reset(); });

const SAFEGUARDS = [{ type: 'dangerous_tool_use', classifier_context: { v: 1, permission_mode: 'auto', auto_mode: { soft_deny: ['deleting build output'] } } }];
const request = (stream: boolean) => userRequest('clean up', { stream, safeguards: SAFEGUARDS, tools: [{ name: 'Bash', input_schema: { type: 'object', properties: { command: { type: 'string' } } } }] });

async function verdicts(stream: boolean): Promise<Record<string, unknown>> {
  const r = await h.post('/v1/messages', request(stream));
  assert.equal(r.status, 200, r.text.slice(0, 300));
  const results = stream ? parseSse(r.text).find((e) => e.event === 'message_delta')?.data.delta.safeguard_results : r.json.safeguard_results;
  assert.equal(results[0].status.type, 'available');
  return results[0].status.tool_uses;
}

for (const stream of [true, false]) {
  test(`stream=${stream}: the judge's verdict, from a request that carries the classifier_context and the call`, async () => {
    judge = () => text(JSON.stringify({ verdicts: [{ id: 'call_rm', flagged: true, explanation: 'deletes build output', cited_rule: 'auto_mode.soft_deny.0' }] }));
    assert.deepEqual(await verdicts(stream), { call_rm: { type: 'evaluated', outcome: 'flagged', explanation: 'deletes build output', cited_rule: { type: 'classifier_context', path: 'auto_mode.soft_deny.0' } } });
    const j = h.mock.requests.find(isJudge)!;
    assert.equal(j.body.model, 'gpt-5-mini');
    assert.equal(j.body.reasoning.effort, 'low', 'the model name\'s effort suffix applies');
    const task = j.body.input[1].content[0].text as string;
    assert.ok(task.includes('"soft_deny":["deleting build output"]'));
    assert.ok(task.includes('"id":"call_rm","tool":"Bash","input":{"command":"rm -rf build"}'));
  });

  test(`stream=${stream}: a judge that fails (HTTP 500): unavailable, not not_flagged`, async () => {
    judge = () => httpError(500);
    assert.deepEqual(await verdicts(stream), { call_rm: { type: 'unavailable', reason: 'error' } });
  });

  test(`stream=${stream}: a judge past safeguards.timeout-ms: unavailable (timeout)`, async () => {
    judge = () => hang();
    assert.deepEqual(await verdicts(stream), { call_rm: { type: 'unavailable', reason: 'timeout' } });
  });
}

test('a request without safeguards gets no safeguard_results and no judge call', async () => {
  judge = () => { throw new Error('the judge must not be called'); };
  const r = await h.post('/v1/messages', userRequest('clean up', { stream: true }));
  assert.equal(r.status, 200);
  assert.equal(parseSse(r.text).find((e) => e.event === 'message_delta')?.data.delta.safeguard_results, undefined);
  assert.equal(h.mock.requests.filter(isJudge).length, 0);
});

test('hot reload: turning the classifier on in config.yaml applies to the next request', async () => {
  judge = () => text(JSON.stringify({ verdicts: [{ id: 'call_rm', flagged: false, explanation: 'fine', cited_rule: null }] }));
  const gw = await startTestGateway(packycodeYaml(h.mock.url), { watch: true });
  try {
    const ask = async () => {
      const r = await rawRequest(`${gw.url}/v1/messages`, 'POST', request(false), { 'x-api-key': CLIENT_KEY });
      assert.equal(r.status, 200, r.text.slice(0, 200));
      return r.json.safeguard_results[0].status.tool_uses.call_rm;
    };
    assert.deepEqual(await ask(), { type: 'unavailable', reason: 'not_judged_as_run' }, 'no classifier: not judged');
    writeFileSync(gw.configPath, packycodeYaml(h.mock.url, ['safeguards:', '  classifier-model: gpt-5-mini'].join('\n')));
    const until = Date.now() + 10_000;
    while (gw.runtime.snapshot.safeguards?.classifierModel !== 'gpt-5-mini') {
      assert.ok(Date.now() < until, 'the edit was loaded');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(await ask(), { type: 'evaluated', outcome: 'not_flagged', explanation: 'fine' });
  } finally {
    await gw.stop();
  }
});
