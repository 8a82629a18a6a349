// Client limits shared by every replica: the window counters live in Redis, and one Lua script decides and
// counts a request atomically, so two replicas cannot both take the last slot. While Redis is away each replica
// counts locally (a warning says so); what it counted meanwhile is added to Redis when it is back.
import type { ClientLimits } from '../config/types.ts';
import type { ClientLimiter } from '../accounting/limiter.ts';
import { MemoryLimiter } from '../accounting/limiter.ts';
import { DAY_MS, MINUTE_MS, dayWindow, decide, minuteWindow, type LimitDecision, type WindowCounts } from '../accounting/limit-windows.ts';
import { KEY_PREFIX, type SharedRedis } from './redis-connection.ts';

// KEYS: requests-minute, tokens-minute, tokens-day. ARGV: rpm, tpm, tpd (0 = none), minute ttl ms, day ttl ms.
// Returns {0} when admitted (and counted), else {1|2|3} for the limit that refused (day, minute tokens, requests).
const ADMIT = `
local tpd = tonumber(ARGV[3]); local tpm = tonumber(ARGV[2]); local rpm = tonumber(ARGV[1])
if tpd > 0 and tonumber(redis.call('GET', KEYS[3]) or '0') >= tpd then return 1 end
if tpm > 0 and tonumber(redis.call('GET', KEYS[2]) or '0') >= tpm then return 2 end
if rpm > 0 and tonumber(redis.call('GET', KEYS[1]) or '0') >= rpm then return 3 end
redis.call('INCR', KEYS[1]); redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 0`;

const keys = (client: string, now: number) => {
  const base = `${KEY_PREFIX}limit:${client}:`;
  return [`${base}rpm:${minuteWindow(now)}`, `${base}tpm:${minuteWindow(now)}`, `${base}tpd:${dayWindow(now)}`];
};

interface Outage { requests: number; tokens: number; at: number }

export class RedisLimiter implements ClientLimiter {
  readonly #redis: SharedRedis;
  readonly #local = new MemoryLimiter();
  // what was counted locally while Redis was away, per client and window (added to Redis when it is back)
  readonly #outage = new Map<string, Outage>();

  constructor(redis: SharedRedis) {
    this.#redis = redis;
    redis.onReconnect(() => this.#replay());
  }

  async admit(client: string, limits: ClientLimits, now = Date.now()): Promise<LimitDecision> {
    if (this.#redis.up) {
      try {
        const r = Number(await this.#redis.client.eval(ADMIT, 3, ...keys(client, now),
          limits.requestsPerMinute ?? 0, limits.tokensPerMinute ?? 0, limits.tokensPerDay ?? 0, MINUTE_MS * 2, DAY_MS * 2));
        if (r === 0) return { ok: true };
        // the refusal as the shared decision makes it, with its retry-after
        const big = Number.MAX_SAFE_INTEGER;
        return decide(limits, { requests: r === 3 ? big : 0, tokensMinute: r === 2 ? big : 0, tokensDay: r === 1 ? big : 0 }, now);
      } catch {
        // fall through: decided locally, counted for the replay
      }
    }
    const d = this.#local.admitNow(client, limits, now);
    if (d.ok) this.#owe(client, now, 1, 0);
    return d;
  }

  addTokens(client: string, tokens: number, now = Date.now()): void {
    if (!(tokens > 0)) return;
    this.#local.addTokens(client, tokens, now);
    if (!this.#redis.up) { this.#owe(client, now, 0, tokens); return; }
    const [, tpm, tpd] = keys(client, now);
    this.#redis.client.multi().incrby(tpm, tokens).pexpire(tpm, MINUTE_MS * 2).incrby(tpd, tokens).pexpire(tpd, DAY_MS * 2).exec()
      .catch(() => this.#owe(client, now, 0, tokens));
  }

  async counts(client: string, now = Date.now()): Promise<WindowCounts> {
    if (this.#redis.up) {
      try {
        const [rpm, tpm, tpd] = await this.#redis.client.mget(...keys(client, now));
        return { requests: Number(rpm ?? 0), tokensMinute: Number(tpm ?? 0), tokensDay: Number(tpd ?? 0) };
      } catch {
        // local figures below
      }
    }
    return this.#local.counts(client, now);
  }

  #owe(client: string, now: number, requests: number, tokens: number): void {
    const id = `${client}\u0000${minuteWindow(now)}`;
    const o = this.#outage.get(id) ?? { requests: 0, tokens: 0, at: now };
    o.requests += requests;
    o.tokens += tokens;
    this.#outage.set(id, o);
  }

  async #replay(): Promise<void> {
    const owed = [...this.#outage.entries()];
    this.#outage.clear();
    const m = this.#redis.client.multi();
    for (const [id, o] of owed) {
      const [rpm, tpm, tpd] = keys(id.split('\u0000')[0], o.at);
      if (o.requests) m.incrby(rpm, o.requests).pexpire(rpm, MINUTE_MS * 2);
      if (o.tokens) m.incrby(tpm, o.tokens).pexpire(tpm, MINUTE_MS * 2).incrby(tpd, o.tokens).pexpire(tpd, DAY_MS * 2);
    }
    try {
      await m.exec();
    } catch (e) {
      for (const [id, o] of owed) this.#outage.set(id, o); // kept for the next reconnect
      throw e;
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
