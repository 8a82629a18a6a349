#!/usr/bin/env node
// `npm test`: type-check, then every test file under test/ with Node's own test runner.
// Test files are TypeScript run directly by Node's type stripping (Node 22.18+ / 24).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  // The tests run TypeScript directly (Node's type stripping, 22.18+). On an older Node, use (or install)
  // Node 24 from the npm registry under .tools/ and run again with it.
  const local = join('.tools', 'node_modules', '.bin', 'node');
  if (!existsSync(local)) {
    console.error(`node ${process.version} is older than 22: installing Node.js 24 into .tools/ from the npm registry`);
    const r = spawnSync('npm', ['install', '--prefix', '.tools', '--no-save', 'node@24'], { stdio: 'inherit' });
    if (r.status !== 0 || !existsSync(local)) {
      console.error('could not install Node.js 24; install Node.js 22 or newer and run npm test again');
      process.exit(1);
    }
  }
  const r = spawnSync(local, [process.argv[1], ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

function collect(dir, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) collect(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const only = process.argv.slice(2);
if (only.length === 0) run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--noEmit']);
const files = only.length ? only : collect('test');
run(process.execPath, ['--test', '--test-concurrency=2', '--test-reporter=spec', ...files]);
