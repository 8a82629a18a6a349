// bin/packybridge.js, the launcher `npm start` runs: it restarts itself once (same pid, process.execve) with
// the memory settings measured in the README's performance section, unless the user set them already.
// Read from outside, as an operator would: /proc/<pid>/cmdline and /proc/<pid>/environ of the running gateway.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  test('by default: an 8 MB young generation (semi-space), heap growth of 50%, two malloc arenas, mmap from 4 MB', async () => {
    const { argv, env } = await launch([], {});
    assert.ok(argv.includes('--max-semi-space-size=8'), argv.join(' '));
    assert.ok(argv.includes('--heap-growing-percent=50'), argv.join(' '));
    assert.equal(env.get('MALLOC_ARENA_MAX'), '2');
    assert.equal(env.get('MALLOC_MMAP_THRESHOLD_'), '4194304');
    assert.equal(argv.filter((a) => a.endsWith('bin/packybridge.js')).length, 1, 'the script is not repeated');
  });

  test('a setting the user gave wins, the others are still added', async () => {
    const { argv, env } = await launch(['--max-semi-space-size=16'], { MALLOC_ARENA_MAX: '4' });
    assert.ok(argv.includes('--max-semi-space-size=16'));
    assert.ok(!argv.includes('--max-semi-space-size=8'), argv.join(' '));
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
