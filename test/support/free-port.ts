// Ports on 127.0.0.1 for tests.
// - freePort: free a moment ago, for servers started on a port chosen in advance.
// - refusedPort: one where connecting is refused for the whole run, for "connection refused" cases, and for a
//   server that must get its port back after a restart (Redis): no port-0 listener is ever given it.
import { readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

// The kernel hands out port-0 listeners (every test server here) from its ephemeral range, so a port that was
// free a moment ago can be taken by another test file's server running in parallel, which then answers where a
// test expected a refusal. A port below that range is never handed out that way: it stays refused.
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(low) && low > 2048) return low;
  } catch {
    // not Linux: fall through to the range most systems use
  }
  return 32768;
}

function refuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(false); });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });
}

export async function refusedPort(): Promise<number> {
  const high = ephemeralLow();
  const low = Math.max(1024, high - 20000);
  for (let i = 0; i < 50; i++) {
    const port = low + Math.floor(Math.random() * (high - low));
    if (await refuses(port)) return port;
  }
  throw new Error(`no refused port found between ${low} and ${high}`);
}
