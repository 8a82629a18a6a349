// state.backend: redis moves what replicas must share into Redis: client limit counters, cooldowns and session
// affinity (RoutingState with a local mirror), and usage rows. Chosen at start-up (a change needs a restart).
import type { Runtime } from '../runtime.ts';
import { connectRedis, maskUrl, type SharedRedis } from './redis-connection.ts';
import { RedisLimiter } from './redis-limiter.ts';
import { RedisRoutingState } from './redis-routing-state.ts';
import { RedisUsageStore } from './redis-usage-store.ts';

export interface SharedState {
  redis: SharedRedis;
  usage: RedisUsageStore;
  /** the URL without its password, for the start-up notes */
  where: string;
  close(): Promise<void>;
}

/** Connects when state.backend is redis (waiting up to `waitMs` for the first connection); undefined otherwise. */
export async function startSharedState(runtime: Runtime, waitMs = 3_000): Promise<SharedState | undefined> {
  const { state } = runtime.snapshot;
  if (state.backend !== 'redis') return undefined;
  const redis = connectRedis(state.url, runtime.logger, runtime.audit);
  runtime.limiter = new RedisLimiter(redis);
  runtime.routingState = new RedisRoutingState(redis);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, waitMs);
    redis.client.once('ready', () => { clearTimeout(timer); resolve(); });
  });
  return {
    redis,
    usage: new RedisUsageStore(redis),
    where: maskUrl(state.url),
    close: () => redis.close(),
  };
}
