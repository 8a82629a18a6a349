// The production logger's masking: every secret field name, at every depth the old redaction paths covered, is
// masked in the line written; key display forms pass; nothing else changes; the caller's object is untouched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger, sanitizeLogFields } from '../../src/observability/logger.ts';
import { maskSecret } from '../../src/config/mask.ts';

const SECRET = 'sk-live-0123456789abcdefSECRET';

function lineOf(fields: Record<string, unknown>): Record<string, unknown> {
  const chunks: string[] = [];
  const dest = new Writable({ write(c, _e, cb) { chunks.push(String(c)); cb(); } });
  createLogger({ level: 'info', destination: dest }).info(fields, 'request');
  assert.equal(chunks.length, 1, 'one line written');
  return JSON.parse(chunks[0]!);
}

const MASKED: Array<[string, Record<string, unknown>, (line: any) => unknown]> = [
  ['headers.authorization', { headers: { authorization: `Bearer ${SECRET}` } }, (l) => l.headers.authorization],
  ['headers["x-api-key"]', { headers: { 'x-api-key': SECRET } }, (l) => l.headers['x-api-key']],
  ['headers["x-management-key"]', { headers: { 'x-management-key': SECRET } }, (l) => l.headers['x-management-key']],
  ['req.headers.authorization', { req: { headers: { authorization: SECRET } } }, (l) => l.req.headers.authorization],
  ['req.headers["x-api-key"]', { req: { headers: { 'x-api-key': SECRET } } }, (l) => l.req.headers['x-api-key']],
  ['req.headers["x-management-key"]', { req: { headers: { 'x-management-key': SECRET } } }, (l) => l.req.headers['x-management-key']],
  ['apiKey', { apiKey: SECRET }, (l) => l.apiKey],
  ['secret', { secret: SECRET }, (l) => l.secret],
  ['key (a raw key)', { key: SECRET }, (l) => l.key],
  ['key (an object)', { key: { value: SECRET } }, (l) => l.key],
  ['key (a number)', { key: 12345 }, (l) => l.key],
  ['*.apiKey', { provider: { apiKey: SECRET } }, (l) => l.provider.apiKey],
  ['*.openaiApiKey', { codex: { openaiApiKey: SECRET } }, (l) => l.codex.openaiApiKey],
  ['*["openai-api-key"]', { entry: { 'openai-api-key': SECRET } }, (l) => l.entry['openai-api-key']],
  ['*["secret-key"]', { management: { 'secret-key': SECRET } }, (l) => l.management['secret-key']],
  ['three levels down', { a: { b: { c: { apiKey: SECRET } } } }, (l) => l.a.b.c.apiKey],
  ['a nested key field', { audit: { key: SECRET } }, (l) => l.audit.key],
];

for (const [name, fields, read] of MASKED) {
  test(`masked in the written line: ${name}`, () => {
    const before = JSON.stringify(fields);
    const line = lineOf(fields);
    assert.equal(read(line), '[masked]');
    assert.ok(!JSON.stringify(line).includes('SECRET'), 'the secret is nowhere in the line');
    assert.equal(JSON.stringify(fields), before, 'the caller\'s object is not changed');
  });
}

const KEPT: Array<[string, Record<string, unknown>, (line: any) => unknown, unknown]> = [
  ['a key\'s display form', { key: maskSecret(SECRET) }, (l) => l.key, 'sk-…CRET'],
  ['a short key\'s display form', { key: maskSecret('short') }, (l) => l.key, '****'],
  ['no key', { key: '(no key)' }, (l) => l.key, '(no key)'],
  ['metadata', { reqId: 'r1', status: 200, stream: true, totalMs: 12 }, (l) => [l.reqId, l.status, l.stream, l.totalMs], ['r1', 200, true, 12]],
  ['an array', { tags: ['a', 'b'] }, (l) => l.tags, ['a', 'b']],
  ['an error message', { err: { message: 'boom', code: 'E1' } }, (l) => [l.err.message, l.err.code], ['boom', 'E1']],
  ['a field named like a key but other', { keyId: 'k-1', keys: 3 }, (l) => [l.keyId, l.keys], ['k-1', 3]],
];

for (const [name, fields, read, want] of KEPT) {
  test(`kept in the written line: ${name}`, () => {
    assert.deepEqual(read(lineOf(fields)), want);
  });
}

test('an object with nothing to change is returned as it is (no copy on the hot path)', () => {
  const fields = { reqId: 'r1', route: '/v1/messages', status: 200, nested: { n: 1, s: 'x' } };
  assert.equal(sanitizeLogFields(fields), fields);
});

test('a key display form look-alike with more after it is still masked', () => {
  assert.equal(lineOf({ key: `sk-…abcd${SECRET}` }).key, '[masked]');
  assert.equal(lineOf({ key: `${SECRET}…` }).key, '[masked]');
});

test('strings three levels down are capped too', () => {
  const line = lineOf({ a: { b: { c: { s: 'x'.repeat(10_000) } } } }) as any;
  assert.ok(line.a.b.c.s.length < 2100, 'capped at three levels down');
});
