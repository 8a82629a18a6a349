// The bench's report: the CPU budget the throughput target leaves the gateway, and its row among the targets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateTargets, gatewayCpuBudget, markdownReport, type Results, type StreamRow } from '../../bench/report.ts';

const close = (a: number, b: number, msg: string): void => assert.ok(Math.abs(a - b) < 1e-3, `${msg}: ${a} against ${b}`);

test('gatewayCpuBudget: the lower of the one-thread and the cores-left limits', () => {
  const cases = [
    // floor req/s, others' ms/req, cores, share → target req/s, one thread, cores left, budget
    { name: 'a 2-core run at 64 streams (the one thread binds)', floor: 3754, others: 0.41, cores: 2, share: 0.6, want: [2252.4, 0.444, 0.478, 0.444] },
    { name: 'heavy others (the cores bind)', floor: 3000, others: 0.8, cores: 2, share: 0.6, want: [1800, 0.556, 0.311, 0.311] },
    { name: 'more cores', floor: 3000, others: 0.8, cores: 8, share: 0.6, want: [1800, 0.556, 3.644, 0.556] },
    { name: 'a floor out of reach: nothing is left', floor: 10000, others: 0.5, cores: 2, share: 0.6, want: [6000, 0.167, -0.167, -0.167] },
    { name: 'the whole floor', floor: 1000, others: 0, cores: 1, share: 1, want: [1000, 1, 1, 1] },
  ];
  for (const c of cases) {
    const b = gatewayCpuBudget(c.floor, c.others, c.cores, c.share);
    close(b.targetRps, c.want[0], `${c.name}: target`);
    close(b.oneThreadMs, c.want[1], `${c.name}: one thread`);
    close(b.coresLeftMs, c.want[2], `${c.name}: cores left`);
    close(b.budgetMs, c.want[3], `${c.name}: budget`);
  }
  assert.equal(gatewayCpuBudget(1000, 0.1, 2).targetRps, 600, 'the share defaults to the issue\'s 60 %');
});

function streamRow(path: StreamRow['path'], concurrency: number, rps: number, cpu: { gw?: number; mock: number; lg: number }): StreamRow {
  const s = { p50: 1, p95: 2, p99: 3, mean: 1, min: 0, max: 4, n: 10 } as unknown as StreamRow['ttft'];
  return {
    path, mock: 'batch', request: 'cc76k', replyDeltas: 200, concurrency, requests: 1000, completed: 1000, errors: 0, errorSamples: [], rps,
    ttfb: s, ttft: s, total: s, kbPerReply: 2, mockCpuMsPerReq: cpu.mock, loadgenCpuMsPerReq: cpu.lg, loadavg: 1,
    ...(cpu.gw !== undefined ? { gatewayCpuMsPerReq: cpu.gw, gatewayPeakRssMb: 140 } : {}),
  } as StreamRow;
}

function results(streams: StreamRow[]): Results {
  return {
    date: '2026-11-27T00:00:00Z',
    machine: { cpu: 'test', cores: 2, node: 'v24', platform: 'linux x64', loadavgAtStart: 0 },
    setup: { request: 'cc76k', mock: 'batch', gateway: 'dist', quick: false },
    latency: [], streams, cost: [], countTokens: {},
  } as Results;
}

test('evaluateTargets: an informational budget row per stream level, beside the gateway\'s and the ceiling\'s CPU', () => {
  const r = results([
    streamRow('direct', 64, 3754, { mock: 0.22, lg: 0.22 }),
    streamRow('ceiling', 64, 1658, { gw: 0.53, mock: 0.23, lg: 0.24 }),
    streamRow('through', 64, 1300, { gw: 0.78, mock: 0.25, lg: 0.16 }),
    streamRow('direct', 16, 3000, { mock: 0.24, lg: 0.3 }),
    streamRow('through', 16, 1900, { gw: 0.3, mock: 0.5, lg: 0.14 }),
  ]);
  const targets = evaluateTargets(r);
  // the mock and the load generator: each the lower of its two paths' CPU a request (0.22 + 0.16)
  const b64 = targets.find((x) => x.name.startsWith('gateway CPU a request may cost for 60 % at 64 streams'));
  assert.ok(b64, 'the 64-stream budget row');
  close(b64.value, 0.444, 'budget at 64');
  assert.equal(b64.informational, true, 'reported, not judged');
  assert.equal(b64.pass, false, 'the gateway spent more than the budget');
  assert.equal(b64.limit, '>= 0.78');
  assert.match(b64.note ?? '', /spent 0\.78, the ceiling proxy 0\.53; 2252 req\/s allow 0\.44 on one thread, 0\.51 on the 2 cores/);
  const b16 = targets.find((x) => x.name.startsWith('gateway CPU a request may cost for 60 % at 16 streams'));
  assert.ok(b16, 'the 16-stream budget row');
  assert.equal(b16.pass, true, 'a gateway under the budget');
  assert.doesNotMatch(b16.note ?? '', /ceiling/, 'no ceiling row at 16: no ceiling figure');
  // a mock slow on the through path (0.5) counts at its direct figure (0.24): 2000 / 1800 - 0.38
  assert.match(b16.note ?? '', /1800 req\/s allow 0\.56 on one thread, 0\.73 on the 2 cores/);
  // the judged throughput rows are unchanged by it
  const t64 = targets.find((x) => x.name === 'throughput at 64 streams, through / direct floor');
  close(t64!.value, (100 * 1300) / 3754, 'throughput share');
  assert.equal(t64!.informational, undefined);
  assert.ok(!targets.some((x) => x.pass === false && x.informational !== true && x.name.startsWith('gateway CPU')), 'a budget row never fails --strict');
});

test('evaluateTargets: no budget row without a through row\'s CPU', () => {
  const targets = evaluateTargets(results([streamRow('direct', 64, 3754, { mock: 0.22, lg: 0.22 })]));
  assert.ok(!targets.some((x) => x.name.startsWith('gateway CPU a request may cost')));
});

test('markdownReport: says how many warm-up requests each path had, when the results record it', () => {
  const r = results([streamRow('direct', 64, 3754, { mock: 0.22, lg: 0.22 })]);
  assert.doesNotMatch(markdownReport(r), /warmed up/, 'older results: nothing claimed');
  const withWarmup = { ...r, setup: { ...r.setup, warmup: 6000 } };
  assert.match(markdownReport(withWarmup), /Each path is warmed up with 6000 requests before it is measured\./);
});

test('markdownReport: the paced rows as measured (streams per core from CPU per stream-second); none in older results', () => {
  const r = results([]);
  assert.doesNotMatch(markdownReport(r), /real upstream's pace/, 'results written before the paced phase have no table');
  r.paced = [
    { body: 'cc76k', streams: 64, eventEveryMs: 20, replyDeltas: 200, completed: 192, errors: 0, deltasPerSec: 44.2, cpuPct: 35, cpuMsPerStreamSec: 5.417, cpuMsPerReq: 22.53, streamsPerCore: 184.6, peakRssMb: 135, loadavg: 1.66 },
    { body: 'cc76k', streams: 256, eventEveryMs: 20, replyDeltas: 200, completed: 700, errors: 1, deltasPerSec: 41.0, cpuPct: 120, cpuMsPerStreamSec: 4.688, cpuMsPerReq: 19.5, streamsPerCore: 213.3, peakRssMb: 190, loadavg: 3.1 },
  ];
  const md = markdownReport(r);
  assert.match(md, /\*\*At a real upstream's pace\*\* \(the cc76k request, a 200-delta reply, the mock writing one event every 20 ms/);
  const rows = md.split('\n').filter((l) => /^\| +(64|256) \|/.test(l));
  assert.equal(rows.length, 2);
  assert.deepEqual(rows[0].split('|').map((c) => c.trim()).slice(1, -1), ['64', '44.2', '192', '35', '5.417', '22.53', '185', '135', '0', '1.7']);
  assert.deepEqual(rows[1].split('|').map((c) => c.trim()).slice(1, -1), ['256', '41.0', '700', '120', '4.688', '19.50', '213', '190', '1', '3.1']);
});

test('evaluateTargets and markdownReport: the latency phase\'s references, the byte pipe beside the ceiling proxy, reported not judged', () => {
  const s = (p50: number) => ({ p50, p95: p50 * 1.5, p99: p50 * 2, mean: p50, min: 0, max: p50 * 3, n: 800 }) as unknown as StreamRow['ttft'];
  const latency = (size: string, direct: number, through: number, refs: { pipe?: number; ceiling?: number; steal?: number }) => ({
    size, kb: size === 'small' ? 3.2 : 76.4, requests: 1600, errors: 0, errorSamples: [],
    direct: { ttfb: s(direct), ttft: s(direct) }, through: { ttfb: s(through), ttft: s(through) },
    addedTtftP50: through - direct, addedTtftP95: (through - direct) * 1.5,
    ...(refs.pipe !== undefined ? { pipeAddedTtftP50: refs.pipe } : {}),
    ...(refs.ceiling !== undefined ? { ceilingAddedTtftP50: refs.ceiling } : {}),
    ...(refs.steal !== undefined ? { stealPct: refs.steal } : {}),
  });
  const r = { ...results([]), latency: [latency('small', 0.3, 1.1, { pipe: 0.15, ceiling: 0.36 }), latency('cc76k', 1.0, 2.1, { pipe: 0.31, ceiling: 1.48, steal: 2.25 })] } as Results;
  const rows = evaluateTargets(r);
  const judged = rows.find((t) => t.name === 'added time to first text, 1 stream, cc76k request (p50)')!;
  close(judged.value, 1.1, 'the gateway\'s added time');
  assert.equal(judged.pass, false);
  assert.ok(!judged.informational, 'the issue\'s target is judged');
  const pipe = rows.find((t) => t.name === 'added time to first text, 1 stream, cc76k request, byte pipe (p50)')!;
  close(pipe.value, 0.31, 'the byte pipe, for the --request body');
  assert.equal(pipe.informational, true);
  assert.match(pipe.note ?? '', /any process in the path/);
  const ceiling = rows.find((t) => t.name === 'added time to first text, 1 stream, cc76k request, ceiling proxy (p50)')!;
  close(ceiling.value, 1.48, 'the ceiling proxy');
  assert.equal(ceiling.informational, true);
  assert.ok(rows.indexOf(pipe) < rows.indexOf(ceiling), 'the least first');
  const md = markdownReport(r);
  assert.match(md, /\| added first text p50 *\| *byte pipe adds, p50 *\| *ceiling proxy adds, p50 *\| *errors \|/);
  assert.match(md, /\| cc76k \(76\.4 KB\) \|.*\| +1\.100 \| +0\.310 \| +1\.480 \| +0 \| +2\.3 \|/, 'with the steal of its phase');
  assert.match(md, /\| errors \| steal % \|/);
  // results from before the byte pipe: its cells are empty, its target row absent
  const old = { ...r, latency: [latency('cc76k', 1.0, 2.1, { ceiling: 1.48 })] } as Results;
  const oldRows = evaluateTargets(old);
  assert.equal(oldRows.some((t) => t.name.includes('byte pipe')), false);
  assert.match(markdownReport(old), /\| cc76k \(76\.4 KB\) \|.*\| +1\.100 \| +\| +1\.480 \| +0 \| +\|/);
});

test('markdownReport: the hops phase as a table of steps, what the gateway\'s path adds to each; none in older results', () => {
  const r = results([]);
  assert.doesNotMatch(markdownReport(r), /Where the first text's time goes/, 'results from before the hops phase');
  r.hops = {
    size: 'cc76k', matched: { direct: 898, through: 900, sent: 1800 },
    direct: { toMock: 0.14, mock: 0.995, toClient: 0.051, total: 1.212 },
    through: { toGateway: 0.224, gatewayBefore: 0.348, toMock: 0.177, mock: 1.069, gatewayAfter: 0.193, toClient: 0.214, total: 2.328 },
  };
  const md = markdownReport(r);
  assert.match(md, /\*\*Where the first text's time goes\*\* \(the cc76k request at 1 stream/);
  assert.match(md, /898 direct and 900 through requests of 1800/);
  const cells = (label: string): string[] => {
    const line = md.split('\n').find((l) => l.startsWith(`| ${label}`));
    assert.ok(line, label);
    return line.split('|').map((c) => c.trim()).slice(2, -1);
  };
  assert.deepEqual(cells('the client\'s send to the first server\'s request start'), ['0.140', '0.224', '0.084']);
  assert.deepEqual(cells('the gateway: its request start to its upstream request'), ['', '0.348', '0.348']);
  assert.deepEqual(cells('the gateway\'s upstream request to the mock\'s request start'), ['', '0.177', '0.177']);
  assert.deepEqual(cells('the mock: its request start to its first text written'), ['0.995', '1.069', '0.074']);
  assert.deepEqual(cells('the gateway: the mock\'s text written to its own'), ['', '0.193', '0.193']);
  assert.deepEqual(cells('the last server\'s text written to the client seeing it'), ['0.051', '0.214', '0.163']);
  assert.deepEqual(cells('time to first text'), ['1.212', '2.328', '1.116']);
});

test('evaluateTargets: the errors target counts every phase\'s requests, the paced rows and the hops phase too', () => {
  const hops = {
    size: 'cc76k', matched: { direct: 10, through: 10, sent: 20 },
    direct: { toMock: 0.1, mock: 1, toClient: 0.05, total: 1.15 },
    through: { toGateway: 0.2, gatewayBefore: 0.3, toMock: 0.15, mock: 1, gatewayAfter: 0.2, toClient: 0.2, total: 2.05 },
  };
  const paced = (errors: number) => ({ body: 'cc76k', streams: 64, eventEveryMs: 20, replyDeltas: 200, completed: 100, errors, deltasPerSec: 44, cpuPct: 35, cpuMsPerStreamSec: 5, cpuMsPerReq: 22, streamsPerCore: 200, peakRssMb: 135, loadavg: 1 });
  const errorsRow = (r: Results) => evaluateTargets(r).find((t) => t.name === 'errors (every request of every run)')!;
  const clean = { ...results([]), paced: [paced(0)], hops: { ...hops, errors: 0 } } as Results;
  assert.equal(errorsRow(clean).value, 0);
  assert.equal(errorsRow(clean).pass, true, 'a run of only the paced and hops phases is judged');
  assert.equal(errorsRow({ ...clean, paced: [paced(0), paced(2)] } as Results).value, 2);
  assert.equal(errorsRow({ ...clean, hops: { ...hops, errors: 3 } } as Results).value, 3);
  assert.equal(errorsRow({ ...clean, hops } as Results).value, 0, 'results from before the hops phase counted its errors');
  assert.ok(!Number.isFinite(errorsRow(results([])).value), 'nothing ran: not judged');
});
