// The web panel in a real headless browser (Debian's chromium through puppeteer-core) against a real gateway:
// log in with the management key, see the status, flip Packycode off and on, create a client key and use it,
// see the usage chart after a few requests, the audit trail and the recent requests. No page shows a prompt
// or a key (the new key's one-time notice aside). PACKYBRIDGE_SCREENSHOTS=1 writes the screenshots to docs/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import bcrypt from 'bcryptjs';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.ts';
import { packycodeYaml, startTestGateway, type TestGateway } from '../support/gateway.ts';
import { rawRequest, UPSTREAM_KEY } from '../e2e/sdk-harness.ts';
import { closeUpstreamPools } from '../../src/upstream/responses-client.ts';

const SECRET = 'mgmt-secret-for-the-panel';
const PROMPT = 'a private prompt for the panel test 41d2';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const shots = process.env.PACKYBRIDGE_SCREENSHOTS === '1' ? resolve(import.meta.dirname, '../../docs') : mkdtempSync(join(tmpdir(), 'pb-shots-'));

let mock: MockUpstream;
let gw: TestGateway;
let browser: Browser;
let page: Page;
let profile: string;

before(async () => {
  mock = await startMockUpstream({ apiKey: UPSTREAM_KEY });
  gw = await startTestGateway(packycodeYaml(mock.url, `remote-management:\n  secret-key: "${bcrypt.hashSync(SECRET, 4)}"\n`));
  profile = mkdtempSync(join(tmpdir(), 'pb-chromium-'));
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`],
    protocolTimeout: 60_000,
  });
  page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  page.setDefaultTimeout(30_000);
  page.on('console', (m) => { if (process.env.PANEL_DEBUG) console.log('browser:', m.text()); });
  page.on('pageerror', (e) => { if (process.env.PANEL_DEBUG) console.log('page error:', e); });
});
after(async () => {
  await browser?.close();
  await gw?.stop();
  await mock?.close();
  await closeUpstreamPools(200);
  rmSync(profile, { recursive: true, force: true });
});

const ask = (key: string) => rawRequest(`${gw.url}/v1/messages`, 'POST', { model: 'gpt-5-codex', max_tokens: 50, messages: [{ role: 'user', content: PROMPT }] }, { 'x-api-key': key });
const text = (selector: string) => page.$eval(selector, (e) => e.textContent ?? '');

async function open(hash: string): Promise<void> {
  const before = await page.evaluate(() => document.body.dataset.loaded ?? '');
  await page.evaluate((h) => {
    if (location.hash === h) window.dispatchEvent(new HashChangeEvent('hashchange')); // the same page again: reload it
    else location.hash = h;
  }, hash);
  await page.waitForFunction((b, h) => document.body.dataset.loaded !== b && document.body.dataset.page === h.slice(1), {}, before, hash);
}

async function assertNothingSecret(): Promise<void> {
  const html = await page.content();
  for (const s of [PROMPT, UPSTREAM_KEY, 'test-client-key', SECRET]) assert.ok(!html.includes(s), `the page shows no ${s.slice(0, 10)}…`);
}

test('log in, status, Packycode off and on, a new key that works, usage chart, audit, requests', async () => {
  await page.goto(`${gw.url}/panel`);
  assert.equal(await page.$eval('#login', (e) => (e as HTMLElement).hidden), false);
  await page.type('#login-key', 'a wrong key');
  await page.click('#login-form button');
  await page.waitForFunction(() => document.getElementById('login-error')!.textContent !== '');

  await page.type('#login-key', SECRET);
  await page.click('#login-form button');
  await page.waitForFunction(() => document.body.dataset.page === 'status');
  assert.match(await text('#status-facts'), /effective sourceconfig\.yaml/);
  assert.match(await text('#packycode-state'), /^enabled \(http:\/\/127\.0\.0\.1:\d+\/v1, key sk-…1234\)$/);
  assert.match(await text('#providers'), /packycode/);
  await assertNothingSecret();
  await page.screenshot({ path: join(shots, 'panel-status.png') });

  // Packycode off: the next request is refused; on again: served
  await page.click('#packycode-switch');
  await page.waitForFunction(() => document.getElementById('packycode-state')!.textContent === 'disabled');
  assert.equal(gw.runtime.snapshot.packycode.enabled, false);
  assert.equal((await ask('test-client-key')).status, 503);
  await page.click('#packycode-switch');
  await page.waitForFunction(() => document.getElementById('packycode-state')!.textContent!.startsWith('enabled'));
  assert.equal((await ask('test-client-key')).status, 200);

  // a new client key, shown once, that works at once
  await open('#keys');
  await page.type('#key-name', 'carol');
  await page.type('#key-rpm', '100');
  await page.click('#key-form button');
  await page.waitForFunction(() => !document.getElementById('new-key')!.hidden);
  const key = await text('#new-key-value');
  assert.match(key, /^pb-/);
  await page.click('#new-key-close');
  await page.waitForFunction(() => [...document.querySelectorAll('#keys tbody tr')].some((tr) => tr.textContent!.startsWith('carol')));
  for (let i = 0; i < 3; i++) assert.equal((await ask(key)).status, 200);
  assert.ok(!(await page.content()).includes(key), 'the key is gone from the page once copied');
  await open('#keys');
  assert.match(await text('#keys'), /carolsha256:…[0-9a-f]{4}any/, 'listed by name, the key masked');
  await page.screenshot({ path: join(shots, 'panel-keys.png') });

  // usage: a table row and a chart for carol
  await open('#usage');
  await page.waitForFunction(() => [...document.querySelectorAll('#usage-table tbody tr')].some((tr) => tr.textContent!.startsWith('carolgpt-5-codex3')));
  const chart = await page.evaluate(() => {
    const c = (window as unknown as { Chart: { getChart(e: Element): { data: { datasets: Array<{ label: string; data: number[] }> } } | undefined } }).Chart.getChart(document.getElementById('chart-tokens')!);
    return c?.data.datasets.map((d) => [d.label, d.data.reduce((a, b) => a + b, 0)]);
  });
  assert.ok(chart && chart.some(([label, total]) => label === 'carol' && Number(total) > 0), JSON.stringify(chart));
  await assertNothingSecret();
  await page.screenshot({ path: join(shots, 'panel-usage.png') });

  await open('#audit');
  assert.match(await text('#audit'), /client-key-created.*name: carol/);
  assert.match(await text('#audit'), /disable/);
  await page.screenshot({ path: join(shots, 'panel-audit.png') });

  await open('#requests');
  assert.match(await text('#requests'), /carol/);
  await assertNothingSecret();
  await page.screenshot({ path: join(shots, 'panel-requests.png') });
});

test('the panel files are served with a strict content security policy, to loopback only by default', async () => {
  const r = await rawRequest(`${gw.url}/panel/panel.js`, 'GET');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  assert.equal((await rawRequest(`${gw.url}/panel/..%2fconfig.yaml`, 'GET')).status, 404);
  assert.equal((await rawRequest(`${gw.url}/panel/nothing.js`, 'GET')).status, 404);
});
