#!/usr/bin/env node
// Entry point. Runs the compiled CLI (dist/, built by `npm ci` through the `prepare` script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const major = Number(process.versions.node.split('.')[0]);
if (major < 20) {
  process.stderr.write(`packybridge needs Node.js 22 or newer; this is ${process.version}.\n`);
  process.exit(1);
}
if (major < 22) process.stderr.write(`packybridge: warning: Node.js 22 or newer is supported; this is ${process.version}.\n`);
const compiled = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(compiled))) {
  process.stderr.write('packybridge is not built yet: run `npm ci` (or `npm run build`) first.\n');
  process.exit(1);
}
const { main } = await import(compiled.href);
await main(process.argv);
