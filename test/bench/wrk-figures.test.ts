// The outside check's wrk figures: one run read from outside-check.lua's line, and rounds combined.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { combineWrk, parseWrkOutput } from '../../bench/wrk-figures.ts';

const line = (o: Record<string, number>): string =>
  `Running 4s test @ http://127.0.0.1:1/v1/messages\n  1 threads and 16 connections\nWRK_JSON ${JSON.stringify({ non2xx: 0, connect: 0, read: 0, write: 0, timeout: 0, ...o })}\n`;

test('parseWrkOutput: requests/s from the run\'s own duration, times in ms, every kind of error counted', () => {
  const r = parseWrkOutput(line({ requests: 5000, duration_us: 4_000_000, p50: 1500, p90: 2500, p99: 9000, non2xx: 1, read: 2, timeout: 3 }));
  assert.deepEqual(r, { rps: 1250, p50: 1.5, p90: 2.5, p99: 9, errors: 6, requests: 5000, seconds: 4 });
  assert.throws(() => parseWrkOutput('unable to connect to 127.0.0.1:1 Connection refused\n'), /wrk printed no result:\nunable to connect/);
});

test('combineWrk: requests over the rounds\' whole time, percentiles the rounds\' median', () => {
  const cases = [
    {
      name: 'three rounds, one slow: requests/s is all requests over all seconds, not the mean of the rates',
      runs: [[4000, 4, 1, 2, 5, 0], [2000, 4, 3, 6, 20, 1], [4400, 4.4, 1.2, 2.2, 6, 0]],
      want: { rps: 10400 / 12.4, p50: 1.2, p90: 2.2, p99: 6, errors: 1, requests: 10400 },
    },
    { name: 'two rounds: the median is their mean', runs: [[100, 1, 1, 2, 3, 0], [300, 1, 3, 4, 5, 2]], want: { rps: 200, p50: 2, p90: 3, p99: 4, errors: 2, requests: 400 } },
    { name: 'one round: itself', runs: [[800, 2, 0.5, 0.9, 1.4, 0]], want: { rps: 400, p50: 0.5, p90: 0.9, p99: 1.4, errors: 0, requests: 800 } },
  ];
  for (const c of cases) {
    const runs = c.runs.map(([requests, seconds, p50, p90, p99, errors]) => ({ rps: requests / seconds, p50, p90, p99, errors, requests, seconds }));
    const got = combineWrk(runs);
    for (const k of Object.keys(c.want) as Array<keyof typeof c.want>) assert.ok(Math.abs(got[k] - c.want[k]) < 1e-9, `${c.name}: ${k} ${got[k]} against ${c.want[k]}`);
  }
  const none = combineWrk([]);
  assert.ok(Number.isNaN(none.rps) && Number.isNaN(none.p50), 'no rounds: no figures, not zeros');
});
