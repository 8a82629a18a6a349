import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cutEchoedRequest } from '../../src/upstream/echoed-request.ts';

/** The text cut, as text. */
const cut = (data: string): string => cutEchoedRequest(Buffer.from(data)).toString('utf8');
/** Nothing cut: the very Buffer given comes back. */
const uncut = (data: string): boolean => { const b = Buffer.from(data); return cutEchoedRequest(b) === b; };

/** A tool list of about `kb` KB whose texts hold every character the walk must get past. */
function tools(kb: number): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; out.length === 0 || JSON.stringify(out).length < kb * 1024; i++) {
    out.push({
      type: 'function', name: `tool_${i}`, strict: false,
      description: `Tool ${i}: brackets ] } [ { inside text, a quote " and a backslash \\ and "\\\\" pairs, "tools":[1], é 😀, a newline\n.`,
      parameters: { type: 'object', properties: { path: { type: 'string', enum: ['a', 'b]'] }, n: { type: 'integer', minimum: -1.5e3 } }, required: ['path'], additionalProperties: false },
    });
  }
  return out;
}

function response(extra: Record<string, unknown>): Record<string, unknown> {
  return {
    id: 'resp_1', object: 'response', created_at: 1, status: 'completed', error: null, incomplete_details: null,
    instructions: null, model: 'gpt-5-codex', output: [], parallel_tool_calls: true, tools: [], usage: null, metadata: {}, ...extra,
  };
}

const TOOLS = tools(8);
const INSTRUCTIONS = 'You are a coding agent. "Quoted" \\ and } ] braces.\n'.repeat(60);
const OUTPUT = [
  { id: 'msg_1', type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'an answer naming "tools":[] and "instructions":"x"', annotations: [] }] },
  { id: 'mcpl_1', type: 'mcp_list_tools', server_label: 's', tools: [{ name: 'kept', input_schema: { type: 'object' } }] },
];

test('the response object is read without its echoed instructions and tools, and with everything else', () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['response.created', { type: 'response.created', sequence_number: 0, response: response({ status: 'in_progress', instructions: INSTRUCTIONS, tools: TOOLS }) }],
    ['response.in_progress, tools only', { type: 'response.in_progress', sequence_number: 1, response: response({ status: 'in_progress', tools: TOOLS }) }],
    ['response.completed with output, usage and items that have tools of their own', {
      type: 'response.completed', sequence_number: 9,
      response: response({ instructions: INSTRUCTIONS, output: OUTPUT, tools: TOOLS, usage: { input_tokens: 10, output_tokens: 2 } }),
    }],
    ['response first, type after it', { response: response({ tools: TOOLS, instructions: INSTRUCTIONS }), type: 'response.incomplete' }],
    ['instructions as a list of input items', { type: 'response.created', response: response({ instructions: [{ role: 'developer', content: INSTRUCTIONS }], tools: TOOLS }) }],
  ];
  for (const [name, ev] of cases) {
    const data = JSON.stringify(ev);
    const left = cut(data);
    assert.ok(left.length < data.length / 2, `${name}: ${left.length} of ${data.length} characters left`);
    const r = ev.response as Record<string, unknown>;
    const expected = { ...ev, response: { ...r, ...('instructions' in r ? { instructions: null } : {}), ...('tools' in r ? { tools: [] } : {}) } };
    assert.deepEqual(JSON.parse(left), expected, name);
    // the same text spaced out the way a pretty-printing relay sends it
    assert.deepEqual(JSON.parse(cut(JSON.stringify(ev, null, 2))), expected, `${name}, spaced`);
    // inside a larger buffer: the JSON from `start` to `end`, what follows `end` kept as it is
    const framed = Buffer.from(`data: ${data}\r\n`);
    const out = cutEchoedRequest(framed, 6, framed.length - 2).toString('utf8');
    assert.ok(out.startsWith('data: {') && out.endsWith('}\r\n'), name);
    assert.deepEqual(JSON.parse(out.slice(6)), expected, `${name}, framed`);
  }
});

test('text that is not a response object with echoed members comes back as it is', () => {
  const long = 'x'.repeat(4096);
  const same = [
    ['nothing echoed', JSON.stringify({ type: 'response.completed', response: response({ output: [{ type: 'message', content: [{ type: 'output_text', text: long }] }] }) })],
    ['tools only deeper down', JSON.stringify({ type: 'response.output_item.done', item: { type: 'mcp_list_tools', tools: TOOLS } })],
    ['response is not an object', JSON.stringify({ type: 'x', response: long, tools: TOOLS })],
    ['a top-level array', JSON.stringify([{ response: response({ tools: TOOLS }) }])],
    ['empty echo', JSON.stringify({ type: 'response.created', response: response({ instructions: '', tools: [], metadata: { note: long } }) })],
  ] as const;
  for (const [name, data] of same) assert.ok(uncut(data), name);
});

test('text the walk cannot follow is left for JSON.parse to refuse', () => {
  const good = JSON.stringify({ type: 'response.created', response: response({ instructions: INSTRUCTIONS, tools: TOOLS }) });
  const broken = [
    ['cut mid-tools', good.slice(0, good.indexOf('"tools":') + 2000)],
    ['cut mid-instructions', good.slice(0, good.indexOf('"instructions":') + 500)],
    ['a bracket of the wrong kind closes tools', good.replace('"tools":[{', '"tools":[{"a":[1}').replace(/\]\s*,\s*"usage"/, '],"usage"')],
    ['no colon after a key', good.replace('"model":', '"model" ')],
    ['garbage between members', good.replace(',"model":', ' x "model":')],
  ] as const;
  for (const [name, data] of broken) assert.throws(() => JSON.parse(cut(data)), SyntaxError, name);
  // what stays is still parsed: a broken member after the cut fails
  const afterCut = good.replace('"usage":null', '"usage":nul');
  assert.throws(() => JSON.parse(cut(afterCut)), SyntaxError);
  // what is cut is followed by its brackets and strings only, not checked (as documented): it reads as none
  const badInside = good.replace('"tools":[{', '"tools":[1 2,{');
  assert.deepEqual((JSON.parse(cut(badInside)) as { response: { tools: unknown[] } }).response.tools, []);
});

test('a walk deeper than its bracket stack leaves the text whole', () => {
  let deep: unknown = 'x';
  for (let i = 0; i < 300; i++) deep = [deep];
  const data = JSON.stringify({ type: 'response.created', response: response({ tools: [deep, ...TOOLS] }) });
  assert.ok(uncut(data));
  const shallow = JSON.stringify({ type: 'response.created', response: response({ tools: [JSON.parse(JSON.stringify(deep).slice(50, -50)), ...TOOLS] }) });
  assert.deepEqual((JSON.parse(cut(shallow)) as { response: { tools: unknown[] } }).response.tools, []);
});

test('an echo seen before is recognised by its bytes, and only the same bytes are taken for it', () => {
  const expectCut = (ev: Record<string, unknown>, name: string): void => {
    const r = ev.response as Record<string, unknown>;
    const expected = { ...ev, response: { ...r, instructions: null, tools: [] } };
    assert.deepEqual(JSON.parse(cut(JSON.stringify(ev))), expected, name);
  };
  const created = (instructions: unknown, tools: unknown[]): Record<string, unknown> => ({ type: 'response.created', response: response({ status: 'in_progress', instructions, tools }) });
  // the same echo again and again: the first is walked and kept, the others compared with it
  for (let i = 0; i < 3; i++) expectCut(created(INSTRUCTIONS, TOOLS), `the same echo, ${i + 1}`);
  // values that start with the kept bytes and go on: the kept value is not taken for them
  const longer = [...TOOLS, { type: 'function', name: 'one_more', parameters: { type: 'object' } }];
  expectCut(created(`${INSTRUCTIONS}and more`, longer), 'a longer string and a longer list');
  // a list that holds the kept one: it starts with the same bracket and is walked
  const data = JSON.stringify(created(INSTRUCTIONS, TOOLS)).replace('"tools":[', '"tools":[[').replace(/\],"usage"/, ']],"usage"');
  const nested = JSON.parse(data) as { response: { tools: unknown[] } };
  assert.equal(nested.response.tools.length, 1);
  assert.deepEqual(JSON.parse(cut(data)), { ...nested, response: { ...nested.response, instructions: null, tools: [] } }, 'a list holding the kept one');
  // what is kept is a copy: the bytes it was read from can be reused for other text
  const scratch = Buffer.from(JSON.stringify(created(INSTRUCTIONS, tools(3))));
  assert.equal(JSON.parse(cutEchoedRequest(scratch).toString('utf8')).response.tools.length, 0);
  scratch.fill(0x20);
  expectCut(created(INSTRUCTIONS, tools(3)), 'after the bytes first read were overwritten');
  // more tool sets than are kept: the oldest is walked again, and still cut right
  for (let i = 0; i < 12; i++) expectCut(created(`${i} ${INSTRUCTIONS}`, [...tools(2), { type: 'function', name: `set_${i}` }]), `tool set ${i}`);
  expectCut(created(INSTRUCTIONS, TOOLS), 'the first echo again');
});
