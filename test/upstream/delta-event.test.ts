import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { parseDeltaEvent } from '../../src/upstream/delta-event.ts';
import { rng } from '../../bench/text.ts';

const ID = 'msg_0a63f40a2632b74300699f8819a5e08196ac270722d369af5a';

/** Same result as JSON.parse, key order included (JSON.stringify of both equal), or undefined. */
function assertSameAsParse(data: string): boolean {
  const fast = parseDeltaEvent(data);
  if (fast === undefined) return false;
  const parsed = JSON.parse(data) as unknown;
  assert.deepEqual(fast, parsed, data);
  assert.equal(JSON.stringify(fast), JSON.stringify(parsed), data);
  return true;
}

test('delta events in the Responses API layout read the same as JSON.parse', () => {
  const accepted: Array<[string, string]> = [
    ['text, every field', `{"type":"response.output_text.delta","sequence_number":42,"item_id":"${ID}","output_index":0,"content_index":0,"delta":" word","logprobs":[],"obfuscation":"Xk3ZpQ"}`],
    ['text, no logprobs or obfuscation', `{"type":"response.output_text.delta","sequence_number":4,"item_id":"msg_1","output_index":1,"content_index":0,"delta":"Got"}`],
    ['text, no sequence_number', `{"type":"response.output_text.delta","item_id":"msg_1","output_index":0,"content_index":2,"delta":"x","logprobs":[]}`],
    ['tool arguments (no content_index)', '{"type":"response.function_call_arguments.delta","sequence_number":7,"item_id":"fc_1","output_index":1,"delta":"{\\"path\\":\\"a.ts\\"}","obfuscation":"ab"}'],
    ['reasoning summary (summary_index)', '{"type":"response.reasoning_summary_text.delta","sequence_number":3,"item_id":"rs_1","output_index":0,"summary_index":1,"delta":"**Plan**","obfuscation":"q"}'],
    ['raw reasoning text', '{"type":"response.reasoning_text.delta","sequence_number":3,"item_id":"rs_1","output_index":0,"content_index":0,"delta":"think"}'],
    ['empty delta', '{"type":"response.output_text.delta","sequence_number":0,"item_id":"m","output_index":0,"content_index":0,"delta":""}'],
    ['every short escape', '{"type":"response.output_text.delta","item_id":"m","output_index":0,"delta":"\\" \\\\ \\/ \\b \\f \\n \\r \\t"}'],
    ['unicode escapes, a pair and a lone surrogate', '{"type":"response.output_text.delta","item_id":"m","output_index":0,"delta":"\\u00e9 \\ud83d\\ude00 \\ud800 \\u001F"}'],
    ['raw non-ASCII text', '{"type":"response.output_text.delta","item_id":"m","output_index":0,"delta":"é – 日本 😀"}'],
    ['a backslash before the closing quote', '{"type":"response.output_text.delta","item_id":"m","output_index":0,"delta":"C:\\\\"}'],
    ['sorted order (OpenAI\'s servers, recorded)', `{"type":"response.output_text.delta","content_index":0,"delta":"Got","item_id":"${ID}","output_index":0,"sequence_number":4}`],
    ['sorted order, every field', '{"type":"response.output_text.delta","content_index":0,"delta":"X \\n","item_id":"msg_1","logprobs":[],"obfuscation":"XXXXXXX","output_index":1,"sequence_number":42}'],
    ['sorted order, summary_index before sequence_number (Azure, recorded)', '{"type":"response.reasoning_summary_text.delta","delta":"**Plan**","item_id":"rs_1","obfuscation":"ab","output_index":0,"summary_index":2,"sequence_number":9}'],
    ['sorted order, strictly sorted', '{"type":"response.reasoning_summary_text.delta","delta":"x","item_id":"rs_1","output_index":0,"sequence_number":9,"summary_index":2}'],
    ['sorted order, the least', '{"type":"response.function_call_arguments.delta","delta":"{}","item_id":"fc_1","output_index":3}'],
    ['declared order, sequence_number last (the API reference)', '{"type":"response.output_text.delta","item_id":"msg_1","output_index":0,"content_index":0,"delta":"In","sequence_number":1}'],
    ['declared order, sequence_number last, every field', '{"type":"response.reasoning_summary_text.delta","item_id":"rs_1","output_index":0,"summary_index":0,"delta":"a","obfuscation":"q","sequence_number":5}'],
    ['large numbers', '{"type":"response.output_text.delta","sequence_number":9007199254740993,"item_id":"m","output_index":123456,"content_index":0,"delta":"a"}'],
  ];
  for (const [name, data] of accepted) assert.equal(assertSameAsParse(data), true, name);

  const declined: Array<[string, string]> = [
    ['declared order, content_index ahead of output_index', '{"type":"response.output_text.delta","item_id":"m","content_index":0,"output_index":0,"delta":"a"}'],
    ['sorted order, sequence_number ahead of output_index', '{"type":"response.output_text.delta","delta":"a","item_id":"m","sequence_number":1,"output_index":0}'],
    ['declared order, sequence_number twice', '{"type":"response.output_text.delta","sequence_number":1,"item_id":"m","output_index":0,"delta":"a","sequence_number":2}'],
    ['sorted order, summary_index twice', '{"type":"response.reasoning_summary_text.delta","delta":"a","item_id":"m","output_index":0,"summary_index":0,"sequence_number":1,"summary_index":1}'],
    ['whitespace', '{"type": "response.output_text.delta","item_id":"m","output_index":0,"delta":"a"}'],
    ['non-empty logprobs', '{"type":"response.output_text.delta","item_id":"m","output_index":0,"delta":"a","logprobs":[{"token":"a","logprob":-0.1}]}'],
    ['an unknown field', '{"type":"response.output_text.delta","item_id":"m","output_index":0,"delta":"a","extra":1}'],
    ['a duplicate field', '{"type":"response.output_text.delta","item_id":"m","output_index":0,"delta":"a","delta":"b"}'],
    ['another event', '{"type":"response.output_text.done","item_id":"m","output_index":0,"content_index":0,"text":"a"}'],
    ['a delta type not read here', '{"type":"response.audio.delta","item_id":"m","output_index":0,"delta":"a"}'],
    ['no item_id', '{"type":"response.output_text.delta","output_index":0,"delta":"a"}'],
    ['an escape in item_id', '{"type":"response.output_text.delta","item_id":"m\\"","output_index":0,"delta":"a"}'],
    ['trailing text', '{"type":"response.output_text.delta","item_id":"m","output_index":0,"delta":"a"} '],
    ['index with a leading zero (not JSON)', '{"type":"response.output_text.delta","item_id":"m","output_index":01,"delta":"a"}'],
    ['negative index', '{"type":"response.output_text.delta","item_id":"m","output_index":-1,"delta":"a"}'],
    ['fractional index', '{"type":"response.output_text.delta","item_id":"m","output_index":1.0,"delta":"a"}'],
    ['raw tab in the delta (not JSON)', '{"type":"response.output_text.delta","item_id":"m","output_index":0,"delta":"a\tb"}'],
    ['bad escape (not JSON)', '{"type":"response.output_text.delta","item_id":"m","output_index":0,"delta":"\\x41"}'],
    ['short unicode escape (not JSON)', '{"type":"response.output_text.delta","item_id":"m","output_index":0,"delta":"\\u12"}'],
    ['unterminated delta (not JSON)', '{"type":"response.output_text.delta","item_id":"m","output_index":0,"delta":"a\\"}'],
    ['delta not a string', '{"type":"response.output_text.delta","item_id":"m","output_index":0,"delta":null}'],
  ];
  for (const [name, data] of declined) assert.equal(parseDeltaEvent(data), undefined, name);
});

test('every delta event of the fixture streams (test/fixtures/responses) is read, as JSON.parse reads it', () => {
  const dir = new URL('../fixtures/responses/', import.meta.url);
  let deltas = 0;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.jsonl'))) {
    for (const line of readFileSync(new URL(file, dir), 'utf8').split('\n')) {
      if (!/^\{"type":"response\.[a-z_]+\.delta"/.test(line)) continue;
      assert.equal(assertSameAsParse(line), true, `${file}: ${line.slice(0, 160)}`);
      deltas++;
    }
  }
  assert.ok(deltas >= 20, `the recorded streams have delta events (${deltas})`);
});

test('any text, as JSON.stringify writes it, reads back the same as JSON.parse', () => {
  const rand = rng(11);
  const pick = (chars: string[]): string => chars[Math.floor(rand() * chars.length)];
  const alphabet = ['a', ' ', '"', '\\', '/', '\n', '\t', '\u0000', '\u001f', '\u007f', 'é', '日', '\ud83d', '\ude00', '\u2028', '{', '}', ',', ':', '[', ']'];
  for (let i = 0; i < 3000; i++) {
    let text = '';
    const n = Math.floor(rand() * 12);
    for (let k = 0; k < n; k++) text += pick(alphabet);
    const ev = i % 2 === 0
      ? { type: 'response.output_text.delta', sequence_number: i, item_id: `msg_${i}`, output_index: i % 3, content_index: 0, delta: text, logprobs: [] }
      : { type: 'response.output_text.delta', content_index: 0, delta: text, item_id: `msg_${i}`, logprobs: [], obfuscation: 'ab', output_index: i % 3, sequence_number: i };
    const data = JSON.stringify(ev);
    assert.equal(assertSameAsParse(data), true, data);
    assert.equal(parseDeltaEvent(data)?.delta, text);
    assert.equal(JSON.stringify(parseDeltaEvent(data)), data, 'canonical JSON serialises back to the same text');
  }
});

test('a damaged event is either declined or read exactly as JSON.parse reads it', () => {
  const rand = rng(7);
  const base = [
    `{"type":"response.output_text.delta","sequence_number":42,"item_id":"${ID}","output_index":0,"content_index":0,"delta":"a \\"b\\" \\u00e9\\n","logprobs":[],"obfuscation":"Xk3ZpQ"}`,
    '{"type":"response.function_call_arguments.delta","sequence_number":7,"item_id":"fc_1","output_index":1,"delta":"{\\"p\\":1}","obfuscation":"ab"}',
    '{"type":"response.reasoning_summary_text.delta","delta":"a \\u00e9\\"","item_id":"rs_1","obfuscation":"q","output_index":0,"summary_index":1,"sequence_number":7}',
    `{"type":"response.output_text.delta","content_index":0,"delta":"x\\ty","item_id":"${ID}","logprobs":[],"obfuscation":"XXXXXXX","output_index":1,"sequence_number":42}`,
  ];
  const noise = ['"', '\\', ',', '}', '{', '0', '1', '-', ' ', 'u', 'x', '[', ']', ':', '\t'];
  let accepted = 0;
  let declined = 0;
  for (let i = 0; i < 20000; i++) {
    const s = base[i % base.length];
    const at = Math.floor(rand() * s.length);
    const op = Math.floor(rand() * 3);
    const c = noise[Math.floor(rand() * noise.length)];
    const damaged = op === 0 ? s.slice(0, at) + s.slice(at + 1) : op === 1 ? s.slice(0, at) + c + s.slice(at) : s.slice(0, at) + c + s.slice(at + 1);
    const fast = parseDeltaEvent(damaged);
    if (fast === undefined) { declined++; continue; }
    accepted++;
    assert.deepEqual(fast, JSON.parse(damaged), damaged); // JSON.parse throws if the fast path accepted invalid JSON
  }
  assert.ok(accepted > 1000 && declined > 1000, `both outcomes exercised (accepted ${accepted}, declined ${declined})`);
});
