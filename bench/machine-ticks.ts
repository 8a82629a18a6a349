// The whole machine's CPU ticks from /proc/stat: how busy it was (ours and other processes) and how much CPU
// time the hypervisor took from this VM (steal: its vCPUs were ready to run and were not run). On a shared VM a
// figure that stands out (a first text of 4 ms where the runs around it read 1) often comes with steal.
import { readFileSync } from 'node:fs';

export interface MachineTicks {
  busy: number;
  steal: number;
  total: number;
}

/** The first (`cpu`) line of /proc/stat as ticks; NaN when it is not there (not Linux). */
export function parseProcStat(text: string): MachineTicks {
  const line = text.split('\n')[0].trim();
  if (!line.startsWith('cpu ')) return { busy: Number.NaN, steal: Number.NaN, total: Number.NaN };
  // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user and nice
  const f = line.split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + (b || 0), 0);
  const idle = (f[3] || 0) + (f[4] || 0);
  return { busy: total - idle, steal: f[7] || 0, total };
}

export function machineTicks(read: () => string = () => readFileSync('/proc/stat', 'utf8')): MachineTicks {
  try {
    return parseProcStat(read());
  } catch {
    return { busy: Number.NaN, steal: Number.NaN, total: Number.NaN };
  }
}

/** Steal over one span or summed over several (start/stop pairs), in % of all the machine's CPU time then. */
export class StealMeter {
  #steal = 0;
  #total = 0;
  #from: MachineTicks | null = null;
  readonly #ticks: () => MachineTicks;

  constructor(ticks: () => MachineTicks = machineTicks) {
    this.#ticks = ticks;
  }

  start(): void {
    this.#from = this.#ticks();
  }

  stop(): void {
    if (this.#from === null) return;
    const to = this.#ticks();
    this.#steal += to.steal - this.#from.steal;
    this.#total += to.total - this.#from.total;
    this.#from = null;
  }

  get pct(): number {
    return this.#total > 0 ? (100 * this.#steal) / this.#total : Number.NaN;
  }
}
