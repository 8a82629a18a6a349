// One keep-alive undici Pool per upstream origin, shared by every request to it.
import { Readable } from 'node:stream';
import type { Dispatcher, Pool } from 'undici';
import { undici } from './undici-parts.ts';

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
const BODY_HIGH_WATER_MARK = 16 * 1024;

export interface PostOptions {
  headers: Record<string, string>;
  body: Buffer | string;
  signal?: AbortSignal;
  headersTimeout: number;
  bodyTimeout: number;
  /** send through this HTTP(S) proxy (CONNECT for https upstreams) instead of a direct pool */
  proxyUrl?: string;
}

/**
 * POSTs `body` on the origin's pool and resolves with the reply's headers (its body streams). The body is
 * handed over as a one-chunk stream with its exact content-length: undici keeps a Buffer or string body until
 * the reply ends, a stream's chunk only until written (a Claude Code request is often hundreds of KB, and its
 * reply can stream for minutes).
 */
export function postToUpstream(url: URL, connectMs: number, o: PostOptions): Promise<Dispatcher.ResponseData> {
  const payload = typeof o.body === 'string' ? Buffer.from(o.body) : o.body;
  return dispatcherFor(url.origin, connectMs, o.proxyUrl).request({
    origin: url.origin,
    path: url.pathname + url.search,
    method: 'POST',
    headers: { ...o.headers, 'content-length': String(payload.length) },
    body: oneChunk(payload),
    signal: o.signal,
    headersTimeout: o.headersTimeout,
    bodyTimeout: o.bodyTimeout,
    highWaterMark: BODY_HIGH_WATER_MARK,
  });
}

/** A stream of one chunk that holds no reference to it once read. */
function oneChunk(payload: Buffer): Readable {
  let rest: Buffer | null = payload;
  return new Readable({
    read() {
      const chunk = rest;
      rest = null;
      this.push(chunk); // then null: the end
      if (chunk !== null) this.push(null);
    },
  });
}

/**
 * The dispatcher for one request: a proxy agent when `proxyUrl` is set; else, when the environment names a
 * proxy (HTTPS_PROXY / HTTP_PROXY, lower case too) and the upstream is not on loopback, undici's
 * EnvHttpProxyAgent, which honours NO_PROXY; else the origin's direct pool.
 */
function dispatcherFor(origin: string, connectMs: number, proxyUrl: string | undefined): Dispatcher {
  if (proxyUrl) return proxyAgent(proxyUrl, connectMs);
  // a proxy cannot reach this machine's loopback: those upstreams (local relays, tests) stay direct
  if (envProxyConfigured() && !isLoopbackOrigin(origin)) return envProxyAgent(connectMs);
  return poolFor(origin, connectMs);
}

const proxies = new Map<string, { agent: Dispatcher; connectMs: number }>();

function cachedAgent(key: string, connectMs: number, make: () => Dispatcher): Dispatcher {
  const found = proxies.get(key);
  if (found && found.connectMs === connectMs) return found.agent;
  if (found) found.agent.close().catch(() => {});
  const agent = make();
  proxies.set(key, { agent, connectMs });
  return agent;
}

function proxyAgent(proxyUrl: string, connectMs: number): Dispatcher {
  return cachedAgent(`proxy:${proxyUrl}`, connectMs, () => new undici.ProxyAgent({
    uri: proxyUrl, connections: CONNECTIONS_PER_ORIGIN, connectTimeout: connectMs, proxyTls: { timeout: connectMs }, requestTls: { timeout: connectMs },
  }));
}

function isLoopbackOrigin(origin: string): boolean {
  const host = new URL(origin).hostname;
  return host === 'localhost' || host === '[::1]' || host === '::1' || /^127\./.test(host);
}

function envProxyConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.HTTPS_PROXY || env.https_proxy || env.HTTP_PROXY || env.http_proxy);
}

function envProxyAgent(connectMs: number): Dispatcher {
  return cachedAgent('env', connectMs, () => new undici.EnvHttpProxyAgent({ connections: CONNECTIONS_PER_ORIGIN, connectTimeout: connectMs }));
}

/**
 * The pool for `origin`. The connect timeout is fixed per pool, so a config reload that changes it
 * gets a new pool; the old one closes once its in-flight streams end.
 */
function poolFor(origin: string, connectMs: number): Pool {
  const found = pools.get(origin);
  if (found && found.connectMs === connectMs && !found.pool.closed && !found.pool.destroyed) return found.pool;
  if (found) found.pool.close().catch(() => {});
  const pool = new undici.Pool(origin, {
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
  const all: Dispatcher[] = [...pools.values()].map((e) => e.pool);
  for (const p of proxies.values()) all.push(p.agent);
  pools.clear();
  proxies.clear();
  await Promise.all(all.map(async (pool) => {
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<'late'>((resolve) => { timer = setTimeout(resolve, graceMs, 'late'); });
    const outcome = await Promise.race([pool.close().then(() => 'closed' as const, () => 'closed' as const), grace]);
    clearTimeout(timer);
    if (outcome === 'late') await pool.destroy().catch(() => {});
  }));
}
