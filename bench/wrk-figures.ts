// wrk's figures for the outside check: one run's, read from the line bench/outside-check.lua prints, and the
// turns of one path and level as one (outside-check.ts --rounds).

export interface Figures { rps: number; p50: number; p90: number; p99: number; errors: number; requests: number; gatewayCpuMsPerReq?: number }
/** one wrk run: its figures and how long it ran */
export interface WrkRun extends Figures { seconds: number }

/** One run's figures from wrk's output (the `WRK_JSON {...}` line of outside-check.lua; times in µs there, ms here). */
export function parseWrkOutput(out: string): WrkRun {
  const line = out.split('\n').find((l) => l.startsWith('WRK_JSON '));
  if (!line) throw new Error(`wrk printed no result:\n${out}`);
  const j = JSON.parse(line.slice('WRK_JSON '.length)) as Record<string, number>;
  const errors = j.non2xx + j.connect + j.read + j.write + j.timeout;
  const seconds = j.duration_us / 1e6;
  return { rps: j.requests / seconds, p50: j.p50 / 1000, p90: j.p90 / 1000, p99: j.p99 / 1000, errors, requests: j.requests, seconds };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** wrk's turns as one: requests/s over all of them, each percentile the turns' median (wrk prints no samples). */
export function combineWrk(runs: WrkRun[]): Figures {
  const requests = runs.reduce((n, r) => n + r.requests, 0);
  const seconds = runs.reduce((n, r) => n + r.seconds, 0);
  return {
    rps: seconds > 0 ? requests / seconds : Number.NaN,
    p50: median(runs.map((r) => r.p50)), p90: median(runs.map((r) => r.p90)), p99: median(runs.map((r) => r.p99)),
    errors: runs.reduce((n, r) => n + r.errors, 0), requests,
  };
}
