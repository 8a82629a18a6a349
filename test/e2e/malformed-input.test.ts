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
  /** Anthropic rejects it but packybridge does not yet (max_tokens, nulls, ranges, UTF-8, model name length) */
  stricter?: boolean;
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
        out.push({ body: JSON.stringify(base), what: `missing ${f}`, stricter: f === 'max_tokens' });
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
        // accepted today, refused by Anthropic: null for an optional field, max_tokens 0 / -1 / 1.5, temperature
        // out of 0..1, no messages, a 10,000-character model name
        const lax = v === null || (f === 'max_tokens' && typeof v === 'number') || (f === 'temperature' && typeof v === 'number')
          || (f === 'messages' && Array.isArray(v) && v.length === 0) || (f === 'model' && typeof v === 'string' && v.length > 1);
        out.push({ body: JSON.stringify(base), what: `${f} = ${JSON.stringify(v)?.slice(0, 30)}`, stricter: lax });
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
        out.push({ body: Buffer.concat([json.subarray(0, at), Buffer.from(bytes), json.subarray(at + 4)]), what: `invalid UTF-8 ${bytes}`, stricter: true });
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

async function answerProblems(bads: Bad[]): Promise<string[]> {
  const failures: string[] = [];
  for (let i = 0; i < bads.length; i += 25) {
    await Promise.all(bads.slice(i, i + 25).map(async (b) => {
      const headers: Record<string, string> = { 'x-api-key': 'test-client-key', 'content-type': b.contentType ?? 'application/json' };
      const r = await fetch(`${h.gw.url}/v1/messages`, { method: 'POST', headers, body: b.body as unknown as BodyInit });
      const text = await r.text();
      let j: { type?: string; error?: { type?: string; message?: string } } | undefined;
      try { j = JSON.parse(text); } catch { /* checked below */ }
      if (r.status < 400 || r.status > 499 || j?.type !== 'error' || typeof j.error?.type !== 'string' || (j.error.message ?? '').length < 10) {
        failures.push(`${b.what}: HTTP ${r.status} ${text.slice(0, 160)}`);
      }
    }));
  }
  return failures;
}

const ALL = generate(2000, 0x5eed);

test('malformed requests: each a 4xx in Anthropic\'s shape, none forwarded, the gateway still serves', { timeout: 300_000 }, async () => {
  h.mock.reset();
  const bads = ALL.filter((b) => !b.stricter);
  assert.ok(bads.length > 1500, `${bads.length} cases`);
  const failures = await answerProblems(bads);
  assert.deepEqual(failures.slice(0, 10), [], `${failures.length} of ${bads.length} bad answers`);
  assert.equal(h.mock.requests.length, 0, 'nothing reached the upstream');
  const ok = await h.post('/v1/messages', userRequest('still there?'));
  assert.equal(ok.status, 200);
});

test('as strict as Anthropic: max_tokens required and a positive integer, no nulls, ranges, well-formed UTF-8', {
  timeout: 120_000, todo: 'packybridge accepts these today (validation left for a later step, see README)',
}, async () => {
  const failures = await answerProblems(ALL.filter((b) => b.stricter));
  assert.deepEqual(failures.slice(0, 5), []);
});
