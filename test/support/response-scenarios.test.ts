// The scenario builders produce event sequences with the real API's invariants.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { OutputItem, ResponsesEvent } from '../../src/wire/responses-stream.ts';
import * as S from './response-scenarios.ts';
import { sharedFixture } from './shared-fixtures.ts';

function eventsOf(s: S.Scenario): ResponsesEvent[] {
  assert.equal(s.kind, 'events');
  return s.kind === 'events' ? s.events : [];
}

/** Invariants every complete streamed reply must keep. */
function checkSequence(evs: ResponsesEvent[], terminal: string): void {
  assert.deepEqual(evs.map((e) => e.sequence_number), evs.map((_, i) => i), 'sequence_number 0..n-1');
  assert.equal(evs[0].type, 'response.created');
  assert.equal(evs[0].response?.status, 'in_progress');
  assert.deepEqual(evs[0].response?.output, []);
  assert.equal(evs[1].type, 'response.in_progress');
  const last = evs.at(-1)!;
  assert.equal(last.type, terminal);
  assert.equal(evs.filter((e) => e.type === terminal).length, 1);
  // every item added is done once, at the same output_index, and the terminal output lists the done items
  const added = evs.filter((e) => e.type === 'response.output_item.added');
  const done = evs.filter((e) => e.type === 'response.output_item.done');
  assert.deepEqual(added.map((e) => [e.output_index, e.item?.id]), done.map((e) => [e.output_index, e.item?.id]).sort((a, b) => Number(a[0]) - Number(b[0])));
  if (terminal !== 'response.failed') {
    assert.deepEqual(last.response?.output, done.map((e) => e.item).sort((a, b) => outIdx(done, a) - outIdx(done, b)));
    const u = last.response?.usage;
    assert.ok(u);
    assert.equal(u.total_tokens, u.input_tokens + u.output_tokens);
    assert.equal(typeof u.input_tokens_details?.cached_tokens, 'number');
    assert.equal(typeof u.output_tokens_details?.reasoning_tokens, 'number');
  }
  // per item: deltas concatenate to the done text
  for (const d of done) {
    const id = d.item?.id;
    const item = d.item as OutputItem & { content?: Array<{ text?: string; refusal?: string }>; arguments?: string };
    const deltas = (type: string) => evs.filter((e) => e.type === type && e.item_id === id).map((e) => e.delta).join('');
    if (item.type === 'message' && item.content?.[0]?.text !== undefined) assert.equal(deltas('response.output_text.delta'), item.content[0].text);
    if (item.type === 'message' && item.content?.[0]?.refusal !== undefined) assert.equal(deltas('response.refusal.delta'), item.content[0].refusal);
    if (item.type === 'function_call') assert.equal(deltas('response.function_call_arguments.delta'), item.arguments);
  }
}
const outIdx = (done: ResponsesEvent[], item: unknown): number => done.find((e) => e.item === item)?.output_index ?? 0;

test('text(): message lifecycle in the API order', () => {
  const evs = eventsOf(S.text('one two three', { model: 'gpt-5' }));
  checkSequence(evs, 'response.completed');
  assert.deepEqual(evs.map((e) => e.type), [
    'response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added',
    'response.output_text.delta', 'response.output_text.delta', 'response.output_text.delta',
    'response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed',
  ]);
  assert.equal(evs.at(-1)?.response?.model, 'gpt-5');
  assert.equal(evs[0].response?.model, 'gpt-5');
});

test('text() chunks: a count splits evenly, an array is used as given, surrogate pairs stay whole', () => {
  const deltas = (s: S.Scenario) => eventsOf(s).filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta);
  assert.deepEqual(deltas(S.text('abcdef', { chunks: 3 })), ['ab', 'cd', 'ef']);
  assert.deepEqual(deltas(S.text('xy', { chunks: ['x', 'y'] })), ['x', 'y']);
  assert.deepEqual(deltas(S.text('🎉🎉', { chunks: 2 })), ['🎉', '🎉']);
});

test('usage overrides are merged into the terminal event', () => {
  const evs = eventsOf(S.text('hi', { usage: { input_tokens: 1000, input_tokens_details: { cached_tokens: 800 } } }));
  const u = evs.at(-1)?.response?.usage;
  assert.equal(u?.input_tokens, 1000);
  assert.equal(u?.input_tokens_details?.cached_tokens, 800);
  assert.equal(u?.total_tokens, 1000 + (u?.output_tokens ?? 0));
});

test('reasoningThenText(): summary parts with deltas, encrypted content on the done item', () => {
  const evs = eventsOf(S.reasoningThenText({ summaries: ['first', 'second'], encrypted: 'ENC123', text: 'answer' }));
  checkSequence(evs, 'response.completed');
  const types = evs.map((e) => e.type);
  assert.equal(types.filter((t) => t === 'response.reasoning_summary_part.added').length, 2);
  assert.equal(types.filter((t) => t === 'response.reasoning_summary_part.done').length, 2);
  const texts = evs.filter((e) => e.type === 'response.reasoning_summary_text.done').map((e) => [e.summary_index, e.text]);
  assert.deepEqual(texts, [[0, 'first'], [1, 'second']]);
  for (const idx of [0, 1]) {
    const d = evs.filter((e) => e.type === 'response.reasoning_summary_text.delta' && e.summary_index === idx).map((e) => e.delta).join('');
    assert.equal(d, ['first', 'second'][idx]);
  }
  const rsDone = evs.find((e) => e.type === 'response.output_item.done' && e.item?.type === 'reasoning');
  assert.equal((rsDone?.item as { encrypted_content?: string }).encrypted_content, 'ENC123');
  assert.ok((evs.at(-1)?.response?.usage?.output_tokens_details?.reasoning_tokens ?? 0) > 0);
  assert.deepEqual(evs.at(-1)?.response?.output?.map((o) => o.type), ['reasoning', 'message']);
});

test('reasoningOnly(): a reasoning item and no message', () => {
  const evs = eventsOf(S.reasoningOnly('ENC'));
  checkSequence(evs, 'response.completed');
  assert.deepEqual(evs.at(-1)?.response?.output?.map((o) => o.type), ['reasoning']);
});

test('functionCalls(): sequential and interleaved', () => {
  const calls = [{ name: 'Bash', arguments: { command: 'ls -la' }, callId: 'call_a' }, { name: 'Read', arguments: '{"file_path":"/tmp/x"}', callId: 'call_b' }];
  const seq = eventsOf(S.functionCalls(calls));
  checkSequence(seq, 'response.completed');
  assert.deepEqual(seq.at(-1)?.response?.output?.map((o) => (o as { call_id: string }).call_id), ['call_a', 'call_b']);
  const inter = eventsOf(S.functionCalls(calls, { interleave: true }));
  checkSequence(inter, 'response.completed');
  const deltaIdx = inter.filter((e) => e.type === 'response.function_call_arguments.delta').map((e) => e.output_index);
  assert.deepEqual(deltaIdx.slice(0, 4), [0, 1, 0, 1], 'round-robin deltas');
  const firstDelta = inter.findIndex((e) => e.type === 'response.function_call_arguments.delta');
  assert.equal(inter.filter((e, i) => e.type === 'response.output_item.added' && i < firstDelta).length, 2);
});

test('textThenFunctionCall() and refusal()', () => {
  const tf = eventsOf(S.textThenFunctionCall('Let me check.', { name: 'Bash', arguments: { command: 'pwd' } }));
  checkSequence(tf, 'response.completed');
  assert.deepEqual(tf.at(-1)?.response?.output?.map((o) => o.type), ['message', 'function_call']);
  const rf = eventsOf(S.refusal('I cannot help with that.'));
  checkSequence(rf, 'response.completed');
  assert.ok(rf.some((e) => e.type === 'response.refusal.done' && e.refusal === 'I cannot help with that.'));
  assert.ok(rf.some((e) => e.type === 'response.content_part.added' && e.part?.type === 'refusal'));
});

test('incomplete(), streamError(), failed()', () => {
  const inc = eventsOf(S.incomplete('max_output_tokens'));
  checkSequence(inc, 'response.incomplete');
  assert.equal(inc.at(-1)?.response?.status, 'incomplete');
  assert.deepEqual(inc.at(-1)?.response?.incomplete_details, { reason: 'max_output_tokens' });

  const se = eventsOf(S.streamError('insufficient_quota', 'You exceeded your current quota.'));
  checkSequence(se, 'response.failed');
  const err = se.find((e) => e.type === 'error');
  assert.deepEqual(err?.error, { type: 'insufficient_quota', code: 'insufficient_quota', message: 'You exceeded your current quota.', param: null });
  assert.equal(se.at(-1)?.response?.status, 'failed');
  assert.deepEqual(se.at(-1)?.response?.error, { code: 'insufficient_quota', message: 'You exceeded your current quota.' });
  const flat = eventsOf(S.streamError('server_error', 'boom', { shape: 'flat' })).find((e) => e.type === 'error');
  assert.equal(flat?.code, 'server_error');
  assert.equal(flat?.message, 'boom');

  const fl = eventsOf(S.failed('server_error', 'boom'));
  checkSequence(fl, 'response.failed');
  assert.ok(!fl.some((e) => e.type === 'error'));
});

test('truncated(), stall(), completedOnly(), longText()', () => {
  const tr = S.truncated(4);
  assert.equal(eventsOf(tr).length, 4);
  assert.ok(tr.kind === 'events' && tr.end === 'end');
  assert.ok(!eventsOf(tr).some((e) => e.type.startsWith('response.completed')));
  const st = S.stall(2);
  assert.ok(st.kind === 'events' && st.end === 'hang' && st.events.length === 2);
  const co = eventsOf(S.completedOnly('only this'));
  assert.equal(co.length, 1);
  assert.equal(co[0].type, 'response.completed');
  assert.equal(((co[0].response?.output?.[0] as { content: Array<{ text: string }> }).content[0]).text, 'only this');
  const lt = eventsOf(S.longText(300));
  checkSequence(lt, 'response.completed');
  assert.equal(lt.filter((e) => e.type === 'response.output_text.delta').length, 300);
});

test('httpError() defaults to the OpenAI error shape', () => {
  const s = S.httpError(429, undefined, { 'retry-after': '1' });
  assert.ok(s.kind === 'http');
  assert.equal(s.headers?.['retry-after'], '1');
  const body = JSON.parse(s.body);
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
  assert.equal(body.error.code, 'rate_limit_exceeded');
});

const OPENAI_ERROR = sharedFixture('responses/openai-error.1.jsonl');
test('replayJsonl() reads the recorded fixtures', { skip: OPENAI_ERROR ? false : 'shared fixtures absent' }, () => {
  const evs = eventsOf(S.replayJsonl(OPENAI_ERROR!));
  assert.deepEqual(evs.map((e) => e.type), ['response.created', 'response.in_progress', 'error', 'response.failed']);
});

test('rawSse() splits bytes, so a multi-byte character spans chunks', () => {
  const s = S.rawSse('data: {"type":"x","t":"é"}\n\n', { chunkSize: 1 });
  assert.ok(s.kind === 'raw');
  assert.equal(s.chunks.length, Buffer.byteLength('data: {"type":"x","t":"é"}\n\n'));
});
