// Small statistics helpers for the benchmark.

/** Nearest-rank percentile (p in 0..100); NaN for no samples. */
export function pct(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const s = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))];
}

export interface Summary { n: number; p50: number; p95: number; p99: number; mean: number }

export function summarize(samples: number[]): Summary {
  const n = samples.length;
  const mean = n === 0 ? Number.NaN : samples.reduce((a, b) => a + b, 0) / n;
  return { n, p50: pct(samples, 50), p95: pct(samples, 95), p99: pct(samples, 99), mean };
}

/** Fixed decimals, '-' for NaN. */
export function fmt(v: number, digits = 2): string {
  return Number.isFinite(v) ? v.toFixed(digits) : '-';
}
