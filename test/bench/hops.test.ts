// The bench's hops phase: joining one request's times from the load generator, the gateway and the mock
// (bench/hops.ts), and the preload that notes them (bench/hop-tap.mjs) in a real mock and gateway.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hopBreakdown, parseHopRecords, type ClientStamp, type HopRecord } from '../../bench/hops.ts';
import { CLIENT_KEY, startGateway, startLoadGen, startMock, stop, removeDir } from '../../bench/procs.ts';

const rec = (r: Partial<HopRecord> & { start: number }): HopRecord => ({ stamp: null, viaGateway: false, upstream: null, text: null, ...r });

test('hopBreakdown: a direct and a through request become their steps, which add up to the time to first text', () => {
  // direct: sent 100, the mock starts at 100.2, writes its text at 101.0, the client sees it at 101.1
  // through: sent 200, the gateway starts at 200.25, calls the mock at 200.55; the mock starts at 200.7, writes
  // its text at 201.5; the gateway writes its own at 201.6; the client sees it at 201.8
  const mock = [rec({ stamp: 100, start: 100.2, text: 101.0 }), rec({ viaGateway: true, start: 200.7, text: 201.5 })];
  const gateway = [rec({ stamp: 200, start: 200.25, upstream: 200.55, text: 201.6 })];
  const h = hopBreakdown('cc76k', [[100, 101.1]], [[200, 201.8]], mock, gateway);
  assert.deepEqual(h.matched, { direct: 1, through: 1, sent: 2 });
  const near = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} != ${b}`);
  near(h.direct.toMock, 0.2, 'direct toMock');
  near(h.direct.mock, 0.8, 'direct mock');
  near(h.direct.toClient, 0.1, 'direct toClient');
  near(h.direct.total, 1.1, 'direct total');
  const t = h.through;
  near(t.toGateway, 0.25, 'toGateway');
  near(t.gatewayBefore, 0.3, 'gatewayBefore');
  near(t.toMock, 0.15, 'toMock');
  near(t.mock, 0.8, 'mock');
  near(t.gatewayAfter, 0.1, 'gatewayAfter');
  near(t.toClient, 0.2, 'toClient');
  near(t.total, 1.8, 'total');
  near(t.toGateway + t.gatewayBefore + t.toMock + t.mock + t.gatewayAfter + t.toClient, t.total, 'the steps add up');
});

test('hopBreakdown: the mock request a through request made is the first the mock started after the gateway called it', () => {
  const gateway = [
    rec({ stamp: 10, start: 10.1, upstream: 10.3, text: 11.5 }),
    rec({ stamp: 20, start: 20.1, upstream: 20.3, text: 21.9 }),
  ];
  const mock = [
    // out of order in the file (each is appended when its response finished); one from a warm-up before them all
    rec({ viaGateway: true, start: 20.4, text: 21.7 }),
    rec({ viaGateway: true, start: 1.0, text: 2.0 }),
    rec({ viaGateway: true, start: 10.4, text: 11.3 }),
    // a direct request with a stamp equal to a through request's: not the gateway's, never joined to it
    rec({ stamp: 20, start: 20.35, text: 20.5 }),
  ];
  const h = hopBreakdown('small', [], [[10, 11.6], [20, 22.0]], mock, gateway);
  assert.equal(h.matched.through, 2);
  // the p50s (nearest rank: the lower of two) from the mock's start 10.4 and 20.4, not 20.35 or 1.0 (which would
  // give a toMock of 0.05 or none, and a mock step of 0.15)
  assert.ok(Math.abs(h.through.toMock - 0.1) < 1e-9, String(h.through.toMock));
  assert.ok(Math.abs(h.through.mock - 0.9) < 1e-9, String(h.through.mock));
});

test('hopBreakdown: a request that lost a record or whose times run backwards is left out and counted as not matched', () => {
  const cases: Array<[string, ClientStamp[], HopRecord[], HopRecord[]]> = [
    ['no gateway record', [[5, 6]], [rec({ viaGateway: true, start: 5.3, text: 5.8 })], []],
    ['the gateway never called the upstream', [[5, 6]], [rec({ viaGateway: true, start: 5.3, text: 5.8 })], [rec({ stamp: 5, start: 5.1, text: 5.9 })]],
    ['no mock request after the call', [[5, 6]], [rec({ viaGateway: true, start: 4.0, text: 4.5 })], [rec({ stamp: 5, start: 5.1, upstream: 5.2, text: 5.9 })]],
    ['the mock never wrote text', [[5, 6]], [rec({ viaGateway: true, start: 5.3 })], [rec({ stamp: 5, start: 5.1, upstream: 5.2, text: 5.9 })]],
    ['the client saw the text before the gateway wrote it', [[5, 5.85]], [rec({ viaGateway: true, start: 5.3, text: 5.8 })], [rec({ stamp: 5, start: 5.1, upstream: 5.2, text: 5.9 })]],
    ['the client never saw text', [[5, -1]], [rec({ viaGateway: true, start: 5.3, text: 5.8 })], [rec({ stamp: 5, start: 5.1, upstream: 5.2, text: 5.9 })]],
  ];
  for (const [name, through, mock, gateway] of cases) {
    const h = hopBreakdown('small', [], through, mock, gateway);
    assert.equal(h.matched.through, 0, name);
    assert.equal(h.matched.sent, 1, name);
    assert.ok(Number.isNaN(h.through.total), `${name}: no median of nothing`);
  }
  // direct: the mock's record of another stamp, or a text written before the request started
  assert.equal(hopBreakdown('small', [[7, 8]], [], [rec({ stamp: 6, start: 7.1, text: 7.5 })], []).matched.direct, 0);
  assert.equal(hopBreakdown('small', [[7, 8]], [], [rec({ stamp: 7, start: 7.6, text: 7.5 })], []).matched.direct, 0);
});

test('parseHopRecords: whole lines only (a process stopped mid-line leaves a torn one)', () => {
  const text = '{"stamp":1,"viaGateway":false,"start":2,"upstream":null,"text":3}\n\n{"stamp":null,"viaGa\nnot json\n{"other":1}\n';
  assert.deepEqual(parseHopRecords(text), [{ stamp: 1, viaGateway: false, start: 2, upstream: null, text: 3 }]);
});

test('hops phase, end to end: a tapped mock and gateway and a stamping load generator give every request its steps, and the records hold times only', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hops-test-'));
  const tap = ['--import', new URL('../../bench/hop-tap.mjs', import.meta.url).href];
  const reply = 'Hello from the tapped mock, in a few words.';
  const mock = await startMock(`text:${reply}`, { echo: true, nodeFlags: tap, env: { BENCH_HOP_TAP: join(dir, 'mock.jsonl') } });
  const gw = await startGateway(mock.url, { nodeFlags: tap, env: { BENCH_HOP_TAP: join(dir, 'gateway.jsonl') } });
  const lg = startLoadGen();
  try {
    const direct = { origin: mock.origin, path: '/v1/responses', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench-upstream-key-0000', accept: 'text/event-stream' }, mode: 'responses' as const };
    const through = { origin: gw.origin, path: '/v1/messages?beta=true', headers: { 'content-type': 'application/json', 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01' }, mode: 'anthropic' as const };
    const d = await lg.run({ ...direct, body: 'cc76k-direct', concurrency: 1, requests: 20, warmup: 5, maxMs: 30_000, stamp: true });
    const t = await lg.run({ ...through, body: 'cc76k', concurrency: 1, requests: 20, warmup: 5, maxMs: 30_000, stamp: true });
    assert.equal(d.errors + t.errors, 0, [...d.errorSamples, ...t.errorSamples].join('; '));
    assert.equal(d.stamps?.length, 20);
    assert.equal(t.stamps?.length, 20);
    await new Promise((r) => setTimeout(r, 300));
    const mockText = readFileSync(join(dir, 'mock.jsonl'), 'utf8');
    const gatewayText = readFileSync(join(dir, 'gateway.jsonl'), 'utf8');
    // times only: no body byte, no reply text, no key
    for (const text of [mockText, gatewayText]) {
      assert.ok(!text.includes(reply.slice(0, 12)) && !text.includes('bench-client-key') && !text.includes('sk-bench'), 'a record holds no content');
      for (const r of parseHopRecords(text)) assert.deepEqual(Object.keys(r).sort(), ['stamp', 'start', 'text', 'upstream', 'viaGateway']);
    }
    const h = hopBreakdown('cc76k', d.stamps!, t.stamps!, parseHopRecords(mockText), parseHopRecords(gatewayText));
    assert.deepEqual(h.matched, { direct: 20, through: 20, sent: 40 });
    for (const [k, v] of [...Object.entries(h.direct), ...Object.entries(h.through)]) assert.ok(Number.isFinite(v) && v >= 0, `${k}: ${v}`);
    // the gateway's path holds a whole direct path (the mock's part) and more
    assert.ok(h.through.total > h.through.mock && h.direct.total > h.direct.mock);
  } finally {
    await stop(lg.proc);
    await stop(gw.proc);
    await stop(mock.proc);
    removeDir(gw.dir);
    rmSync(dir, { recursive: true, force: true });
  }
});
