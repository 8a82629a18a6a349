// One keep-alive undici Pool per upstream origin, shared by every request to it.
import { Pool } from 'undici';

/** Upper bound of parallel connections per origin: each streaming reply holds one for its whole length. */
const CONNECTIONS_PER_ORIGIN = 1024;

interface Entry {
  pool: Pool;
  connectMs: number;
}

const pools = new Map<string, Entry>();

/**
 * Bytes of an upstream reply read ahead of its consumer (undici's default is 64 KB). With hundreds of
 * streams the read-ahead is much of the gateway's memory under load; 16 KB is still dozens of events.
 */
export const BODY_HIGH_WATER_MARK = 16 * 1024;

/**
 * The pool for `origin`. The connect timeout is fixed per pool, so a config reload that changes it
 * gets a new pool; the old one closes once its in-flight streams end.
 */
export function poolFor(origin: string, connectMs: number): Pool {
  const found = pools.get(origin);
  if (found && found.connectMs === connectMs && !found.pool.closed && !found.pool.destroyed) return found.pool;
  if (found) found.pool.close().catch(() => {});
  const pool = new Pool(origin, {
    connections: CONNECTIONS_PER_ORIGIN,
    pipelining: 1,
    connectTimeout: connectMs,
    // per-request headersTimeout/bodyTimeout are passed with each request
    keepAliveTimeout: 4_000,
    keepAliveMaxTimeout: 60_000,
  });
  pools.set(origin, { pool, connectMs });
  return pool;
}

/** Close every pool: waits for in-flight requests up to `graceMs`, then destroys what is left. */
export async function closeUpstreamPools(graceMs = 1_000): Promise<void> {
  const all = [...pools.values()].map((e) => e.pool);
  pools.clear();
  await Promise.all(all.map(async (pool) => {
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<'late'>((resolve) => { timer = setTimeout(resolve, graceMs, 'late'); });
    const outcome = await Promise.race([pool.close().then(() => 'closed' as const, () => 'closed' as const), grace]);
    clearTimeout(timer);
    if (outcome === 'late') await pool.destroy().catch(() => {});
  }));
}
