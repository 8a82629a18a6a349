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
// Cap V8's young generation: on a large-memory machine it grows to 128 MB under streaming load, which
// doubles the gateway's resident memory for no throughput gain (see the README's performance notes).
// process.execve (Node 22.15+) restarts this same process with the flag; PACKYBRIDGE_NO_REEXEC=1 skips it.
const SEMI = /--max-semi-space-size/;
if (typeof process.execve === 'function' && process.platform !== 'win32' && process.env.PACKYBRIDGE_NO_REEXEC !== '1'
    && !process.execArgv.some((a) => SEMI.test(a)) && !SEMI.test(process.env.NODE_OPTIONS ?? '')) {
  process.execve(process.execPath, [process.execPath, '--max-semi-space-size=16', ...process.execArgv, ...process.argv.slice(1)], process.env);
}
const compiled = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(compiled))) {
  process.stderr.write('packybridge is not built yet: run `npm ci` (or `npm run build`) first.\n');
  process.exit(1);
}
const { main } = await import(compiled.href);
await main(process.argv);
