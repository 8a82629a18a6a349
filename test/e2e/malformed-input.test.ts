// A bounded malformed-input run: a couple of thousand generated bad requests (wrong types, missing fields, huge
// strings, nesting, invalid UTF-8, wrong content types). Every answer is a 4xx in Anthropic's shape with a
// message, nothing reaches the upstream, and the gateway keeps serving. Seeded, so a failure reproduces.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, userRequest, type Harness } from './sdk-harness.ts';
import { rng } from '../../bench/text.ts';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

interface Bad {
  body: string | Uint8Array;
  contentType?: string;
  what: string;
  /** null for an optional field: Anthropic may refuse it, packybridge accepts it on purpose (see anthropic-validate.ts) */
  lenient?: boolean;
}

const WRONG_VALUES: unknown[] = [null, true, 0, -1, 1.5, '', 'x', [], {}, [1, 2], { a: 1 }, 'x'.repeat(10_000)];

function nested(depth: number): unknown {
  let v: unknown = 'leaf';
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { k: v };
  return v;
}

function generate(n: number, seed: number): Bad[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const out: Bad[] = [];
  const fields = ['model', 'max_tokens', 'messages', 'stream', 'system', 'tools', 'tool_choice', 'temperature', 'metadata', 'thinking'];
  for (let i = 0; i < n; i++) {
    const kind = i % 9;
    const base = userRequest('hello', { stream: r() < 0.5 });
    switch (kind) {
      case 0: { // a required field missing
        const f = pick(['model', 'max_tokens', 'messages']);
        delete base[f];
        out.push({ body: JSON.stringify(base), what: `missing ${f}` });
        break;
      }
      case 1: { // a field of the wrong type
        const f = pick(fields);
        const v = pick(WRONG_VALUES);
        if (f === 'stream' && typeof v === 'boolean') { i--; continue; }
        if (f === 'metadata' && (v === null || (typeof v === 'object' && !Array.isArray(v)))) { i--; continue; }
        if (f === 'system' && (typeof v === 'string' || (Array.isArray(v) && v.length === 0))) { i--; continue; }
        if (f === 'temperature' && typeof v === 'number' && v >= 0 && v <= 1) { i--; continue; }
        if (f === 'max_tokens' && typeof v === 'number' && Number.isInteger(v) && v > 0) { i--; continue; }
        if ((f === 'tools' && Array.isArray(v) && v.length === 0) || (f === 'thinking' && v === null) || (f === 'tool_choice' && v === null) || (f === 'metadata' && v === null)) { i--; continue; }
        base[f] = v;
        out.push({ body: JSON.stringify(base), what: `${f} = ${JSON.stringify(v)?.slice(0, 30)}`, lenient: v === null && f !== 'max_tokens' });
        break;
      }
      case 2: { // a message of the wrong shape
        const bad = pick<unknown>([{ role: 'robot', content: 'x' }, { role: 'user' }, { role: 'user', content: 5 }, { role: 'user', content: [{ type: 'nope' }] }, 'hello', { content: 'x' }, { role: 'user', content: [{ type: 'text' }] }]);
        base.messages = [bad];
        out.push({ body: JSON.stringify(base), what: `message ${JSON.stringify(bad)}` });
        break;
      }
      case 3: // not JSON at all
        out.push({ body: pick(['{', '{"model":', 'nonsense', '{"a":1,}', '[1,2', '\u0000\u0001', '{"model": "x" "y"}']), what: 'invalid JSON' });
        break;
      case 4: // JSON that is not an object
        out.push({ body: pick(['[]', '1', '"s"', 'null', 'true', '[{"model":"x"}]']), what: 'not an object' });
        break;
      case 5: { // invalid UTF-8 inside a string
        const json = Buffer.from(JSON.stringify({ ...base, messages: [{ role: 'user', content: 'AAAA' }] }));
        const at = json.indexOf('AAAA');
        const bytes = pick([[0xff], [0xc3, 0x28], [0xe2, 0x82], [0xf0, 0x28, 0x8c, 0xbc], [0xed, 0xa0, 0x80]]);
        out.push({ body: Buffer.concat([json.subarray(0, at), Buffer.from(bytes), json.subarray(at + 4)]), what: `invalid UTF-8 ${bytes}` });
        break;
      }
      case 6: // a wrong content type
        out.push({ body: pick([JSON.stringify(base), 'model=x&max_tokens=1']), contentType: pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml']), what: 'content type' });
        break;
      case 7: { // deep nesting where no nesting belongs
        base.max_tokens = nested(50 + Math.floor(r() * 200));
        out.push({ body: JSON.stringify(base), what: 'nested max_tokens' });
        break;
      }
      default: { // huge strings where a short one belongs
        base.messages = [{ role: pick(['user', 'assistant']), content: [{ type: 'x'.repeat(20_000 + Math.floor(r() * 50_000)), text: 'hi' }] }];
        out.push({ body: JSON.stringify(base), what: 'huge block type' });
      }
    }
  }
  return out;
}

async function answerProblems(bads: Bad[], route = '/v1/messages', messageHas?: (b: Bad) => string): Promise<string[]> {
  const failures: string[] = [];
  for (let i = 0; i < bads.length; i += 25) {
    await Promise.all(bads.slice(i, i + 25).map(async (b) => {
      const headers: Record<string, string> = { 'x-api-key': 'test-client-key', 'content-type': b.contentType ?? 'application/json' };
      const r = await fetch(`${h.gw.url}${route}`, { method: 'POST', headers, body: b.body as unknown as BodyInit });
      const text = await r.text();
      let j: { type?: string; error?: { type?: string; message?: string } } | undefined;
      try { j = JSON.parse(text); } catch { /* checked below */ }
      const message = j?.error?.message ?? '';
      if (r.status < 400 || r.status > 499 || j?.type !== 'error' || typeof j.error?.type !== 'string' || message.length < 10
        || (messageHas && !message.includes(messageHas(b)))) {
        failures.push(`${b.what}: HTTP ${r.status} ${text.slice(0, 240)}`);
      }
    }));
  }
  return failures;
}

const ALL = generate(2000, 0x5eed);

test('malformed requests: each a 4xx in Anthropic\'s shape, none forwarded, the gateway still serves', { timeout: 300_000 }, async () => {
  h.mock.reset();
  const bads = ALL.filter((b) => !b.lenient);
  assert.ok(bads.length > 1500, `${bads.length} cases`);
  const failures = await answerProblems(bads);
  assert.deepEqual(failures.slice(0, 10), [], `${failures.length} of ${bads.length} bad answers`);
  assert.equal(h.mock.requests.length, 0, 'nothing reached the upstream');
  const ok = await h.post('/v1/messages', userRequest('still there?'));
  assert.equal(ok.status, 200);
});

interface Strict extends Bad {
  /** what the error message must contain: the path of the problem */
  path: string;
  /** also checked on count_tokens (everything but max_tokens) */
  countTokens: boolean;
}

const tool = (name: string, input_schema: unknown = { type: 'object', properties: {} }) => ({ name, description: 'd', input_schema });
const use = (id: string) => ({ type: 'tool_use', id, name: 'Bash', input: { command: 'ls' } });
const result = (id: string) => ({ type: 'tool_result', tool_use_id: id, content: 'ok' });
const text = (t: string) => ({ type: 'text', text: t });

/** Requests Anthropic refuses, each with the path its error names. */
function strictCases(): Strict[] {
  const out: Strict[] = [];
  const add = (what: string, path: string, patch: Record<string, unknown>, countTokens = true) => {
    const body: Record<string, unknown> = { ...userRequest('hello', { tools: [tool('Bash')] }), ...patch };
    for (const [k, v] of Object.entries(patch)) if (v === undefined) delete body[k];
    out.push({ body: JSON.stringify(body), what, path, countTokens });
  };
  add('max_tokens missing', 'max_tokens: required', { max_tokens: undefined }, false);
  for (const v of [null, 0, -1, 1.5, '1024', 1e400]) add(`max_tokens ${String(v)}`, 'max_tokens:', { max_tokens: v }, false);
  add('top_k 1.5', 'top_k: expected an integer', { top_k: 1.5 }, false);
  add('thinking.budget_tokens 1.5', 'thinking.budget_tokens: expected an integer', { thinking: { type: 'enabled', budget_tokens: 1024.5 } });
  add('no messages', 'messages: expected at least 1', { messages: [] }, false);
  for (const name of ['has space', 'dot.name', 'slash/name', 'ümlaut', '', 'x'.repeat(129)]) {
    add(`tool name ${JSON.stringify(name).slice(0, 20)}`, 'tools.0.name', { tools: [tool(name)] });
  }
  add('input_schema missing', 'tools.0.input_schema: required', { tools: [{ name: 'T', description: 'd' }] });
  for (const s of [{ type: 'string' }, { properties: {} }, { type: 'array', items: {} }]) {
    add(`input_schema ${JSON.stringify(s)}`, 'tools.0.input_schema.type', { tools: [tool('T', s)] });
  }
  const pair = (what: string, path: string, messages: unknown[]) => add(what, path, { messages });
  pair('tool_result with no tool_use before it', 'messages.0.content.0.tool_use_id', [{ role: 'user', content: [result('toolu_1')] }]);
  pair('tool_result answering another id', 'messages.2.content.0.tool_use_id', [
    { role: 'user', content: 'go' }, { role: 'assistant', content: [use('toolu_1')] }, { role: 'user', content: [result('toolu_2')] }]);
  pair('tool_result answering an older turn', 'messages.4.content.0.tool_use_id', [
    { role: 'user', content: 'go' }, { role: 'assistant', content: [use('toolu_1')] }, { role: 'user', content: [result('toolu_1')] },
    { role: 'assistant', content: [use('toolu_2')] }, { role: 'user', content: [result('toolu_1'), result('toolu_2')] }]);
  pair('tool_result after text', 'messages.2.content.1', [
    { role: 'user', content: 'go' }, { role: 'assistant', content: [use('toolu_1')] }, { role: 'user', content: [text('first'), result('toolu_1')] }]);
  pair('tool_result twice', 'messages.2.content.1.tool_use_id', [
    { role: 'user', content: 'go' }, { role: 'assistant', content: [use('toolu_1')] }, { role: 'user', content: [result('toolu_1'), result('toolu_1')] }]);
  pair('tool_use id reused', 'messages.3.content.0.id', [
    { role: 'user', content: 'go' }, { role: 'assistant', content: [use('toolu_1')] }, { role: 'user', content: [result('toolu_1')] },
    { role: 'assistant', content: [use('toolu_1')] }, { role: 'user', content: [result('toolu_1')] }]);
  pair('tool_use without a tool_result', 'messages.1: tool_use blocks without a tool_result', [
    { role: 'user', content: 'go' }, { role: 'assistant', content: [use('toolu_1'), use('toolu_2')] }, { role: 'user', content: [result('toolu_1')] }]);
  pair('tool_use answered by plain text', 'messages.1: tool_use blocks without a tool_result', [
    { role: 'user', content: 'go' }, { role: 'assistant', content: [use('toolu_1')] }, { role: 'user', content: 'never mind' }]);
  return out;
}

test('as strict as Anthropic: max_tokens, integers, tool names and schemas, tool_use/tool_result pairing, each error naming its path', {
  timeout: 120_000,
}, async () => {
  h.mock.reset();
  const cases = strictCases();
  const failures = await answerProblems(cases, '/v1/messages', (b) => (b as Strict).path);
  assert.deepEqual(failures, []);
  const counted = cases.filter((c) => c.countTokens);
  assert.deepEqual(await answerProblems(counted, '/v1/messages/count_tokens', (b) => (b as Strict).path), []);
  assert.equal(h.mock.requests.length, 0, 'nothing reached the upstream');
  // the well-formed neighbours of those cases are served
  const ok = await h.post('/v1/messages', userRequest('go', {
    tools: [tool('mcp__server-1__do_thing'), tool('x'.repeat(128))], thinking: { type: 'enabled', budget_tokens: 1024 }, top_k: 5,
    messages: [
      { role: 'user', content: 'go' }, { role: 'assistant', content: [text('running'), use('toolu_1'), use('toolu_2')] },
      { role: 'user', content: [result('toolu_2'), result('toolu_1'), text('and then?')] },
    ],
  }));
  assert.equal(ok.status, 200);
});
