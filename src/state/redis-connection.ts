// One Redis connection for the shared state (plus one for pub/sub), and whether Redis is there right now.
// Commands never queue while Redis is away (they fail at once): every caller has a local answer to fall back
// on, so a request never waits for Redis to come back. Down and up are logged and audited once each.
import { Redis } from 'ioredis';
import type { Logger } from '../observability/logger.ts';
import type { AuditLog } from '../observability/audit.ts';

export const KEY_PREFIX = 'packybridge:';

export interface SharedRedis {
  readonly client: Redis;
  readonly subscriber: Redis;
  /** true while commands reach Redis */
  readonly up: boolean;
  /** called (after the first connection) each time Redis is back; the state flushes what it kept locally */
  onReconnect(fn: () => void | Promise<void>): void;
  close(): Promise<void>;
}

export function maskUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//***@');
}

export function connectRedis(url: string, logger: Logger, audit?: AuditLog): SharedRedis {
  const opts = {
    lazyConnect: false,
    enableOfflineQueue: false,       // fail at once while Redis is away: callers fall back to local state
    maxRetriesPerRequest: 0,
    connectTimeout: 2_000,
    retryStrategy: (times: number) => Math.min(200 * times, 2_000),
  };
  const client = new Redis(url, opts);
  const subscriber = new Redis(url, { ...opts, enableOfflineQueue: true });
  const shown = maskUrl(url);
  let up = false;
  let wasUp = false;
  let warned = false;
  const listeners: Array<() => void | Promise<void>> = [];

  client.on('ready', () => {
    up = true;
    if (wasUp || warned) {
      logger.warn({ redis: shown }, 'shared state: Redis is back; local counts made meanwhile are being added to it');
      audit?.record('state-backend-up', { backend: 'redis' });
      for (const fn of listeners) void Promise.resolve().then(fn).catch((e) => logger.error({ err: { message: (e as Error).message } }, 'shared state: resync failed'));
    }
    wasUp = true;
    warned = false;
  });
  const down = (why: string) => {
    up = false;
    if (!warned) {
      warned = true;
      logger.warn({ redis: shown, why }, 'shared state: Redis is unreachable; limits, cooldowns, affinity and usage continue on this replica\'s local state until it is back');
      audit?.record('state-backend-down', { backend: 'redis', why });
    }
  };
  client.on('error', (e: Error) => down(e.message));
  client.on('close', () => { if (up) down('connection closed'); });
  subscriber.on('error', () => {}); // the client's events report the outage once

  return {
    client,
    subscriber,
    get up() { return up && client.status === 'ready'; },
    onReconnect(fn) { listeners.push(fn); },
    async close() {
      client.disconnect();
      subscriber.disconnect();
    },
  };
}
