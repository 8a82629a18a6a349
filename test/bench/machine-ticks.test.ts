// The bench's machine ticks: /proc/stat's cpu line read as busy, stolen and total ticks, and the steal of one or
// several spans as a share of the machine's CPU time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { machineTicks, parseProcStat, StealMeter, type MachineTicks } from '../../bench/machine-ticks.ts';

test('parseProcStat: busy is all but idle and iowait, steal the eighth field, guest time not counted twice', () => {
  //        user   nice system idle   iowait irq softirq steal guest guest_nice
  const t = parseProcStat('cpu  1000 10 200 5000 40 0 50 100 300 0\ncpu0 500 5 100 2500 20 0 25 50 150 0\nintr 1 2 3\n');
  assert.deepEqual(t, { busy: 1360, steal: 100, total: 6400 });
  // an older kernel without the guest fields, or without steal at all
  assert.deepEqual(parseProcStat('cpu 1 2 3 4 5 6 7 8\n'), { busy: 27, steal: 8, total: 36 });
  assert.deepEqual(parseProcStat('cpu 1 2 3 4\n'), { busy: 6, steal: 0, total: 10 });
});

test('machineTicks: NaN, not a throw, where /proc/stat is missing or is not what it should be', () => {
  const missing = machineTicks(() => { throw new Error('ENOENT'); });
  assert.ok(Number.isNaN(missing.busy) && Number.isNaN(missing.steal) && Number.isNaN(missing.total));
  assert.ok(Number.isNaN(machineTicks(() => 'intr 1 2 3\n').total));
  const real = machineTicks();
  if (process.platform === 'linux') assert.ok(real.total > 0 && real.steal >= 0 && real.busy <= real.total, JSON.stringify(real));
});

test('StealMeter: the steal of its spans over their CPU time, what happens between spans left out', () => {
  const readings: MachineTicks[] = [
    { busy: 0, steal: 0, total: 0 },
    { busy: 150, steal: 10, total: 200 }, // span 1: 10 of 200
    { busy: 900, steal: 500, total: 5000 }, // between the spans: not counted
    { busy: 1000, steal: 530, total: 5200 }, // span 2: 30 of 200
  ];
  let i = 0;
  const m = new StealMeter(() => readings[i++]);
  assert.ok(Number.isNaN(m.pct), 'nothing measured yet');
  m.start(); m.stop();
  assert.equal(m.pct, 5);
  m.start(); m.stop();
  assert.equal(m.pct, 10, '40 of 400');
  m.stop(); // a stop without a start changes nothing
  assert.equal(m.pct, 10);
});
