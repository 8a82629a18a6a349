// The container files, checked without a container engine (none runs on CI): the Dockerfile linted by
// dockerfile-utils (the Dockerfile language service's validator) and checked for what the image must have
// (multi-stage, non-root, health check on /healthz, config and data volumes, 0.0.0.0), its COPY sources
// present and let through .dockerignore, compose.yaml's two replicas and Redis; and the image's own start
// command and HEALTHCHECK command run for real against the built gateway.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { freePort } from '../support/free-port.ts';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validate } from 'dockerfile-utils';
import { parse as parseYaml } from 'yaml';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

interface Instruction { keyword: string; args: string; stage: number }

/** Instructions with line continuations joined and comments dropped; `stage` counts FROMs (0-based). */
function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let stage = -1;
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (pending === '' && (line.trim() === '' || line.trimStart().startsWith('#'))) continue;
    if (line.endsWith('\\')) { pending += `${line.slice(0, -1)} `; continue; }
    const full = (pending + line).trim();
    pending = '';
    const m = /^(\S+)\s*(.*)$/.exec(full)!;
    const keyword = m[1].toUpperCase();
    if (keyword === 'FROM') stage++;
    out.push({ keyword, args: m[2], stage });
  }
  return out;
}

const all = instructions(dockerfile);
const lastStage = Math.max(...all.map((i) => i.stage));
const final = all.filter((i) => i.stage === lastStage);
const one = (k: string) => final.filter((i) => i.keyword === k);

test('Dockerfile: the linter finds nothing', () => {
  const problems = validate(dockerfile).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
  assert.deepEqual(problems, []);
});

test('Dockerfile: the linter is not a no-op (it flags broken instructions)', () => {
  assert.ok(validate('FROM node:24 AS a\nHEALTHCHECK --intervl=3s CMD true\nEXPOSE port\n').length >= 2);
});

test('Dockerfile: multi-stage, small base, non-root, health check, volumes, port, listens on 0.0.0.0', () => {
  const froms = all.filter((i) => i.keyword === 'FROM');
  assert.ok(froms.length >= 2 && froms.every((f) => /\sAS\s+\w+/i.test(f.args)), 'named stages');
  assert.match(dockerfile, /ARG NODE_IMAGE=node:24-[a-z]+-slim/, 'a slim Node 24 base');
  assert.ok(final.some((i) => i.keyword === 'COPY' && i.args.startsWith('--from=build') && i.args.includes('dist')), 'the runtime takes the build output');
  assert.ok(final.some((i) => i.keyword === 'COPY' && i.args.startsWith('--from=deps') && i.args.includes('node_modules')), 'and production modules only');
  const user = one('USER');
  assert.equal(user.length, 1);
  assert.doesNotMatch(user[0].args, /^(root|0)(:|$)/);
  assert.ok(final.indexOf(user[0]) < final.indexOf(one('CMD')[0]), 'USER before CMD');
  const hc = one('HEALTHCHECK');
  assert.equal(hc.length, 1);
  assert.match(hc[0].args, /CMD .*http:\/\/127\.0\.0\.1:8317\/healthz/);
  const volumes = JSON.parse(one('VOLUME')[0].args) as string[];
  assert.deepEqual(volumes.sort(), ['/config', '/data']);
  assert.equal(one('EXPOSE')[0].args, '8317');
  const cmd = JSON.parse(one('CMD')[0].args) as string[];
  assert.deepEqual(cmd.slice(0, 3), ['node', '/app/bin/packybridge.js', 'serve']);
  assert.equal(final.filter((i) => i.keyword === 'WORKDIR').at(-1)?.args, '/config', 'runs in /config: ./config.yaml is found there');
  assert.equal(cmd[cmd.indexOf('--host') + 1], '0.0.0.0');
  assert.equal(cmd[cmd.indexOf('--port') + 1], '8317');
  assert.doesNotMatch(dockerfile, /PACKYBRIDGE_CONFIG=/, 'a missing config file must not stop the container');
  for (const run of all.filter((i) => i.keyword === 'RUN' && /\bnpm\b/.test(i.args))) {
    assert.doesNotMatch(run.args, /npm (install|i)\b/, 'npm ci only: the lock file decides');
  }
  assert.equal(all.filter((i) => i.keyword === 'ADD').length, 0, 'COPY, never ADD');
});

/** .dockerignore as the builder reads it: later lines win, `!` re-includes, a matched folder takes its contents. */
function ignored(path: string): boolean {
  const rules = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const segments = path.split('/');
  const selfAndParents = segments.map((_, i) => segments.slice(0, i + 1).join('/'));
  let out = false;
  for (const rule of rules) {
    const negate = rule.startsWith('!');
    const glob = negate ? rule.slice(1) : rule;
    const re = new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*\//g, '(.*/)?').replace(/\*\*/g, '.*').replace(/\*/g, '[^/]*')}$`);
    if (selfAndParents.some((p) => re.test(p))) out = !negate;
  }
  return out;
}

test('Dockerfile: every COPY source exists and .dockerignore lets it through; secrets and modules stay out', () => {
  for (const c of all.filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from'))) {
    const parts = c.args.split(/\s+/);
    for (const src of parts.slice(0, -1)) {
      assert.ok(existsSync(join(ROOT, src)), `${src} exists`);
      assert.equal(ignored(src) && ignored(`${src}/x.ts`), false, `${src} reaches the build`);
    }
  }
  assert.equal(ignored('src/server/app.ts'), false);
  assert.equal(ignored('bin/packybridge.js'), false);
  for (const p of ['config.yaml', 'node_modules/fastify/package.json', '.git/HEAD', 'test/e2e/x.test.ts', 'dist/cli.js', '.tools/node', 'src/config.yaml']) {
    assert.equal(ignored(p), true, `${p} is kept out of the build context`);
  }
});

test('compose.yaml: two gateway replicas on one Redis, health checks, config and data volumes', () => {
  const compose = parseYaml(readFileSync(join(ROOT, 'compose.yaml'), 'utf8'), { merge: true }) as { services: Record<string, Record<string, any>> };
  const gateways = Object.entries(compose.services).filter(([name]) => name.startsWith('packybridge'));
  assert.equal(gateways.length, 2);
  const ports = new Set<string>();
  for (const [name, s] of gateways) {
    assert.equal(s.build, '.', `${name} builds this Dockerfile`);
    assert.equal(s.depends_on?.redis?.condition, 'service_healthy');
    assert.ok(s.volumes.some((v: string) => v.endsWith(':/config')) && s.volumes.some((v: string) => v.endsWith(':/data')), `${name} volumes`);
    assert.match(s.healthcheck.test.join(' '), /healthz/);
    for (const p of s.ports) ports.add(p.split(':')[0]);
  }
  assert.equal(ports.size, 2, 'each replica published on its own host port');
  assert.match(compose.services.redis.image, /^redis:/);
  assert.deepEqual(compose.services.redis.healthcheck.test, ['CMD', 'redis-cli', 'ping']);
  assert.match(readFileSync(join(ROOT, 'compose.yaml'), 'utf8'), /backend: redis\n#\s+url: redis:\/\/redis:6379/, 'documents the state block that shares state');
});


test('the image start command serves /healthz and the HEALTHCHECK command judges it', { timeout: 60_000 }, async () => {
  assert.ok(existsSync(join(ROOT, 'dist', 'cli.js')), 'npm ci builds dist/');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'packybridge-image-'));
  const cmd = JSON.parse(one('CMD')[0].args) as string[];
  // as in the image: /app is this checkout, the working folder (/config) an empty one, loopback for 0.0.0.0
  const args = cmd.slice(1).map((a) => (a === '0.0.0.0' ? '127.0.0.1' : a === '8317' ? String(port) : a.replace(/^\/app\//, `${ROOT}/`)));
  const env = { PATH: process.env.PATH ?? '', HOME: dir, CODEX_HOME: join(dir, 'codex'), NODE_ENV: 'production' };
  const gw = spawn(process.execPath, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  gw.stdout.on('data', (c) => { output += c; });
  gw.stderr.on('data', (c) => { output += c; });
  const hcArgs = (JSON.parse(one('HEALTHCHECK')[0].args.replace(/^.*?CMD\s+/, '')) as string[]).map((a) => a.replace(':8317/', `:${port}/`));
  const check = () => spawnSync(process.execPath, hcArgs.slice(1), { env, timeout: 10_000 }).status;
  try {
    let status: number | null = 1;
    for (let i = 0; i < 40 && status !== 0 && gw.exitCode === null; i++) {
      await new Promise((r) => setTimeout(r, 250));
      status = check();
    }
    assert.equal(status, 0, `healthy; gateway output:\n${output}`);
    const health = await (await fetch(`http://127.0.0.1:${port}/healthz`)).json() as { status: string; packycode: string };
    assert.deepEqual(health, { status: 'ok', packycode: 'not-configured' }, 'it started without a config.yaml');
    gw.kill('SIGTERM');
    await new Promise((r) => gw.once('close', r));
    assert.equal(check(), 1, 'unhealthy once it is gone');
  } finally {
    if (gw.exitCode === null) gw.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
