// Malformed bodies (issue 8: the probe's 3,000 bad bodies, and item 11). A few thousand generated bad requests
// (wrong types, missing fields, out-of-range numbers, huge strings, deep nesting, invalid UTF-8, bodies that are
// not JSON objects, wrong content types) to /v1/messages and count_tokens: every answer is a 4xx in Anthropic's
// shape with a message that says what is wrong, the upstream receives nothing, and the gateway stays up.
// The other side of the rule: every request Claude Code really sent (the captures) passes validation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startHarness, CLIENT_KEY, type Harness } from '../e2e/sdk-harness.ts';
import { send, keepAlive, isAnthropicError } from './edge-client.ts';
import { sharedFixture } from '../support/shared-fixtures.ts';
import { validateCountTokensRequest, validateMessagesRequest } from '../../src/wire/anthropic-validate.ts';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { keepAlive.destroy(); await h.close(); });

// ---- valid bases, in the shapes Claude Code sends (the project's own text) ----

type Json = any;

function textBase(): Json {
  return {
    model: 'claude-sonnet-4-5', max_tokens: 1024, stream: true,
    system: [{ type: 'text', text: 'You are a helpful assistant.' }, { type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }],
    messages: [{ role: 'user', content: [{ type: 'text', text: 'list the files' }] }],
    metadata: { user_id: 'user_abc' },
  };
}

function toolBase(): Json {
  return {
    model: 'gpt-5-codex', max_tokens: 2048, temperature: 1,
    tools: [{ name: 'Bash', description: 'run a command', input_schema: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] } }],
    tool_choice: { type: 'auto' },
    thinking: { type: 'enabled', budget_tokens: 4000 },
    messages: [
      { role: 'user', content: 'run ls' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'ls' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'a.txt\nb.txt' }] },
    ],
  };
}

function mediaBase(): Json {
  return {
    model: 'gpt-5', max_tokens: 512,
    messages: [{ role: 'user', content: [
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
      { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'notes' } },
      { type: 'text', text: 'what is this?' },
    ] }],
    output_config: { effort: 'low' },
  };
}

const BASES = [textBase, toolBase, mediaBase];

// ---- mutations ----

interface Bad { body: string | Buffer; contentType?: string | null; messagesOnly?: boolean; what: string }

/** Sets (or deletes) the value at `path`; false when the path is not there or its parent is not of `parentType`. */
function setAt(obj: Json, path: Array<string | number>, value: unknown, parentType?: string): boolean {
  let v = obj;
  for (const k of path.slice(0, -1)) {
    if (v === null || typeof v !== 'object' || !(k in v)) return false;
    v = v[k];
  }
  if (v === null || typeof v !== 'object') return false;
  if (parentType !== undefined && v.type !== parentType) return false;
  const last = path[path.length - 1];
  if (value === DELETE) { if (!(last in v)) return false; delete v[last]; } else v[last] = value;
  return true;
}

const DELETE = Symbol('delete');
const HUGE = 'h'.repeat(300_000);

// [path, wrong values, only /v1/messages validates it, the type the value's parent block must have]
const WRONG: Array<[Array<string | number>, unknown[], boolean?, string?]> = [
  [['model'], [1, true, null, [], {}, '', 'x'.repeat(257), HUGE, 'gpt-5\u0000', 'gpt\n5', DELETE]],
  [['messages'], ['hi', 1, null, {}, true, DELETE]],
  [['messages', 0], ['hi', 1, null, [], true]],
  [['messages', 0, 'role'], ['bot', 1, null, '', HUGE, DELETE]],
  [['messages', 0, 'content'], [1, true, null, {}, DELETE, [1], [null], ['text'], [{}], [{ type: 'video' }], [{ type: HUGE }]]],
  [['messages', 0, 'content', 0, 'text'], [1, null, {}, [], DELETE], false, 'text'],
  [['messages', 1, 'content', 0, 'id'], [1, '', null, DELETE]],
  [['messages', 1, 'content', 0, 'name'], [1, '', null, DELETE]],
  [['messages', 2, 'content', 0, 'tool_use_id'], [1, '', null, DELETE]],
  [['messages', 2, 'content', 0, 'content'], [1, true, {}, [{ type: 'tool_use' }], [{ type: 'image' }]]],
  [['messages', 2, 'content', 0, 'is_error'], ['yes', 1, {}]],
  [['messages', 0, 'content', 0, 'source'], [DELETE, 'x', 1, { type: 'ftp' }, { type: 'base64', data: 1, media_type: 'image/png' }, { type: 'url' }], false, 'image'],
  [['messages', 0, 'content', 1, 'source'], [DELETE, { type: 'text' }, { type: 'content', content: 1 }], false, 'document'],
  [['max_tokens'], ['100', true, [], {}, 0, -1, 1.5, Infinity], true],
  [['stream'], ['yes', 1, [], {}], true],
  [['temperature'], ['hot', 2, -0.5, []], true],
  [['top_p'], [1.5, 'x', -1], true],
  [['top_k'], [-1, 1.5, 'k'], true],
  [['stop_sequences'], ['stop', [1], {}, [null]], true],
  [['metadata'], ['x', 1, []], true],
  [['metadata', 'user_id'], [1, {}, []], true],
  [['output_config'], ['x', 1, []], true],
  [['output_config', 'effort'], [1, {}, []], true],
  [['system'], [1, true, {}, [{ type: 'image' }], [1], [{ type: 'text', text: 1 }]]],
  [['tools'], [{}, 'Bash', 1, [1], [{}], [{ name: 1 }], [{ name: '' }], [{ name: 'T', input_schema: 'x' }], [{ name: 'T', input_schema: [] }]]],
  [['tool_choice'], ['auto', 1, [], { type: 'maybe' }, { type: 'tool' }, { type: 'tool', name: '' }, {}]],
  [['thinking'], ['on', 1, { type: 'enabled' }, { type: 'x' }, { type: 'enabled', budget_tokens: 'many' }, {}]],
];

function deep(depth: number): string {
  return `${'{"k":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** Inserts raw bytes inside the first string value of a valid body: the rest stays valid JSON. */
function withBytes(body: string, bytes: number[]): Buffer {
  const at = body.indexOf('"', body.indexOf(':') + 1) + 1;
  return Buffer.concat([Buffer.from(body.slice(0, at)), Buffer.from(bytes), Buffer.from(body.slice(at))]);
}

function generate(): Bad[] {
  const out: Bad[] = [];
  for (const base of BASES) {
    for (const [path, values, messagesOnly, parentType] of WRONG) {
      for (const value of values) {
        const b = base();
        if (!setAt(b, path, value, parentType)) continue;
        const text = JSON.stringify(b, (_k, v) => (v === Infinity ? '__INF__' : v)).replace('"__INF__"', '1e400');
        out.push({ body: text, messagesOnly, what: `${path.join('.')} = ${typeof value === 'string' ? JSON.stringify(value.slice(0, 20)) : String(value === DELETE ? '(deleted)' : JSON.stringify(value))?.slice(0, 40)}` });
      }
    }
    const valid = JSON.stringify(base());
    // not JSON, or not a JSON object
    for (let cut = 1; cut < valid.length; cut += Math.max(1, Math.floor(valid.length / 40))) out.push({ body: valid.slice(0, cut), what: `truncated at ${cut}` });
    for (const text of ['', ' ', '"s"', '1', 'true', 'null', '[]', '[{}]', `${valid}x`, `${valid}{}`, valid.replace(/"/g, "'"), `{"model":NaN}`, `/*c*/${valid}`, '{"__proto__":{"x":1}}', `{"constructor":{"prototype":{"x":1}},${valid.slice(1)}`]) {
      out.push({ body: text, what: `body ${JSON.stringify(text.slice(0, 30))}` });
    }
    // deep nesting in several places
    for (const depth of [129, 500, 5_000, 50_000]) {
      out.push({ body: `${valid.slice(0, -1)},"extra":${deep(depth)}}`, what: `extra nested ${depth}` });
      out.push({ body: `${valid.slice(0, -1)},"tools":[{"name":"T","input_schema":${deep(depth)}}]}`, what: `input_schema nested ${depth}` });
      out.push({ body: `${valid.slice(0, -1)},"metadata":{"user_id":"u","x":${'['.repeat(depth)}${']'.repeat(depth)}}}`, what: `metadata nested ${depth}`, messagesOnly: false });
    }
    // invalid UTF-8 inside a string
    for (const bytes of [[0xff], [0xc3, 0x28], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80]]) {
      out.push({ body: withBytes(valid, bytes), what: `invalid UTF-8 ${bytes.map((x) => x.toString(16)).join(' ')}` });
    }
    // wrong content types
    for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'image/png', null]) {
      out.push({ body: valid, contentType: ct, what: `content-type ${ct}` });
    }
  }
  return out;
}

/** A clear message: long enough, names no internal error, and never "expected number, received number". */
function unclear(message: string): string | undefined {
  if (message.length < 15) return 'too short';
  if (/\[object Object\]|undefined|Maximum call stack|Unexpected error|Internal/i.test(message)) return 'internal wording';
  const m = /expected (\w+), received (\w+)/.exec(message);
  if (m && m[1] === m[2]) return 'expected and received are the same';
  if (message.length > 2000) return `a ${message.length}-character message`;
  return undefined;
}

test('a few thousand malformed bodies: each a 4xx in Anthropic\'s shape with a clear message; nothing upstream; still up', async () => {
  const bad = generate();
  const jobs: Array<{ bad: Bad; path: string }> = [];
  // every bad body to /v1/messages, most of them to count_tokens too (not the fields count_tokens has not)
  for (let round = 0; jobs.length < 3000; round++) {
    for (const b of bad) {
      if (jobs.length >= 3000) break;
      if (round % 2 === 0) jobs.push({ bad: b, path: '/v1/messages' });
      else if (!b.messagesOnly) jobs.push({ bad: b, path: '/v1/messages/count_tokens' });
    }
  }
  assert.ok(bad.length > 500, `${bad.length} distinct bad bodies`);
  const upstreamBefore = h.mock.requestCount;
  const failures: string[] = [];
  const statuses = new Map<number, number>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const { bad: b, path } = jobs[next++];
      const headers: Record<string, string> = { 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01' };
      if (b.contentType !== null) headers['content-type'] = b.contentType ?? 'application/json';
      const r = await send(`${h.gw.url}${path}`, 'POST', headers, b.body, keepAlive);
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      const type = r.json?.error?.type;
      const problem = r.status < 400 || r.status >= 500 ? `status ${r.status}`
        : isAnthropicError(r, r.status, type) ?? unclear(r.json.error.message);
      if (problem) failures.push(`${path} ${b.what}: ${problem}: ${r.text.slice(0, 200)}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  assert.deepEqual(failures.slice(0, 20), [], `${failures.length} of ${jobs.length} failed`);
  assert.equal(h.mock.requestCount, upstreamBefore, 'the upstream received nothing');
  const health = await fetch(`${h.gw.url}/healthz`);
  assert.equal(health.status, 200);
  const ok = await h.post('/v1/messages', { model: 'gpt-5-codex', max_tokens: 10, messages: [{ role: 'user', content: 'still there?' }] });
  assert.equal(ok.status, 200, ok.text);
  assert.ok([...statuses.keys()].every((s) => s >= 400 && s < 500), JSON.stringify([...statuses]));
});

test('the probe\'s smaller ones: max_tokens 1e400 and a JSON string body get messages that say what is wrong', async () => {
  const headers = { 'content-type': 'application/json', 'x-api-key': CLIENT_KEY };
  const huge = await send(`${h.gw.url}/v1/messages`, 'POST', headers, '{"model":"gpt-5-codex","max_tokens":1e400,"messages":[{"role":"user","content":"hi"}]}');
  assert.equal(isAnthropicError(huge, 400, 'invalid_request_error'), undefined);
  assert.equal(huge.json.error.message, 'max_tokens: the number is too large (beyond ±1.8e308); send a finite number');
  for (const path of ['/v1/messages', '/v1/messages/count_tokens']) {
    const s = await send(`${h.gw.url}${path}`, 'POST', headers, '"s"');
    assert.equal(isAnthropicError(s, 400, 'invalid_request_error'), undefined);
    assert.match(s.json.error.message, /^the request body must be a JSON object .* received a JSON string$/);
    assert.doesNotMatch(s.json.error.message, /content-type/);
  }
  const utf8 = await send(`${h.gw.url}/v1/messages`, 'POST', headers, withBytes('{"model":"gpt-5-codex","messages":[]}', [0xff]));
  assert.equal(isAnthropicError(utf8, 400, 'invalid_request_error'), undefined);
  assert.match(utf8.json.error.message, /not valid UTF-8/);
  // text/plain still says which content type to send
  const plain = await send(`${h.gw.url}/v1/messages`, 'POST', { ...headers, 'content-type': 'text/plain' }, '{"model":"gpt-5-codex"}');
  assert.equal(isAnthropicError(plain, 400, 'invalid_request_error'), undefined);
  assert.match(plain.json.error.message, /content-type: application\/json/);
});

function capturedRequests(): Array<{ file: string; url: string; body: Json }> {
  const root = sharedFixture('captured');
  if (!root || !existsSync(root)) return [];
  const out: Array<{ file: string; url: string; body: Json }> = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.json')) {
        const j = JSON.parse(readFileSync(p, 'utf8'));
        if (typeof j?.url === 'string' && /^\/v1\/messages/.test(j.url) && j.body && typeof j.body === 'object') out.push({ file: p, url: j.url, body: j.body });
      }
    }
  };
  walk(root);
  return out;
}

test('every captured Claude Code request passes validation (never stricter than the real client)', (t) => {
  const captured = capturedRequests();
  if (captured.length === 0) { t.skip('no shared fixtures'); return; }
  assert.ok(captured.length >= 20, `${captured.length} captured requests`);
  for (const c of captured) {
    const r = c.url.includes('count_tokens') ? validateCountTokensRequest(c.body) : validateMessagesRequest(c.body);
    assert.equal(r.ok, true, `${c.file}: ${r.ok ? '' : r.message}`);
  }
});
