// src/upstream/undici-parts.ts: the gateway loads undici's pool, proxy agents and request API from undici's own
// modules, so neither the rest of undici (fetch, WebSocket, cache, mocks, cookies) nor Node's bundled copy of
// undici (which undici's cookie module pulls in by reading globalThis.Headers) is in the gateway's memory.
// Checked in processes of their own, since this test process itself has loaded both.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadUndiciParts } from '../../src/upstream/undici-parts.ts';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.ts';
import { startGatewayProcess } from '../support/gateway-process.ts';
import { packycodeYaml } from '../support/gateway.ts';
import { longText } from '../support/response-scenarios.ts';

const PARTS = resolve(import.meta.dirname, '../../src/upstream/undici-parts.ts');
const BUNDLED = 'internal/deps/undici/undici';

let mock: MockUpstream;
let dir: string;

before(async () => {
  mock = await startMockUpstream({ handler: () => longText(20) });
  dir = mkdtempSync(join(tmpdir(), 'pb-undici-parts-'));
});

after(async () => {
  await mock.close();
  rmSync(dir, { recursive: true, force: true });
});

test('loaded alone: from undici\'s modules, a fraction of its files, and Node\'s bundled undici not loaded', () => {
  const script = `
    const { undici } = await import(${JSON.stringify(PARTS)});
    const files = Object.keys((await import('node:module')).createRequire(import.meta.url).cache).filter((f) => f.includes('/undici/'));
    console.log(JSON.stringify({ from: undici.loadedFrom, files: files.length, index: files.some((f) => f.endsWith('/undici/index.js')),
      bundled: process.moduleLoadList.some((m) => m.includes(${JSON.stringify(BUNDLED)})) }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: dir });
  assert.equal(r.status, 0, r.stderr);
  const seen = JSON.parse(r.stdout) as { from: string; files: number; index: boolean; bundled: boolean };
  assert.equal(seen.from, 'modules');
  assert.equal(seen.index, false, 'undici\'s index.js is not loaded');
  assert.equal(seen.bundled, false, 'Node\'s bundled undici is not loaded');
  // the whole package loads ~110 files; the pool, agents and request API about a third of that
  const all = spawnSync(process.execPath, ['-e', `require('undici'); console.log(Object.keys(require.cache).filter((f) => f.includes('/undici/')).length)`],
    { encoding: 'utf8', cwd: resolve(import.meta.dirname, '../..') });
  assert.equal(all.status, 0, all.stderr);
  assert.ok(seen.files > 0 && seen.files < Number(all.stdout) / 2, `${seen.files} of ${all.stdout.trim()} files`);
});

test('when undici\'s modules are not where they were: its entry point instead, and requests still work', async () => {
  const real = createRequire(PARTS);
  const moved = (id: string): unknown => {
    if (id.startsWith('undici/lib/')) throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
    return real(id);
  };
  const parts = loadUndiciParts(moved);
  assert.equal(parts.loadedFrom, 'entry');
  const pool = new parts.Pool(new URL(mock.url).origin);
  try {
    const res = await pool.request({ path: '/v1/responses', method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test' }, body: '{"model":"gpt-5","input":"hi","stream":true}' });
    assert.equal(res.statusCode, 200);
    assert.match(await res.body.text(), /response\.completed/);
  } finally {
    await pool.close();
  }
});

test('a gateway that has served every kind of request has not loaded Node\'s bundled undici', async () => {
  const report = join(dir, 'modules.json');
  const preload = join(dir, 'report-modules.mjs');
  writeFileSync(preload, `process.on('exit', () => process.getBuiltinModule('node:fs').writeFileSync(${JSON.stringify(report)}, JSON.stringify(process.moduleLoadList)));\n`);
  const config = join(dir, 'config.yaml');
  writeFileSync(config, packycodeYaml(mock.url));
  const gw = await startGatewayProcess(config, { env: { NODE_OPTIONS: `--import ${preload}` } });
  let stopped: { code: number | null } | undefined;
  try {
    const messages = { model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] };
    const post = (path: string, body: unknown) => fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'test-client-key', 'anthropic-version': '2023-06-01' }, body: JSON.stringify(body) });
    const streamed = await post('/v1/messages', { ...messages, stream: true });
    assert.equal(streamed.status, 200);
    assert.match(await streamed.text(), /event: message_stop/);
    const whole = await post('/v1/messages', messages);
    assert.equal(whole.status, 200, await whole.clone().text());
    assert.equal(((await whole.json()) as { type: string }).type, 'message');
    const counted = await post('/v1/messages/count_tokens', messages);
    assert.equal(counted.status, 200);
    const chat = await post('/v1/chat/completions', { model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }], stream: true });
    assert.equal(chat.status, 200);
    assert.match(await chat.text(), /\[DONE\]/);
    for (const path of ['/healthz', '/metrics', '/v1/models']) {
      const res = await fetch(`${gw.url}${path}`, { headers: { 'x-api-key': 'test-client-key' } });
      assert.equal(res.status, 200, path);
      await res.arrayBuffer();
    }
  } finally {
    stopped = await gw.stop();
  }
  assert.equal(stopped.code, 0);
  const modules = JSON.parse(readFileSync(report, 'utf8')) as string[];
  assert.ok(modules.some((m) => m.includes('internal/http')), 'the report lists the modules the gateway loaded');
  assert.deepEqual(modules.filter((m) => m.includes(BUNDLED)), []);
});
