// Keep-alive: while the upstream is silent, a started stream carries `ping` events; clients skip them.
// The ping interval is shortened through the relay's internal knob (10 s in production).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, parseSse, userRequest, type Harness } from './sdk-harness.ts';
import { relayTuning } from '../../src/relay/relay.ts';
import { text, toSse, type Scenario } from '../support/response-scenarios.ts';

let h: Harness;
const saved = relayTuning.pingMs;
before(async () => { relayTuning.pingMs = 100; h = await startHarness(); });
after(async () => { relayTuning.pingMs = saved; await h.close(); });

// the reply in three writes, 300 ms apart (three ping intervals each): head, first delta, the rest
function GAPPY(): Scenario {
  const base = text('Slow words.', { chunks: ['Slow ', 'words.'] });
  if (base.kind !== 'events') throw new Error('events scenario expected');
  const firstDelta = base.events.findIndex((e) => e.type === 'response.output_text.delta');
  const groups = [base.events.slice(0, firstDelta), base.events.slice(firstDelta, firstDelta + 1), base.events.slice(firstDelta + 1)];
  return { kind: 'raw', chunks: groups.map(toSse), delayMs: 300 };
}

test('long upstream gaps -> ping events between the real ones; the stream still ends properly', async () => {
  h.mock.enqueue(GAPPY());
  const r = await h.post('/v1/messages', userRequest('take your time', { stream: true }));
  assert.equal(r.status, 200);
  const events = parseSse(r.text);
  const pings = events.filter((e) => e.event === 'ping');
  assert.ok(pings.length >= 2, `${pings.length} pings`);
  for (const p of pings) assert.deepEqual(p.data, { type: 'ping' });
  const real = events.filter((e) => e.event !== 'ping').map((e) => e.event);
  assert.equal(real[0], 'message_start');
  assert.equal(real.at(-1), 'message_stop');
  assert.ok(!real.includes('error'));
});

test('the SDK ignores the pings: same final message as without them', async () => {
  h.mock.enqueue(GAPPY());
  const msg = await h.client.messages.stream({ model: 'gpt-5-codex', max_tokens: 100, messages: [{ role: 'user', content: 'slowly' }] }).finalMessage();
  assert.equal(msg.content.length, 1);
  assert.equal(msg.content[0].type === 'text' ? msg.content[0].text : '', 'Slow words.');
  assert.equal(msg.stop_reason, 'end_turn');
});

test('no pings in a non-streaming reply', async () => {
  h.mock.enqueue(GAPPY());
  const r = await h.post('/v1/messages', userRequest('slowly'));
  assert.equal(r.status, 200);
  assert.equal(r.json.type, 'message');
  assert.ok(!r.text.includes('ping'));
});

test('an upstream silent before its first event: the stream starts with message_start, then pings', async () => {
  const base = text('Late words.');
  if (base.kind !== 'events') throw new Error('events scenario expected');
  // a comment (no event) at once, then the whole reply 400 ms later
  h.mock.enqueue({ kind: 'raw', chunks: [': warming up\n\n', toSse(base.events)], delayMs: 400 });
  const r = await h.post('/v1/messages', userRequest('take your time', { stream: true }));
  assert.equal(r.status, 200);
  const events = parseSse(r.text);
  assert.equal(events[0].event, 'message_start', events.map((e) => e.event).join(','));
  assert.ok(events.some((e) => e.event === 'ping'));
  assert.equal(events.filter((e) => e.event === 'message_start').length, 1);
  assert.equal(events.at(-1)!.event, 'message_stop');
});
