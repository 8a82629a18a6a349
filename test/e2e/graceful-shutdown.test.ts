// SIGTERM / SIGINT on the real process, from outside: the gateway stops accepting at once, lets the streams in
// flight finish within shutdown-grace-ms, and exits 0; a stream that would outlast the grace period is cut then.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.ts';
import { stall, text } from '../support/response-scenarios.ts';
import { packycodeYaml } from '../support/gateway.ts';

const CLI = resolve(import.meta.dirname, '../../src/cli.ts');
let mock: MockUpstream;
let dir: string;

before(async () => {
  mock = await startMockUpstream();
  dir = mkdtempSync(join(tmpdir(), 'pb-shutdown-'));
});
after(async () => {
  await mock.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Gateway { child: ChildProcess; url: string; stderr: () => string; exited: Promise<{ code: number | null; signal: string | null; at: number }> }

function start(graceMs: number): Promise<Gateway> {
  const config = join(dir, `config-${graceMs}.yaml`);
  writeFileSync(config, `${packycodeYaml(mock.url)}\nshutdown-grace-ms: ${graceMs}\n`);
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [CLI, 'serve', '--config', config, '--host', '127.0.0.1', '--port', '0', '--codex-home', join(dir, 'codex')], {
      cwd: dir, env: { PATH: process.env.PATH, HOME: dir }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    const exited = new Promise<{ code: number | null; signal: string | null; at: number }>((r) => child.on('close', (code, signal) => r({ code, signal, at: Date.now() })));
    const timer = setTimeout(() => { child.kill('SIGKILL'); fail(new Error(`did not start: ${stderr}`)); }, 60_000);
    child.stderr!.on('data', (c: Buffer) => {
      stderr += c;
      const m = /packybridge (http:\/\/127\.0\.0\.1:\d+) /.exec(stderr);
      if (m && /point Claude Code at it[^\n]*\n/.test(stderr)) { clearTimeout(timer); ok({ child, url: m[1], stderr: () => stderr, exited }); }
    });
    void exited.then((r) => { clearTimeout(timer); fail(new Error(`exited early (${r.code}): ${stderr}`)); });
  });
}

function streamRequest(url: string): Promise<Response> {
  return fetch(`${url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'test-client-key' },
    body: JSON.stringify({ model: 'gpt-5-codex', max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'slowly' }] }),
  });
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`${signal}: the stream in flight finishes, new connections are refused, exit 0`, { timeout: 120_000 }, async () => {
    const gw = await start(20_000);
    // a reply of about 2 s: events 100 ms apart
    mock.enqueue(text('one two three four five six seven eight nine ten eleven twelve', { delayMs: 100 }));
    const res = await streamRequest(gw.url);
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    const first = await reader.read();
    assert.ok(!first.done);
    gw.child.kill(signal);
    // the stream goes on to its end
    let body = new TextDecoder().decode(first.value);
    for (;;) {
      const step = await reader.read();
      if (step.done) break;
      body += new TextDecoder().decode(step.value);
    }
    const endedAt = Date.now();
    assert.match(body, /event: message_stop/);
    assert.doesNotMatch(body, /event: error/);
    // meanwhile no new request is taken
    await assert.rejects(streamRequest(gw.url));
    const exit = await gw.exited;
    assert.equal(exit.code, 0, gw.stderr());
    assert.ok(exit.at >= endedAt - 50, 'the process ended after the stream did');
    assert.match(gw.stderr(), new RegExp(`${signal}, closing`));
  });
}

test('a stream that outlasts the grace period is cut when it ends; the process still exits 0 in time', { timeout: 120_000 }, async () => {
  const gw = await start(1_500);
  mock.enqueue(stall(4));
  const res = await streamRequest(gw.url);
  assert.equal(res.status, 200);
  const reader = res.body!.getReader();
  await reader.read();
  const signalledAt = Date.now();
  gw.child.kill('SIGTERM');
  const exit = await gw.exited;
  assert.equal(exit.code, 0, gw.stderr());
  assert.ok(exit.at - signalledAt < 15_000, `exited ${exit.at - signalledAt} ms after SIGTERM`);
  assert.match(gw.stderr(), /grace period over/);
  await reader.read().catch(() => undefined); // the connection is gone
});
