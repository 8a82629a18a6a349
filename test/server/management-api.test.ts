// /v0/management through real HTTP and a real config.yaml in a temporary folder: reading, PUT/PATCH
// semantics, validation before writing, sources other than config.yaml, comments kept, concurrency.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parse } from 'yaml';
import bcrypt from 'bcryptjs';
import { startGateway, type RunningGateway } from '../../src/serve.ts';
import { memoryLogger, packycodeYaml, startTestGateway, type TestGateway } from '../support/gateway.ts';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.ts';

const SECRET = 'mgmt-secret-for-tests-0001';
const SECRET_HASH = bcrypt.hashSync(SECRET, 4);
const UPSTREAM_KEY = 'sk-test-upstream-key-1234';
const AUTH = { authorization: `Bearer ${SECRET}` };
const CLIENT = { 'x-api-key': 'test-client-key' };

interface Answer { status: number; body: any; headers: Headers }

async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = AUTH): Promise<Answer> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  const res = await fetch(base + path, init);
  const text = await res.text();
  let parsed: unknown = text;
  try { parsed = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, body: parsed, headers: res.headers };
}

const management = `remote-management:\n  secret-key: "${SECRET_HASH}"\n`;

// A hand-written file with comments everywhere: writes must keep every byte outside the changed lines.
const COMMENTED = (url: string) => `# packybridge on my laptop
#   keep these comments

host: 127.0.0.1      # loopback only
api-keys:
  - test-client-key   # the only client
${management}
# ---- Packycode ----
packycode:
  enabled: true            # flip to false to pause
  base-url: ${url}
  # the key, straight in the file for this test
  credentials:
    openai-api-key: ${UPSTREAM_KEY}
  defaults:
    model: gpt-5          # default model
    model-reasoning-effort: high   # thinking effort
  model-map:
    - match: "claude-*haiku*"
      model: gpt-5-codex-low

# trailing comment
`;

let mock: MockUpstream;
before(async () => { mock = await startMockUpstream(); });
after(() => mock.close());

/** Asserts b differs from a only in lines matching `changed` (same line count), and in exactly one line each. */
function assertOnlyChanged(a: string, b: string, ...changed: RegExp[]): void {
  const la = a.split('\n');
  const lb = b.split('\n');
  assert.equal(lb.length, la.length, 'same number of lines');
  const diff = lb.filter((l, i) => l !== la[i]);
  assert.equal(diff.length, changed.length, `changed lines: ${JSON.stringify(diff)}`);
  diff.forEach((l, i) => assert.match(l, changed[i]));
}

describe('GET /v0/management/packycode', () => {
  let gw: TestGateway;
  before(async () => { gw = await startTestGateway(packycodeYaml(mock.url, management)); });
  after(() => gw.stop());

  test('the configuration in force, key masked, effective-source read-only', async () => {
    const r = await call(gw.url, 'GET', '/v0/management/packycode');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, {
      enabled: true,
      'base-url': mock.url,
      'requires-openai-auth': true,
      'wire-api': 'responses',
      privacy: { 'disable-response-storage': true },
      defaults: { model: 'gpt-5-codex', 'model-reasoning-effort': 'medium' },
      credentials: { 'openai-api-key': 'sk-…1234' },
      'model-map': [],
      'forward-sampling-params': false,
      'effective-source': 'config.yaml',
    });
  });

  test('?reveal=true shows the key, and the audit says it was shown (not what it is)', async () => {
    const r = await call(gw.url, 'GET', '/v0/management/packycode?reveal=true');
    assert.equal(r.body.credentials['openai-api-key'], UPSTREAM_KEY);
    const last = gw.runtime.audit.recent(1)[0];
    assert.equal(last.kind, 'key-revealed');
    assert.equal(last.setting, 'packycode.credentials.openai-api-key');
    assert.ok(!JSON.stringify(last).includes(UPSTREAM_KEY));
  });

  test('GET /v0/management/config: the whole configuration, secrets masked', async () => {
    const r = await call(gw.url, 'GET', '/v0/management/config');
    assert.equal(r.status, 200);
    assert.equal(r.body.path, gw.configPath);
    assert.deepEqual(r.body['api-keys'], ['test-…-key']);
    assert.equal(r.body['remote-management']['secret-key'], '(bcrypt hash)');
    assert.equal(r.body.packycode.credentials['openai-api-key'], 'sk-…1234');
    assert.equal(r.body['effective-source'], 'config.yaml');
    const text = JSON.stringify(r.body);
    for (const secret of [UPSTREAM_KEY, SECRET, SECRET_HASH, 'test-client-key']) assert.ok(!text.includes(secret), `${secret.slice(0, 6)}… not shown`);
  });

  test('GET /v0/management/status: version, uptime, source, providers, models, counters', async () => {
    const msg = await call(gw.url, 'POST', '/v1/messages', { model: 'gpt-5-codex', max_tokens: 50, messages: [{ role: 'user', content: 'status check' }] }, CLIENT);
    assert.equal(msg.status, 200);
    const r = await call(gw.url, 'GET', '/v0/management/status');
    assert.equal(r.status, 200);
    assert.match(r.body.version, /^\d+\.\d+\.\d+/);
    assert.equal(typeof r.body['uptime-seconds'], 'number');
    assert.equal(r.body['effective-source'], 'config.yaml');
    assert.equal(r.body.providers.length, 1);
    assert.equal(r.body.providers[0]['base-url'], mock.url);
    assert.ok(r.body.models.includes('gpt-5-codex') && r.body.models.includes('gpt-5-codex-high'));
    assert.ok(r.body.counters.requests >= 1);
    assert.equal(r.body.counters['upstream-errors'], 0);
    assert.deepEqual(r.body['packycode-problems'], []);
  });

  test('GET /v0/management/audit?limit=N: the newest N events; a bad limit is a 400', async () => {
    const all = await call(gw.url, 'GET', '/v0/management/audit');
    assert.equal(all.status, 200);
    const startup = all.body.events.find((e: any) => e.kind === 'startup');
    assert.equal(startup.effectiveSource, 'config.yaml');
    const one = await call(gw.url, 'GET', '/v0/management/audit?limit=1');
    assert.equal(one.body.events.length, 1);
    assert.deepEqual(one.body.events[0], all.body.events[all.body.events.length - 1]);
    assert.equal((await call(gw.url, 'GET', '/v0/management/audit?limit=abc')).status, 400);
  });
});

describe('PATCH and PUT /v0/management/packycode', () => {
  let gw: TestGateway;
  let text: string;
  before(async () => {
    gw = await startTestGateway(COMMENTED(mock.url));
    text = readFileSync(gw.configPath, 'utf8');
  });
  after(() => gw.stop());
  const file = () => readFileSync(gw.configPath, 'utf8');

  test('PATCH {"enabled": false} changes only that line; every comment stays byte for byte; models go', async () => {
    const r = await call(gw.url, 'PATCH', '/v0/management/packycode', { enabled: false });
    assert.equal(r.status, 200);
    assert.equal(r.body.enabled, false);
    assert.equal(r.body.defaults.model, 'gpt-5', 'the rest as it was');
    assert.equal(r.body['model-map'].length, 1);
    assert.equal(r.body.note, undefined, 'config.yaml was the source already');
    const after1 = file();
    // the changed line keeps its comment (its alignment is re-spaced); every other byte stays
    assertOnlyChanged(text, after1, /^ {2}enabled: false +# flip to false to pause$/);
    const models = await call(gw.url, 'GET', '/v1/models', undefined, CLIENT);
    assert.deepEqual(models.body.data, []);
    const refused = await call(gw.url, 'POST', '/v1/messages', { model: 'gpt-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }, CLIENT);
    assert.equal(refused.status, 503);
    assert.match(refused.body.error.message, /disabled/);
    text = after1;
  });

  test('PATCH {"enabled": true} brings the models back', async () => {
    const r = await call(gw.url, 'PATCH', '/v0/management/packycode', { enabled: true });
    assert.equal(r.status, 200);
    const models = await call(gw.url, 'GET', '/v1/models', undefined, CLIENT);
    assert.ok(models.body.data.some((m: any) => m.id === 'gpt-5-codex-high'));
    text = file();
  });

  test('PATCH {"defaults": {"model": ...}} changes only defaults.model (nested keys merge)', async () => {
    const r = await call(gw.url, 'PATCH', '/v0/management/packycode', { defaults: { model: 'gpt-5-codex' } });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.defaults, { model: 'gpt-5-codex', 'model-reasoning-effort': 'high' });
    assertOnlyChanged(text, file(), /^ {4}model: gpt-5-codex +# default model$/);
    assert.equal(gw.runtime.snapshot.packycode.defaults.model, 'gpt-5-codex');
    text = file();
  });

  test('the body may be wrapped as {"packycode": {...}}', async () => {
    const r = await call(gw.url, 'PATCH', '/v0/management/packycode', { packycode: { 'forward-sampling-params': true } });
    assert.equal(r.status, 200);
    assert.equal(r.body['forward-sampling-params'], true);
    assert.equal(parse(file()).packycode['forward-sampling-params'], true);
    text = file();
  });

  test('the audit names the changed keys, never their values', async () => {
    const events = (await call(gw.url, 'GET', '/v0/management/audit')).body.events;
    const changes = events.filter((e: any) => e.kind === 'config-change' && e.trigger === 'management');
    assert.deepEqual(changes.map((e: any) => e.keys), [['packycode.enabled'], ['packycode.enabled'], ['packycode.defaults.model'], ['packycode.forward-sampling-params']]);
    assert.ok(events.some((e: any) => e.kind === 'disable' && e.trigger === 'management'));
    assert.ok(events.some((e: any) => e.kind === 'enable' && e.trigger === 'management'));
    const dump = JSON.stringify(events);
    assert.ok(!dump.includes('gpt-5-codex"') && !dump.includes(UPSTREAM_KEY), 'no values');
  });

  for (const [name, body, path, message, fix] of [
    ['a URL without a scheme', { 'base-url': 'codex-api.packycode.com/v1' }, 'base-url', /"codex-api\.packycode\.com\/v1" is not an http\(s\) URL/, /write https:\/\/codex-api\.packycode\.com\/v1/],
    ['an unknown effort', { defaults: { 'model-reasoning-effort': 'extreme' } }, 'defaults.model-reasoning-effort', /extreme/, /minimal, low, medium, high/],
    ['a masked key that is not the one in force', { credentials: { 'openai-api-key': 'sk-…9999' } }, 'credentials.openai-api-key', /masked/, /full key/],
    ['a typo in a key name', { base_url: 'https://x.example/v1' }, 'base_url', /unknown key/, /base-url/],
    ['effective-source (read-only)', { 'effective-source': 'env' }, 'effective-source', /read-only/, /remove effective-source/],
    ['effective-source, wrapped', { packycode: { enabled: true, 'effective-source': 'env' } }, 'effective-source', /read-only/, /remove/],
    ['a list instead of an object', [1, 2], '', /JSON object/, /enabled/],
  ] as const) {
    test(`422 for ${name}: details with path, message and fix; the file stays byte-identical`, async () => {
      for (const method of ['PATCH', 'PUT']) {
        const before = file();
        const r = await call(gw.url, method, '/v0/management/packycode', body);
        assert.equal(r.status, 422, `${method}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error, 'invalid_packycode');
        const d = r.body.details.find((x: any) => x.path === path);
        assert.ok(d, `${method}: a problem at ${path}: ${JSON.stringify(r.body.details)}`);
        assert.match(d.message, message);
        assert.match(d.fix, fix);
        assert.equal(file(), before);
      }
    });
  }

  test('PUT of an incomplete enabled block: 422 listing every missing value; nothing written', async () => {
    const before = file();
    const r = await call(gw.url, 'PUT', '/v0/management/packycode', { enabled: true });
    assert.equal(r.status, 422);
    assert.deepEqual(r.body.details.map((d: any) => d.path).sort(), ['base-url', 'credentials.openai-api-key']);
    assert.equal(file(), before);
    assert.equal(gw.runtime.snapshot.packycode.enabled, true);
  });

  test('bad JSON -> 400, empty body -> 400, nothing written', async () => {
    const before = file();
    const bad = await call(gw.url, 'PATCH', '/v0/management/packycode', '{"enabled": fal');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error, 'bad_json');
    const empty = await fetch(gw.url + '/v0/management/packycode', { method: 'PATCH', headers: AUTH });
    assert.equal(empty.status, 400);
    assert.equal(file(), before);
  });

  test('a body sent without a JSON content type (curl -d) is read as JSON', async () => {
    const res = await fetch(gw.url + '/v0/management/packycode', {
      method: 'PATCH', headers: { ...AUTH, 'content-type': 'application/x-www-form-urlencoded' }, body: '{"privacy": {"disable-response-storage": false}}',
    });
    assert.equal(res.status, 200);
    assert.equal(parse(file()).packycode.privacy['disable-response-storage'], false);
    text = file();
  });

  test('a body sent as text/plain, or with no content type, is read as JSON too', async () => {
    const plain = await fetch(gw.url + '/v0/management/packycode', {
      method: 'PATCH', headers: { ...AUTH, 'content-type': 'text/plain' }, body: '{"privacy": {"disable-response-storage": true}}',
    });
    assert.equal(plain.status, 200, await plain.clone().text());
    assert.equal(parse(file()).packycode.privacy['disable-response-storage'], true);
    // a byte body: fetch sends no content-type at all
    const none = await fetch(gw.url + '/v0/management/packycode', {
      method: 'PATCH', headers: AUTH, body: new TextEncoder().encode('{"privacy": {"disable-response-storage": false}}'),
    });
    assert.equal(none.status, 200, await none.clone().text());
    assert.equal(parse(file()).packycode.privacy['disable-response-storage'], false);
    const bad = await fetch(gw.url + '/v0/management/packycode', { method: 'PATCH', headers: { ...AUTH, 'content-type': 'text/plain' }, body: 'enabled=false' });
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).error, 'bad_json');
    text = file();
  });

  test('PUT replaces the block: keys left out go, the comments of kept keys stay; a masked key sent back keeps the key', async () => {
    const current = (await call(gw.url, 'GET', '/v0/management/packycode')).body;
    delete current['effective-source'];
    delete current['model-map'];
    current.defaults = { model: 'gpt-5' };
    const r = await call(gw.url, 'PUT', '/v0/management/packycode', current);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body['model-map'], []);
    assert.deepEqual(r.body.defaults, { model: 'gpt-5', 'model-reasoning-effort': 'high' }, 'the effort left out: its default again');
    assert.equal(parse(file()).packycode.defaults['model-reasoning-effort'], undefined);
    const now = file();
    const block = parse(now).packycode;
    assert.equal(block.credentials['openai-api-key'], UPSTREAM_KEY, 'the stored key, not the mask');
    assert.equal(block['model-map'], undefined);
    assert.match(now, /\n {2}enabled: true +# flip to false to pause\n/);
    assert.ok(now.includes('  # the key, straight in the file for this test'));
    assert.ok(now.startsWith('# packybridge on my laptop\n#   keep these comments\n\nhost: 127.0.0.1      # loopback only\n'));
    assert.ok(now.endsWith('\n# trailing comment\n'));
    assert.equal(gw.runtime.snapshot.packycode.credentials.openaiApiKey, UPSTREAM_KEY);
  });

  test('20 concurrent PATCHes of different keys all apply', async () => {
    // 8 PATCHes set 8 different keys; 12 more each set model-map to its own list. No update may be lost,
    // and each answer shows the configuration right after its own write.
    const single: Array<Record<string, unknown>> = [
      { defaults: { model: 'gpt-5-codex' } },
      { defaults: { 'model-reasoning-effort': 'low' } },
      { 'forward-sampling-params': false },
      { privacy: { 'disable-response-storage': true } },
      { credentials: { 'openai-api-key': 'sk-rotated-key-00000000005678' } },
      { 'base-url': `${mock.url}/` },
      { 'requires-openai-auth': true },
      { 'wire-api': 'responses' },
    ];
    const maps = Array.from({ length: 12 }, (_, i) => ({ 'model-map': [{ match: `claude-${i}-*`, model: `gpt-5-codex-${['low', 'medium', 'high'][i % 3]}` }] }));
    const bodies = [...single, ...maps];
    const answers = await Promise.all(bodies.map((b) => call(gw.url, 'PATCH', '/v0/management/packycode', b)));
    for (const [i, a] of answers.entries()) assert.equal(a.status, 200, `PATCH ${i}: ${JSON.stringify(a.body)}`);
    for (const [i, m] of maps.entries()) assert.deepEqual(answers[single.length + i].body['model-map'], m['model-map'], `answer ${i} shows its own model-map`);
    const block = parse(file()).packycode;
    assert.deepEqual(block.defaults, { model: 'gpt-5-codex', 'model-reasoning-effort': 'low' });
    assert.equal(block['forward-sampling-params'], false);
    assert.equal(block.privacy['disable-response-storage'], true);
    assert.equal(block.credentials['openai-api-key'], 'sk-rotated-key-00000000005678');
    assert.equal(block['requires-openai-auth'], true);
    const lastMap = gw.runtime.snapshot.packycode.modelMap;
    assert.equal(lastMap.length, 1);
    assert.ok(maps.some((m) => m['model-map'][0].match === lastMap[0].match));
    assert.deepEqual(block['model-map'], [{ match: lastMap[0].match, model: lastMap[0].model }], 'the file and the configuration in force agree');
    assert.equal(gw.runtime.snapshot.packycode.credentials.openaiApiKey, 'sk-rotated-key-00000000005678');
    assert.equal(gw.runtime.snapshot.packycode.baseUrl, mock.url, 'trailing slash normalised');
    assert.ok(file().includes('# trailing comment'));
  });
});

describe('writes when config.yaml is not the effective source', () => {
  const ENV_KEY = 'sk-env-key-000000000000000042';

  test('env: the block is created in config.yaml with ${PACKYCODE_API_KEY}; config.yaml wins from then on', async () => {
    const yaml = `# my settings\napi-keys: [test-client-key]   # clients\n${management}`;
    const gw = await startTestGateway(yaml, { env: { PACKYCODE_BASE_URL: mock.url, PACKYCODE_API_KEY: ENV_KEY, PACKYCODE_MODEL: 'gpt-5' } });
    try {
      const before = await call(gw.url, 'GET', '/v0/management/packycode');
      assert.equal(before.body['effective-source'], 'env');
      assert.equal(before.body.credentials['openai-api-key'], 'sk-…0042');
      const r = await call(gw.url, 'PATCH', '/v0/management/packycode', { defaults: { 'model-reasoning-effort': 'low' } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body['effective-source'], 'config.yaml');
      assert.match(r.body.note, /created in .*config\.yaml: config\.yaml is the effective source from now on \(it was env\)/);
      assert.deepEqual(r.body.defaults, { model: 'gpt-5', 'model-reasoning-effort': 'low' }, 'what env set is kept');
      const text = readFileSync(gw.configPath, 'utf8');
      assert.ok(text.startsWith(`# my settings\napi-keys: [test-client-key]   # clients\n`), 'the rest of the file as it was');
      assert.ok(!text.includes(ENV_KEY), 'the key itself is not written');
      const block = parse(text).packycode;
      assert.equal(block.credentials['openai-api-key'], '${PACKYCODE_API_KEY}');
      assert.equal(block['base-url'], mock.url);
      assert.equal(block.enabled, true);
      assert.equal(gw.runtime.snapshot.effectiveSource, 'config.yaml');
      assert.equal(gw.runtime.snapshot.packycode.credentials.openaiApiKey, ENV_KEY);
      const events = gw.runtime.audit.recent(50);
      const change = events.find((e) => e.kind === 'config-change' && e.trigger === 'management')!;
      assert.deepEqual(change.keys, ['packycode.defaults.model-reasoning-effort', 'effective-source']);
      // a further write is an ordinary config.yaml write
      const again = await call(gw.url, 'PATCH', '/v0/management/packycode', { enabled: false });
      assert.equal(again.status, 200);
      assert.equal(again.body.note, undefined);
    } finally {
      await gw.stop();
    }
  });

  test('none: an incomplete block is refused; a complete one is created and Packycode starts serving', async () => {
    const gw = await startTestGateway(`# nothing about Packycode yet\n${management}`);
    try {
      assert.equal(gw.runtime.snapshot.effectiveSource, 'none');
      const before = readFileSync(gw.configPath, 'utf8');
      const partial = await call(gw.url, 'PATCH', '/v0/management/packycode', { enabled: true });
      assert.equal(partial.status, 422);
      assert.deepEqual(partial.body.details.map((d: any) => d.path).sort(), ['base-url', 'credentials.openai-api-key']);
      assert.equal(readFileSync(gw.configPath, 'utf8'), before);
      const r = await call(gw.url, 'PATCH', '/v0/management/packycode', { enabled: true, 'base-url': mock.url, credentials: { 'openai-api-key': UPSTREAM_KEY } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.match(r.body.note, /created in .* \(it was none\)/);
      assert.ok(readFileSync(gw.configPath, 'utf8').startsWith(before), 'the block is added below what was there');
      const models = await call(gw.url, 'GET', '/v1/models');
      assert.ok(models.body.data.length > 0);
      assert.ok(gw.runtime.audit.recent(5).some((e) => e.kind === 'enable' && e.trigger === 'management'));
    } finally {
      await gw.stop();
    }
  });

  test('codex-cli: the block is created in config.yaml from the Codex provider; the auth.json key is copied', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pb-mgmt-codex-'));
    const codexHome = join(dir, 'codex');
    mkdirSync(codexHome);
    writeFileSync(join(codexHome, 'config.toml'), `model = "gpt-5-codex"\nmodel_provider = "packy"\nmodel_reasoning_effort = "medium"\n\n[model_providers.packy]\nname = "Packycode"\nbase_url = "${mock.url}"\nrequires_openai_auth = true\nwire_api = "responses"\n`);
    writeFileSync(join(codexHome, 'auth.json'), JSON.stringify({ OPENAI_API_KEY: 'sk-codex-auth-key-0000000077' }));
    const logLines: string[] = [];
    // config.yaml holds only remote-management (management needs its secret-key); Packycode comes from Codex
    const configPath = join(dir, 'config.yaml');
    writeFileSync(configPath, `# only management here\n${management}`);
    let gw: RunningGateway | undefined;
    try {
      gw = await startGateway({
        path: configPath, env: {}, codexHome, homeDir: dir, host: '127.0.0.1', port: 0, watch: false,
        logger: memoryLogger(logLines), out: new Writable({ write(_c, _e, cb) { cb(); } }),
      });
      const before = await call(gw.url, 'GET', '/v0/management/packycode');
      assert.equal(before.body['effective-source'], 'codex-cli');
      const r = await call(gw.url, 'PUT', '/v0/management/packycode', { ...before.body, 'effective-source': undefined, 'forward-sampling-params': true });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.match(r.body.note, /it was codex-cli/);
      const block = parse(readFileSync(configPath, 'utf8')).packycode;
      assert.equal(block.credentials['openai-api-key'], 'sk-codex-auth-key-0000000077', 'auth.json has no variable to refer to: copied');
      assert.equal(block['forward-sampling-params'], true);
      assert.equal(gw.runtime.snapshot.effectiveSource, 'config.yaml');
      assert.equal(gw.runtime.snapshot.packycode.baseUrl, mock.url);
    } finally {
      await gw?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a write that cannot be stored', () => {
  test('answers 500 with a clear error; the file and the configuration in force stay as they were', async () => {
    // A file name so long that the temp file beside it (".<name>.<random>.tmp") exceeds the name limit:
    // the atomic write fails before the rename, as a crash there would (works as root too).
    const dir = mkdtempSync(join(tmpdir(), 'pb-mgmt-fail-'));
    const configPath = join(dir, `${'c'.repeat(236)}.yaml`);
    const yaml = packycodeYaml(mock.url, management);
    writeFileSync(configPath, yaml);
    const logLines: string[] = [];
    const gw = await startGateway({
      path: configPath, env: {}, codexHome: join(dir, 'none'), homeDir: dir, host: '127.0.0.1', port: 0, watch: false,
      logger: memoryLogger(logLines), out: new Writable({ write(_c, _e, cb) { cb(); } }),
    });
    try {
      const r = await call(gw.url, 'PATCH', '/v0/management/packycode', { enabled: false });
      assert.equal(r.status, 500);
      assert.equal(r.body.error, 'write_failed');
      assert.match(r.body.message, /could not write .*ENAMETOOLONG.*nothing was changed/);
      assert.equal(readFileSync(configPath, 'utf8'), yaml);
      assert.equal(gw.runtime.snapshot.packycode.enabled, true);
      assert.ok(logLines.some((l) => l.includes('management write failed')));
      assert.equal(statSync(configPath).size, Buffer.byteLength(yaml));
    } finally {
      await gw.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
