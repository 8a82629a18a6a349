import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { serializeResponsesRequest } from '../../src/translate/serialize-request.ts';
import { cachedToolBytes, toolConversionCache } from '../../src/translate/tool-conversion-cache.ts';
import { toResponsesRequest } from '../../src/translate/request-to-responses.ts';
import type { MessagesRequest, ToolDefinition } from '../../src/wire/anthropic-request.ts';
import type { ResponsesRequest } from '../../src/wire/responses-request.ts';
import { claudeCodeRequest, roundsFor } from '../../bench/bodies.ts';

const opts = { upstreamModel: 'gpt-5-codex', defaultEffort: 'medium' as const, store: false, forwardSamplingParams: true };

function toolSet(): ToolDefinition[] {
  return JSON.parse(JSON.stringify([
    { name: 'Shell', description: 'Runs a command. «ü» 中文', input_schema: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] } },
    { name: 'ReadFile', description: 'Reads a file.', input_schema: { type: 'object', properties: { path: { type: 'string' } } } },
  ])) as ToolDefinition[];
}

const request = (text: string, tools: ToolDefinition[] = toolSet()): MessagesRequest => ({
  model: 'claude-opus-4-8', max_tokens: 100, tools, metadata: { user_id: 'u' },
  messages: [{ role: 'user', content: [{ type: 'text', text }] }],
});

/** A translated body whose tools are the cache's array (the second translation of the same tool set hits). */
function cachedBody(text = 'hello'): ResponsesRequest {
  toResponsesRequest(request(text), opts);
  const { body } = toResponsesRequest(request(text), opts);
  assert.ok(cachedToolBytes(body.tools) !== undefined, 'the tools came from the cache');
  return body;
}

const msg = (text: string) => ({ type: 'message', role: 'user', content: [{ type: 'input_text', text }] });
/** `n` messages of ~1.5 KB of UTF-8 each, with characters JSON escapes */
const manyItems = (n: number) => Array.from({ length: n }, (_, i) => msg(`item ${i} ${'é中\u{1F600}a"\\\n'.repeat(90)}`));

const rawJSON = (JSON as unknown as { rawJSON: (text: string) => object }).rawJSON;

const cases: Array<[string, () => object]> = [
  ['an empty object', () => ({})],
  ['an empty input', () => ({ model: 'm', input: [], stream: true })],
  ['only arrays, some empty', () => ({ input: [], tools: [], include: [] })],
  ['non-ASCII and astral characters', () => ({ model: 'm', instructions: 'é — 中文 \u{1F600}', input: [msg('ü \u{1F4A9} \u2028\u2029 \u0000\u0007\u001f')] })],
  ['lone surrogates, at the end of items and values', () => ({ instructions: 'a\uD800', input: [msg('\uDC00b'), msg('x\uD83D'), '\uDE00'], text: '\uDBFF' })],
  ['non-ASCII and escaped keys', () => ({ 'ключ': 1, 'a"b\\c': [1, '\u{1F600}'], '\uD800': 'x', input: [{ 'é': 'é' }] })],
  ['undefined, function and symbol values at top level', () => ({ model: 'm', temperature: undefined, f: () => 1, s: Symbol('s'), input: [msg('x')], top_p: undefined })],
  ['undefined, function and symbol items in input, holes', () => {
    const input: unknown[] = [undefined, msg('x'), () => 1, Symbol('s'), null, { a: undefined, b: 1 }];
    input[8] = msg('after a hole');
    return { input };
  }],
  ['numbers JSON cannot hold, nested arrays, booleans', () => ({ input: [NaN, -0, Infinity, 1e21, [[], [1, [2]]], true, false], n: NaN, z: -0 })],
  ['keys in unusual order (integer-like keys first, as Object.keys and JSON.stringify both do)', () => ({ stream: true, input: [msg('x')], '2': 'two', model: 'm', '1': [1], tools: [], instructions: 'i' })],
  ['input as a string (a /v1/responses client may send one)', () => ({ model: 'm', input: 'just text', tools: [] })],
  ['cached tools, spliced', () => cachedBody('a "quoted" text, with \\ and \u2028 and \u0007')],
  ['cached tools first, non-ASCII around them', () => { const { tools, ...rest } = cachedBody(); return { tools, ...rest, instructions: 'é — 中文 \u{1F600}' }; }],
  ['cached tools last', () => { const { tools, ...rest } = cachedBody(); return { ...rest, instructions: 'ü', tools }; }],
  ['cached tools with an undefined value beside them', () => ({ ...cachedBody(), temperature: undefined })],
  ['uncached tools (a copy of the cached array)', () => { const b = cachedBody(); return { ...b, tools: [...b.tools] }; }],
  ['no tools key', () => { const { tools: _t, ...rest } = cachedBody(); return rest; }],
  ['a 300 KB input of non-ASCII text', () => ({ model: 'm', input: manyItems(200), tools: [] })],
  ['a 300 KB Claude Code request, translated (bench cc300k)', () => {
    const req = () => claudeCodeRequest({ rounds: roundsFor(300 * 1024) });
    toResponsesRequest(req(), opts);
    return toResponsesRequest(req(), opts).body;
  }],
  ['a Date at top level and in input (toJSON: serialised whole)', () => ({ at: new Date(0), input: [new Date(1), msg('x')] })],
  ['an item whose toJSON reads its key', () => ({ input: [msg('a'), { toJSON: (k: string) => `key ${k}` }] })],
  ['a body with toJSON', () => ({ model: 'm', input: [], toJSON: () => ({ other: true }) })],
  ['a boxed value at top level and in input', () => ({ n: new Number(3), input: [new String('s'), new Boolean(false)] })],
  ['JSON.rawJSON values', () => ({ r: rawJSON('1e1000'), input: [rawJSON('"x"'), 1] })],
  ['a JSON.rawJSON body', () => rawJSON('12')],
];

describe('serializeResponsesRequest gives the bytes of Buffer.from(JSON.stringify(body))', () => {
  for (const [name, make] of cases) {
    it(name, () => {
      const body = make();
      const got = serializeResponsesRequest(body);
      const want = Buffer.from(JSON.stringify(body));
      assert.ok(got.equals(want), `${name}: ${got.length} bytes, want ${want.length}`);
    });
  }

  it('every turn of a session: the cached tool bytes serialised once, then reused', () => {
    toolConversionCache.clear();
    for (let turn = 0; turn < 3; turn++) {
      const { body } = toResponsesRequest(request(`turn ${turn}`), opts);
      assert.ok(serializeResponsesRequest(body).equals(Buffer.from(JSON.stringify(body))));
    }
    assert.ok(toolConversionCache.stats().hits >= 2);
  });
});

describe('serializeResponsesRequest makes no string of the whole conversation', () => {
  it('a 300 KB request: JSON.stringify never returns more than one item\'s text', () => {
    const req = () => claudeCodeRequest({ rounds: roundsFor(300 * 1024) });
    toResponsesRequest(req(), opts);
    const body = toResponsesRequest(req(), opts).body;
    const whole = JSON.stringify(body).length;
    assert.ok(whole > 300 * 1024, `the body is ${whole} characters`);
    // the longest one piece may be: an element of an array-valued field, another field's value, the tool set
    let bound = JSON.stringify(body.tools).length;
    for (const v of Object.values(body)) {
      for (const x of Array.isArray(v) ? v : [v]) bound = Math.max(bound, JSON.stringify(x)?.length ?? 0);
    }
    const stringify = JSON.stringify;
    let longest = 0;
    JSON.stringify = ((...a: Parameters<typeof stringify>) => {
      const s = stringify(...a);
      if (typeof s === 'string') longest = Math.max(longest, s.length);
      return s;
    }) as typeof stringify;
    try {
      serializeResponsesRequest(body);
    } finally {
      JSON.stringify = stringify;
    }
    assert.ok(longest <= bound, `longest string ${longest} characters, longest piece ${bound}`);
    assert.ok(longest < 128 * 1024, `longest string ${longest} characters`);
  });
});
