// The command line, run as a user runs it: `node src/cli.ts ...` in a temporary folder with its own HOME
// and CODEX_HOME (no PACKYCODE_* variables), against the mock upstream.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.ts';

const CLI = resolve(import.meta.dirname, '../../src/cli.ts');
const KEY = 'sk-cli-test-upstream-key-4321';

interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** A fresh folder used as cwd and HOME, with an empty Codex folder. */
function sandbox(): { dir: string; codexHome: string; env: NodeJS.ProcessEnv } {
  const dir = mkdtempSync(join(tmpdir(), 'pb-cli-'));
  const codexHome = join(dir, '.codex');
  mkdirSync(codexHome);
  return { dir, codexHome, env: { PATH: process.env.PATH, HOME: dir, CODEX_HOME: codexHome } };
}

function run(args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => { stdout += c; });
    child.stderr.on('data', (c) => { stderr += c; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`packybridge ${args.join(' ')} did not exit: ${stderr}`)); }, timeoutMs);
    child.on('close', (code, signal) => { clearTimeout(timer); resolvePromise({ code, signal, stdout, stderr }); });
  });
}

interface Served { url: string; stderr: () => string; stop(): Promise<Run> }

/** Starts `serve` on an ephemeral port and resolves once it prints its address. */
function serve(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Served> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, 'serve', '--host', '127.0.0.1', '--port', '0', ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const closed = new Promise<Run>((r) => child.on('close', (code, signal) => r({ code, signal, stdout, stderr })));
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`serve did not start: ${stderr}`)); }, 30_000);
    child.stdout.on('data', (c) => { stdout += c; });
    child.stderr.on('data', (c) => {
      stderr += c;
      const m = /packybridge (http:\/\/127\.0\.0\.1:\d+) /.exec(stderr);
      // the banner is written in one go after the address line: wait for its last line
      if (m && /\n.*(point Claude Code at it|requests to \/v1\/messages answer)[^\n]*\n/.test(stderr)) {
        clearTimeout(timer);
        resolvePromise({ url: m[1], stderr: () => stderr, stop: async () => { child.kill('SIGTERM'); return closed; } });
      }
    });
    void closed.then((r) => { clearTimeout(timer); reject(new Error(`serve exited (${r.code}): ${r.stderr}`)); });
  });
}

const CODEX_TOML = (url: string) => `model = "gpt-5-codex"
model_provider = "packy"
model_reasoning_effort = "medium"
check_for_update_on_startup = false

[analytics]
enabled = false

[model_providers.packy]
name = "Packycode"
base_url = "${url}"
requires_openai_auth = true
wire_api = "responses"
request_max_retries = 0
stream_max_retries = 0
`;

const configYaml = (url: string, key = KEY) => `# my packybridge
packycode:
  enabled: true
  base-url: ${url}   # the endpoint
  credentials:
    openai-api-key: ${key}
`;

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

let mock: MockUpstream;
const dirs: string[] = [];
before(async () => { mock = await startMockUpstream({ apiKey: KEY }); });
after(async () => {
  await mock.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function box() {
  const b = sandbox();
  dirs.push(b.dir);
  return b;
}

describe('packybridge serve', { concurrency: true }, () => {
  test('with no configuration anywhere: starts, and says what to configure', async () => {
    const { dir, env } = box();
    const gw = await serve([], dir, env);
    const health = (await (await fetch(gw.url + '/healthz')).json()) as { packycode: string };
    assert.equal(health.packycode, 'not-configured');
    const r = await gw.stop();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /effective-source: none/);
    assert.match(r.stderr, /no Packycode configuration found: no packycode block.*; add a packycode block to config\.yaml .*export PACKYCODE_BASE_URL=\S+ and PACKYCODE_API_KEY=<your key>/);
    assert.match(r.stderr, /see config\.example\.yaml/);
    assert.match(r.stderr, /SIGTERM, closing/);
  });

  test('--packycode with nothing valid: exits non-zero, printing every problem', async () => {
    const { dir, env } = box();
    const r = await run(['serve', '--packycode', '--port', '0'], dir, env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /packybridge cannot start: 1 configuration problem/);
    assert.match(r.stderr, /- packycode: is not configured: .*; add a packycode block to config\.yaml/);
  });

  test('--packycode with an incomplete environment: every missing setting, named by its variable', async () => {
    const { dir, env } = box();
    const r = await run(['serve', '--packycode', '--port', '0'], dir, { ...env, PACKYCODE_BASE_URL: 'codex-api.packycode.com/v1', PACKYCODE_REASONING_EFFORT: 'huge' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot start: 3 configuration problem/);
    assert.match(r.stderr, /PACKYCODE_BASE_URL: "codex-api\.packycode\.com\/v1" is not an http\(s\) URL; write https:\/\/codex-api\.packycode\.com\/v1/);
    assert.match(r.stderr, /PACKYCODE_REASONING_EFFORT: .*huge/);
    assert.match(r.stderr, /PACKYCODE_API_KEY: is missing/);
  });

  test('an enabled but invalid block: exits non-zero with all its errors', async () => {
    const { dir, env } = box();
    writeFileSync(join(dir, 'config.yaml'), 'packycode:\n  enabled: true\n  base-url: codex-api.packycode.com/v1\n  defaults:\n    model-reasoning-effort: extreme\n');
    const r = await run(['serve', '--port', '0'], dir, env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`cannot start: 3 configuration problem\\(s\\) in ${join(dir, 'config.yaml').replace(/[.]/g, '\\.')}`));
    assert.ok(r.stderr.includes('packycode.base-url: "codex-api.packycode.com/v1" is not an http(s) URL; write https://codex-api.packycode.com/v1'), r.stderr);
    assert.match(r.stderr, /packycode\.defaults\.model-reasoning-effort: .*extreme.*; write one of: none, minimal, low, medium, high, xhigh/);
    assert.match(r.stderr, /packycode\.credentials\.openai-api-key: is missing/);
  });

  test('from the Codex CLI files only: effective-source codex-cli, and requests reach the upstream', async () => {
    const { dir, env, codexHome } = box();
    writeFileSync(join(codexHome, 'config.toml'), CODEX_TOML(mock.url));
    writeFileSync(join(codexHome, 'auth.json'), JSON.stringify({ OPENAI_API_KEY: KEY }));
    const gw = await serve([], dir, env);
    try {
      assert.match(gw.stderr(), /effective-source: codex-cli/);
      assert.match(gw.stderr(), /Packycode ready: .* key sk-…4321, default model gpt-5-codex \(medium effort\)/);
      // Claude Code's environment, real window included (claude-env prints the same as export lines)
      assert.match(gw.stderr(), new RegExp(`point Claude Code at it \\(or eval "\\$\\(packybridge claude-env\\)"\\): ANTHROPIC_BASE_URL=${gw.url} ANTHROPIC_AUTH_TOKEN=packybridge CLAUDE_CODE_AUTO_COMPACT_WINDOW=272000 CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY=1 claude`));
      assert.ok(!gw.stderr().includes(KEY));
      const res = await fetch(gw.url + '/v1/messages', {
        method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'anything' },
        body: JSON.stringify({ model: 'gpt-5-codex', max_tokens: 20, messages: [{ role: 'user', content: 'hello' }] }),
      });
      assert.equal(res.status, 200);
    } finally {
      const r = await gw.stop();
      assert.equal(r.code, 0);
      assert.ok(!r.stdout.includes(KEY) && !r.stdout.includes('hello'), 'the log lines hold neither the key nor the prompt');
    }
  });
});

describe('packybridge check', { concurrency: true }, () => {
  test('a valid configuration: exit 0, the effective configuration with the key masked', async () => {
    const { dir, env } = box();
    writeFileSync(join(dir, 'config.yaml'), configYaml(mock.url));
    const r = await run(['check'], dir, env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /effective source: config\.yaml/);
    assert.match(r.stdout, /openai-api-key: sk-…4321/);
    assert.ok(!r.stdout.includes(KEY));
    assert.match(r.stdout, /config OK/);
  });

  test('problems: exit 1, each with its fix; the file is not touched', async () => {
    const { dir, env } = box();
    const text = 'port: 99999\nremote-management:\n  secret-key: plain-text-secret\npackycode:\n  enabled: true\n  base-url: codex-api.packycode.com/v1\n  credentials:\n    openai-api-key: ${MISSING_VAR}\n';
    writeFileSync(join(dir, 'config.yaml'), text);
    const r = await run(['check'], dir, env);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /errors \(\d+\):/);
    assert.match(r.stdout, /✗ port: .*99999.*; /);
    assert.match(r.stdout, /config has \d+ error\(s\): fix them and run packybridge check again/);
    assert.equal(readFileSync(join(dir, 'config.yaml'), 'utf8'), text, 'check never writes (not even the secret-key hash)');
  });

  test('a disabled block: exit 0, and what Packycode would still need', async () => {
    const { dir, env } = box();
    writeFileSync(join(dir, 'config.yaml'), 'packycode:\n  enabled: false\n');
    const r = await run(['check'], dir, env);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Packycode cannot serve yet:\n {2}- packycode\.base-url: is missing/);
    const forced = await run(['check', '--packycode'], dir, env);
    assert.equal(forced.code, 1, '--packycode requires it');
  });

  test('--probe against the mock: reachable, key accepted, latency', async () => {
    const { dir, env } = box();
    writeFileSync(join(dir, 'config.yaml'), configYaml(mock.url));
    const r = await run(['check', '--probe'], dir, env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`probe: ${mock.url.replace(/[.]/g, '\\.')}/responses reachable, key accepted \\(HTTP 200\\)`));
    assert.match(r.stdout, /probe: headers \d+ ms, first event \d+ ms, total \d+ ms, model gpt-5/);
    assert.match(r.stdout, /probe: ok/);
  });

  test('--probe with a wrong key: exit 1, says which setting to fix', async () => {
    const { dir, env } = box();
    writeFileSync(join(dir, 'config.yaml'), configYaml(mock.url, 'sk-wrong-key-000000000000'));
    const r = await run(['check', '--probe'], dir, env);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /probe: failed after \d+ ms: http HTTP 401: .*\(fix packycode\.credentials\.openai-api-key\)/);
    assert.ok(!r.stdout.includes('sk-wrong-key-000000000000'));
  });

  test('--probe against a closed port: exit 1, a clear connection failure', async () => {
    const { dir, env } = box();
    const url = `http://127.0.0.1:${await closedPort()}/v1`;
    writeFileSync(join(dir, 'config.yaml'), configYaml(url));
    const r = await run(['check', '--probe'], dir, env);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /config OK/);
    assert.match(r.stdout, /probe: failed after \d+ ms: connect: .*\(check packycode\.base-url\)/);
  });

  test('--probe with nothing configured: skipped, exit 1', async () => {
    const { dir, env } = box();
    const r = await run(['check', '--probe'], dir, env);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /probe: skipped, Packycode is not enabled and valid/);
  });
});

describe('packybridge import-codex', { concurrency: true }, () => {
  test('writes the block into config.yaml (comments kept) and prints the mapping', async () => {
    const { dir, env } = box();
    const codex = join(dir, 'codex-elsewhere');
    mkdirSync(codex);
    writeFileSync(join(codex, 'config.toml'), CODEX_TOML(mock.url));
    writeFileSync(join(codex, 'auth.json'), JSON.stringify({ OPENAI_API_KEY: KEY }));
    const file = join(dir, 'my-config.yaml');
    writeFileSync(file, '# my own settings\nport: 8400   # not the default\n');
    const r = await run(['import-codex', '--codex-home', codex, '--config', file], dir, env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`created the packycode block in ${file.replace(/[.]/g, '\\.')}:`));
    assert.match(r.stdout, /config\.toml model_providers\.packy\.base_url -> packycode\.base-url = http:\/\/127\.0\.0\.1:\d+\/v1/);
    assert.match(r.stdout, /auth\.json OPENAI_API_KEY -> packycode\.credentials\.openai-api-key = sk-…4321/);
    assert.match(r.stdout, /-> packycode\.defaults\.model-reasoning-effort = medium/);
    assert.ok(!r.stdout.includes(KEY));
    const text = readFileSync(file, 'utf8');
    assert.ok(text.startsWith('# my own settings\nport: 8400   # not the default\n'), text);
    const block = parse(text).packycode;
    assert.equal(block.enabled, true);
    assert.equal(block['base-url'], mock.url);
    // and the result checks out, probe included
    const check = await run(['check', '--config', file, '--probe'], dir, env);
    assert.equal(check.code, 0, check.stdout);
    assert.match(check.stdout, /probe: ok/);
  });

  test('nothing to import: exit 1 with the reason', async () => {
    const { dir, env, codexHome } = box();
    const r = await run(['import-codex', '--codex-home', codexHome], dir, env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /nothing to import from the Codex CLI: codex-cli: no .*config\.toml/);
  });
});

test('importing src/cli.ts does not run the command line', async () => {
  const { dir, env } = box();
  const child = spawn(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(CLI)}); console.log(typeof m.main);`], { cwd: dir, env });
  let out = '';
  child.stdout.on('data', (c) => { out += c; });
  const code = await new Promise<number | null>((r) => child.on('close', r));
  assert.equal(code, 0);
  assert.equal(out, 'function\n', 'no gateway started, nothing printed');
});

describe('packybridge claude-env', { concurrency: true }, () => {
  test('the export lines for Claude Code: local URL from the listen address, the real window, discovery on; they eval in sh', async () => {
    const { dir, env } = box();
    writeFileSync(join(dir, 'config.yaml'), `host: 0.0.0.0\nport: 9123\n${configYaml(mock.url)}  model-map:\n    - { match: "claude-*haiku*", model: codex-mini-latest }\n`);
    const r = await run(['claude-env'], dir, env);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trimEnd().split('\n'), [
      'export ANTHROPIC_BASE_URL=http://127.0.0.1:9123',
      'export ANTHROPIC_AUTH_TOKEN=packybridge',
      'export CLAUDE_CODE_AUTO_COMPACT_WINDOW=200000',
      'export CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY=1',
      '# the Claude names route to models with windows of 200000, 272000 tokens; the smallest is used',
    ]);
    assert.ok(!r.stdout.includes(KEY));
    const sh = spawnSync('sh', ['-c', `eval "$1"; echo "$ANTHROPIC_BASE_URL $CLAUDE_CODE_AUTO_COMPACT_WINDOW $CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY"`, 'sh', r.stdout], { encoding: 'utf8' });
    assert.equal(sh.stdout, 'http://127.0.0.1:9123 200000 1\n');
    const overridden = await run(['claude-env', '--host', '::1', '--port', '8400'], dir, env);
    assert.match(overridden.stdout, /^export ANTHROPIC_BASE_URL='http:\/\/\[::1\]:8400'$/m);
  });

  test('Packycode not configured, or port 0: exit 1 with the reason on stderr, nothing on stdout', async () => {
    const { dir, env } = box();
    const none = await run(['claude-env'], dir, env);
    assert.equal(none.code, 1);
    assert.equal(none.stdout, '');
    assert.match(none.stderr, /packybridge claude-env: no Packycode configuration found/);
    writeFileSync(join(dir, 'config.yaml'), `port: 0\n${configYaml(mock.url)}`);
    const anyPort = await run(['claude-env'], dir, env);
    assert.equal(anyPort.code, 1);
    assert.match(anyPort.stderr, /port is 0 \(any free port\): pass --port/);
    writeFileSync(join(dir, 'config.yaml'), 'port: 99999\n');
    const bad = await run(['claude-env'], dir, env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /the configuration has 1 problem\(s\): run packybridge check/);
    assert.match(bad.stderr, /\n  - port: .+; /, 'the problem itself is printed, with its fix');
  });
});
