#!/usr/bin/env node
// `npm run bench`: runs bench/main.ts (TypeScript, by Node's type stripping) and passes the options on.
//   npm run bench                      full run (~3 min on 2 cores)
//   npm run bench -- --quick           fewer requests
//   npm run bench -- --only streams --concurrency 64 --cpu-prof
// See bench/main.ts for every option. Results: .bench/results.json.
//   npm run bench:outside              the outside check: wrk against the bench's own load generator (bench/outside-check.ts)
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { supportedNodeFor } from '../bin/supported-node.js';

// an older Node.js: the checkout's Node 24 from .tools/ (installed from the npm registry on first use)
const newer = supportedNodeFor('npm run bench');
const node = newer ?? process.execPath;
const [major, minor] = newer === undefined ? process.versions.node.split('.').map(Number) : [24, 0];
if (major === 22 && minor < 6) {
  console.error(`npm run bench needs Node.js 22.6 or newer (this is ${process.version}): TypeScript by type stripping.`);
  process.exit(1);
}
// type stripping is on by default from 22.18 / 23.6; earlier versions need the flag
const flags = (major === 22 && minor < 18) || (major === 23 && minor < 6) ? ['--experimental-strip-types', '--no-warnings'] : [];
const outside = process.argv[2] === '--outside-check';
const main = fileURLToPath(new URL(outside ? '../bench/outside-check.ts' : '../bench/main.ts', import.meta.url));
const child = spawn(node, [...flags, main, ...process.argv.slice(outside ? 3 : 2)], { stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 130 : 1)));
