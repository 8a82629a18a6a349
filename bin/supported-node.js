// Node.js 22 or newer for everything packybridge runs (node:sqlite, type stripping, process.execve). On an
// older Node in a checkout (`npm start`, `npm test`, `npm run bench` on a machine whose node is 20), the
// checkout's own Node 24 under .tools/ is used, installed from the npm registry on first use; as an installed
// package (under node_modules) nothing is installed: it says what is needed and stops.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const MIN_MAJOR = 22;
const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * The path of a Node.js 22+ to run `what` with instead of this one, or undefined when this one will do.
 * Installs Node 24 into the checkout's .tools/ when needed; exits with a clear message when it cannot.
 */
export function supportedNodeFor(what) {
  if (Number(process.versions.node.split('.')[0]) >= MIN_MAJOR) return undefined;
  const here = `${what} needs Node.js ${MIN_MAJOR} or newer; this is ${process.version}`;
  if (ROOT.includes(`${sep}node_modules${sep}`)) {
    process.stderr.write(`${here}. Install Node.js ${MIN_MAJOR}+ (24 LTS is tested) and run it again.\n`);
    process.exit(1);
  }
  const local = join(ROOT, '.tools', 'node_modules', '.bin', 'node');
  if (!existsSync(local)) {
    process.stderr.write(`${here}: installing Node.js 24 into .tools/ from the npm registry (once)\n`);
    const r = spawnSync('npm', ['install', '--prefix', join(ROOT, '.tools'), '--no-save', 'node@24'], { stdio: ['ignore', 2, 2] });
    if (r.status !== 0 || !existsSync(local)) {
      process.stderr.write(`could not install Node.js 24 into .tools/; install Node.js ${MIN_MAJOR} or newer and run it again\n`);
      process.exit(1);
    }
  } else {
    process.stderr.write(`${here}: running it with the checkout's Node.js from .tools/\n`);
  }
  return local;
}
