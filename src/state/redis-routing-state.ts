// RoutingState shared by every replica: reads answer from a local mirror (a MemoryRoutingState) at once;
// writes apply to the mirror, are stored in Redis (with their expiry) and published, and every replica's
// subscriber applies them to its own mirror. On (re)connection the mirror is loaded from Redis and the writes
// made while Redis was away are pushed to it, so nothing is lost.
import type { RoutingState } from './routing-state.ts';
import { MemoryRoutingState } from './memory-routing-state.ts';
import { KEY_PREFIX, type SharedRedis } from './redis-connection.ts';

const CHANNEL = `${KEY_PREFIX}routing`;
const COOLDOWN = `${KEY_PREFIX}cooldown:`;
const SESSION = `${KEY_PREFIX}session:`;

type Change =
  | { op: 'cooldown'; id: string; until: number; reason: string }
  | { op: 'clear-cooldown'; id: string }
  | { op: 'session'; id: string; candidate: string; until: number }
  | { op: 'clear-session'; id: string };

export class RedisRoutingState implements RoutingState {
  readonly #mirror = new MemoryRoutingState();
  readonly #redis: SharedRedis;
  readonly #origin = Math.random().toString(36).slice(2);
  // writes made while Redis was away, in order (the latest per id wins when they are pushed)
  readonly #unsent = new Map<string, Change>();

  constructor(redis: SharedRedis) {
    this.#redis = redis;
    void redis.subscriber.subscribe(CHANNEL).catch(() => {});
    redis.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== CHANNEL) return;
      try {
        const { origin, change } = JSON.parse(message) as { origin: string; change: Change };
        if (origin !== this.#origin) this.#applyLocal(change);
      } catch { /* not ours */ }
    });
    // on each (re)connection, and again a little later: other replicas push what they wrote during an outage
    // when they reconnect, possibly before this replica's subscription is back
    const resyncSoon = () => {
      for (const ms of [0, 1_000, 3_000]) setTimeout(() => { if (this.#redis.up) void this.#resync().catch(() => {}); }, ms).unref();
    };
    redis.client.on('ready', resyncSoon);
    if (redis.up) resyncSoon();
  }

  cooldownUntil(id: string): number { return this.#mirror.cooldownUntil(id); }
  sessionRoute(sessionId: string): string | undefined { return this.#mirror.sessionRoute(sessionId); }

  setCooldown(id: string, untilMs: number, reason: string): void {
    this.#write({ op: 'cooldown', id, until: untilMs, reason });
  }
  clearCooldown(id: string): void {
    this.#write({ op: 'clear-cooldown', id });
  }
  setSessionRoute(sessionId: string, candidateId: string, ttlMs: number): void {
    this.#write({ op: 'session', id: sessionId, candidate: candidateId, until: Date.now() + ttlMs });
  }
  clearSessionRoute(sessionId: string): void {
    this.#write({ op: 'clear-session', id: sessionId });
  }

  #applyLocal(c: Change): void {
    const now = Date.now();
    if (c.op === 'cooldown') this.#mirror.setCooldown(c.id, c.until, c.reason);
    else if (c.op === 'clear-cooldown') this.#mirror.clearCooldown(c.id);
    else if (c.op === 'session') { if (c.until > now) this.#mirror.setSessionRoute(c.id, c.candidate, c.until - now); }
    else this.#mirror.clearSessionRoute(c.id);
  }

  #write(c: Change): void {
    this.#applyLocal(c);
    if (!this.#redis.up) { this.#keep(c); return; }
    this.#send([c]).catch(() => this.#keep(c));
  }

  /** Keeps a write for the next connection; the latest write per session or credential wins. */
  #keep(c: Change): void {
    this.#unsent.set(`${c.op.includes('session') ? 'session' : 'cooldown'}\u0000${c.id}`, c);
  }

  async #send(changes: Change[]): Promise<void> {
    const m = this.#redis.client.multi();
    const now = Date.now();
    for (const c of changes) {
      if (c.op === 'cooldown') { if (c.until > now) m.set(COOLDOWN + c.id, JSON.stringify({ until: c.until, reason: c.reason }), 'PX', c.until - now); }
      else if (c.op === 'clear-cooldown') m.del(COOLDOWN + c.id);
      else if (c.op === 'session') { if (c.until > now) m.set(SESSION + c.id, JSON.stringify({ candidate: c.candidate, until: c.until }), 'PX', c.until - now); }
      else m.del(SESSION + c.id);
      m.publish(CHANNEL, JSON.stringify({ origin: this.#origin, change: c }));
    }
    await m.exec();
  }

  /** Pushes the writes made meanwhile, then loads what the other replicas wrote. */
  async #resync(): Promise<void> {
    const unsent = [...this.#unsent.values()];
    this.#unsent.clear();
    if (unsent.length) await this.#send(unsent).catch((e) => { for (const c of unsent) this.#keep(c); throw e; });
    for (const [prefix, op] of [[COOLDOWN, 'cooldown'], [SESSION, 'session']] as const) {
      let cursor = '0';
      do {
        const [next, found] = await this.#redis.client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
        cursor = next;
        if (found.length === 0) continue;
        const values = await this.#redis.client.mget(...found);
        found.forEach((key, i) => {
          const v = values[i];
          if (!v) return;
          const parsed = JSON.parse(v) as { until: number; reason?: string; candidate?: string };
          const id = key.slice(prefix.length);
          this.#applyLocal(op === 'cooldown' ? { op, id, until: parsed.until, reason: parsed.reason ?? '' } : { op, id, candidate: parsed.candidate ?? '', until: parsed.until });
        });
      } while (cursor !== '0');
    }
  }
}
