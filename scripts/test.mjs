#!/usr/bin/env node
// `npm test`: type-check, then every test file under test/ with Node's own test runner.
// Test files are TypeScript run directly by Node's type stripping (Node 22.18+ / 24).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { supportedNodeFor } from '../bin/supported-node.js';

// The tests run TypeScript directly (Node's type stripping, 22.18+). On an older Node, run again with the
// checkout's Node 24 from .tools/ (installed from the npm registry on first use).
const newer = supportedNodeFor('npm test');
if (newer !== undefined) {
  const r = spawnSync(newer, [process.argv[1], ...process.argv.slice(2)], { stdio: 'inherit' });
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
