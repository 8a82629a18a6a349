// bin/packybridge.js, the launcher `npm start` runs: it restarts itself once (same pid, process.execve) with
// the memory settings measured in the README's performance section, unless the user set them already.
// Read from outside, as an operator would: /proc/<pid>/cmdline and /proc/<pid>/environ of the running gateway.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/packybridge.js');
const skip = process.platform !== 'linux' ? 'reads /proc (Linux only)'
  : !existsSync(join(ROOT, 'dist/cli.js')) ? 'dist/ not built (npm ci builds it)'
    : typeof process.execve !== 'function' ? 'process.execve needs Node 22.15+' : false;

interface Launched { argv: string[]; env: Map<string, string> }

/** Starts the launcher with `nodeArgs` and `env`, reads what the serving process runs with, stops it. */
async function launch(nodeArgs: string[], extraEnv: Record<string, string>): Promise<Launched> {
  const dir = mkdtempSync(join(tmpdir(), 'pb-bin-'));
  const config = join(dir, 'config.yaml');
  writeFileSync(config, 'host: 127.0.0.1\n');
  const child = spawn(process.execPath, [...nodeArgs, BIN, 'serve', '--config', config, '--port', '0', '--codex-home', join(dir, 'codex')], {
    cwd: dir, env: { PATH: process.env.PATH, HOME: dir, ...extraEnv }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  try {
    await new Promise<void>((ok, fail) => {
      let err = '';
      const timer = setTimeout(() => fail(new Error(`the gateway did not start: ${err}`)), 30_000);
      child.stderr!.on('data', (c: Buffer) => {
        err += c;
        if (/packybridge http:\/\/127\.0\.0\.1:\d+ /.test(err)) { clearTimeout(timer); ok(); }
      });
      child.on('exit', (code) => { clearTimeout(timer); fail(new Error(`the gateway exited (${code}): ${err}`)); });
    });
    const argv = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const env = new Map(readFileSync(`/proc/${child.pid}/environ`, 'utf8').split('\0').filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as [string, string]));
    return { argv, env };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => { if (child.exitCode !== null || child.signalCode !== null) r(null); else child.once('close', r); });
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('bin/packybridge.js memory settings', { skip }, () => {
  test('by default: a 4 MB young generation (semi-space), heap growth of 50%, one malloc arena, mmap from 4 MB', async () => {
    const { argv, env } = await launch([], {});
    assert.ok(argv.includes('--max-semi-space-size=4'), argv.join(' '));
    assert.ok(argv.includes('--heap-growing-percent=50'), argv.join(' '));
    assert.equal(env.get('MALLOC_ARENA_MAX'), '1');
    assert.equal(env.get('MALLOC_MMAP_THRESHOLD_'), '4194304');
    assert.equal(argv.filter((a) => a.endsWith('bin/packybridge.js')).length, 1, 'the script is not repeated');
    // external memory in V8's global limit, when this node has the flag (asked the way the launcher asks)
    const known = (...flags: string[]) => spawnSync(process.execPath, [...flags, '-e', ''], { stdio: 'ignore', env: {} }).status === 0;
    assert.equal(argv.includes('--external-memory-accounted-in-global-limit'), known('--external-memory-accounted-in-global-limit'), argv.join(' '));
    // no Maglev and TurboFan from 1,000 calls: both or neither, when this node knows both
    const tiers = known('--no-maglev', '--invocation-count-for-turbofan=1000');
    assert.equal(argv.includes('--no-maglev'), tiers, argv.join(' '));
    assert.equal(argv.includes('--invocation-count-for-turbofan=1000'), tiers, argv.join(' '));
  });

  test('Maglev turned on by the user: neither of the compiler flags is added', async () => {
    const { argv } = await launch(['--maglev'], {});
    assert.ok(argv.includes('--maglev'), argv.join(' '));
    assert.ok(!argv.includes('--no-maglev'), argv.join(' '));
    assert.ok(!argv.some((a) => a.startsWith('--invocation-count-for-turbofan')), argv.join(' '));
    assert.ok(argv.includes('--max-semi-space-size=4'), 'the other settings are still added');
  });

  test('a TurboFan threshold given by the user: kept, and Maglev left as node has it', async () => {
    const { argv } = await launch(['--invocation_count_for_turbofan=500'], {});
    assert.ok(argv.includes('--invocation_count_for_turbofan=500'), argv.join(' '));
    assert.ok(!argv.includes('--no-maglev'), argv.join(' '));
    assert.ok(!argv.includes('--invocation-count-for-turbofan=1000'), argv.join(' '));
  });

  test('the external-memory flag given as --no-...: kept as the user wrote it', async () => {
    const { argv } = await launch(['--no-external-memory-accounted-in-global-limit'], {});
    assert.ok(!argv.includes('--external-memory-accounted-in-global-limit'), argv.join(' '));
    assert.ok(argv.includes('--no-external-memory-accounted-in-global-limit'), argv.join(' '));
  });

  test('a setting the user gave wins, the others are still added', async () => {
    const { argv, env } = await launch(['--max-semi-space-size=16'], { MALLOC_ARENA_MAX: '4' });
    assert.ok(argv.includes('--max-semi-space-size=16'));
    assert.ok(!argv.includes('--max-semi-space-size=4'), argv.join(' '));
    assert.ok(argv.includes('--heap-growing-percent=50'));
    assert.equal(env.get('MALLOC_ARENA_MAX'), '4');
  });

  test('NODE_OPTIONS counts as given, underscores or not', async () => {
    const { argv } = await launch([], { NODE_OPTIONS: '--max_semi_space_size=2' });
    assert.ok(!argv.some((a) => a.startsWith('--max-semi-space-size')), argv.join(' '));
    assert.ok(argv.includes('--heap-growing-percent=50'));
  });

  test('PACKYBRIDGE_NO_REEXEC=1 runs as started', async () => {
    const { argv, env } = await launch([], { PACKYBRIDGE_NO_REEXEC: '1' });
    assert.ok(!argv.some((a) => a.startsWith('--max-semi-space-size') || a.startsWith('--heap-growing-percent')), argv.join(' '));
    assert.equal(env.has('MALLOC_ARENA_MAX'), false);
  });
});

/** A Node.js older than 22 on this machine (Debian's is 20 here), if there is one. */
function olderNode(): string | undefined {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node', '/bin/node']) {
    if (!existsSync(candidate)) continue;
    const r = spawnSync(candidate, ['-p', 'process.versions.node'], { encoding: 'utf8' });
    if (r.status === 0 && Number(r.stdout.split('.')[0]) < 22) return candidate;
  }
  return undefined;
}

const old = olderNode();
const tools = join(ROOT, '.tools/node_modules/.bin/node');
const skipOld = old === undefined ? 'no Node.js older than 22 on this machine'
  : !existsSync(tools) ? 'no Node.js under .tools/ (npm test installs it on an older Node)'
    : !existsSync(join(ROOT, 'dist/cli.js')) ? 'dist/ not built (npm ci builds it)' : false;

describe('bin/packybridge.js on a Node.js older than 22', { skip: skipOld }, () => {
  test('in the checkout it runs on the Node.js in .tools/, exit code and output passed through', () => {
    const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;
    const r = spawnSync(old!, [BIN, '--version'], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: tmpdir() } });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), version);
    assert.match(r.stderr, /needs Node\.js 22 or newer; this is v\d+.*running it with the checkout's Node\.js from \.tools\//);
    const bad = spawnSync(old!, [BIN, 'check', '--config', join(tmpdir(), 'pb-no-such-config.yaml')], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: tmpdir() } });
    assert.equal(bad.status, 1, 'a failing command\'s exit code comes through');
  });

  test('serve: the gateway answers; SIGTERM to the launcher stops the gateway too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pb-bin-old-'));
    const child = spawn(old!, [BIN, 'serve', '--port', '0', '--codex-home', join(dir, 'codex')], {
      cwd: dir, env: { PATH: process.env.PATH, HOME: dir }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    try {
      const origin = await new Promise<string>((ok, fail) => {
        let err = '';
        const timer = setTimeout(() => fail(new Error(`the gateway did not start: ${err}`)), 30_000);
        child.stderr!.on('data', (c: Buffer) => {
          err += c;
          const m = /packybridge (http:\/\/127\.0\.0\.1:\d+) /.exec(err);
          if (m) { clearTimeout(timer); ok(m[1]!); }
        });
        child.on('exit', (code) => { clearTimeout(timer); fail(new Error(`the launcher exited (${code}): ${err}`)); });
      });
      assert.equal((await fetch(`${origin}/healthz`)).status, 200);
      child.kill('SIGTERM');
      const code = await new Promise((r) => child.once('exit', (c) => r(c)));
      assert.equal(code, 0, 'the launcher exits with the gateway\'s code');
      await assert.rejects(fetch(`${origin}/healthz`), 'the gateway is gone with it');
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('installed as a package (under node_modules): a clear message, exit 1, nothing installed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pb-bin-pkg-'));
    try {
      const bin = join(dir, 'node_modules', 'packybridge', 'bin');
      mkdirSync(bin, { recursive: true });
      for (const f of ['packybridge.js', 'supported-node.js']) copyFileSync(join(ROOT, 'bin', f), join(bin, f));
      const r = spawnSync(old!, [join(bin, 'packybridge.js'), '--version'], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: dir } });
      assert.equal(r.status, 1);
      assert.match(r.stderr, /^packybridge needs Node\.js 22 or newer; this is v\d+[^\n]*\. Install Node\.js 22\+/);
      assert.equal(existsSync(join(dir, 'node_modules', 'packybridge', '.tools')), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
