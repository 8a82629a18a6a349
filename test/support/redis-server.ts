// Debian's redis-server, started by the tests on a free port of 127.0.0.1 with no persistence; stop() and a
// restart on the same port simulate Redis going away and coming back empty.
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort, refusedPort } from './free-port.ts';

export interface RedisServer {
  port: number;
  url: string;
  stop(): Promise<void>;
  /** starts it again on the same port (empty, as a restarted Redis without persistence) */
  restart(): Promise<void>;
}

export { freePort };

function launch(port: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`redis-server did not start: ${out}`)); }, 20_000);
    child.stdout!.on('data', (c) => {
      out += c;
      if (/Ready to accept connections/.test(out)) { clearTimeout(timer); resolve(child); }
    });
    child.stderr!.on('data', (c) => { out += c; });
    child.on('error', (e) => { clearTimeout(timer); reject(new Error(`redis-server could not be run (${e.message}): install it (apt-get install redis-server); .ci/run does`)); });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`redis-server exited (${code}): ${out}`)); });
  });
}

export async function startRedis(): Promise<RedisServer> {
  // a port below the ephemeral range: while restart() has Redis down, no other test's port-0 server can take it.
  // Two test files may pick the same one at once (1 in ~20,000): the second Redis exits, and another port is tried.
  let port = await refusedPort();
  let child: ChildProcess;
  for (let attempt = 1; ; attempt++) {
    try {
      child = await launch(port);
      break;
    } catch (e) {
      if (attempt >= 3 || !/exited/.test((e as Error).message)) throw e;
      port = await refusedPort();
    }
  }
  const stop = () => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop,
    async restart() {
      await stop();
      child = await launch(port);
    },
  };
}
