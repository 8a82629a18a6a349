// Hot reload: valid edits applied, rename-saves applied, invalid edits refused, unchanged writes ignored.
import { test, describe, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, rename, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { watchConfig, type ConfigWatcher, type WatchEvent } from '../../src/config/watch.ts';
import { loadConfig } from '../../src/config/load.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pb-watch-'));
});
after(() => rm(dir, { recursive: true, force: true }));

/** Collects events; next() resolves with the next one (or fails after a generous timeout). */
class Events {
  readonly seen: WatchEvent[] = [];
  #waiters: Array<(e: WatchEvent) => void> = [];
  #queue: WatchEvent[] = [];
  push = (e: WatchEvent) => {
    this.seen.push(e);
    const w = this.#waiters.shift();
    if (w) w(e);
    else this.#queue.push(e);
  };
  next(): Promise<WatchEvent> {
    const queued = this.#queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no watch event within 10 s')), 10_000);
      this.#waiters.push((e) => {
        clearTimeout(timer);
        resolve(e);
      });
    });
  }
}

let path: string;
let events: Events;
let watcher: ConfigWatcher;
let loads = 0;
let n = 0;

beforeEach(async () => {
  path = join(dir, `config-${++n}.yaml`);
  await writeFile(path, '# watched\nport: 9000\n');
  events = new Events();
  loads = 0;
  watcher = watchConfig(path, events.push, {
    debounceMs: 20,
    load: () => {
      loads++;
      return loadConfig({ path, env: {}, homeDir: dir, codexHome: join(dir, 'no-codex') });
    },
  });
});
afterEach(() => watcher.close());

describe('watchConfig', () => {
  test('a valid edit is applied', async () => {
    await writeFile(path, '# watched\nport: 9001\n');
    const e = await events.next();
    assert.equal(e.kind, 'applied');
    assert.equal(e.result.snapshot!.port, 9001);
  });

  test('an edit saved by rename (write elsewhere, rename over) is applied', async () => {
    const tmp = join(dir, `.config-${n}.yaml.swp`);
    await writeFile(tmp, '# watched\nport: 9002\n');
    await rename(tmp, path);
    const e = await events.next();
    assert.equal(e.kind, 'applied');
    assert.equal(e.result.snapshot!.port, 9002);
  });

  test('an invalid edit is refused, with its problems; a later fix is applied', async () => {
    await writeFile(path, '# watched\nport: ninety\n');
    const bad = await events.next();
    assert.equal(bad.kind, 'refused');
    assert.equal(bad.result.errors[0].path, 'port');
    await writeFile(path, '# watched\nport: 9004\n');
    const good = await events.next();
    assert.equal(good.kind, 'applied');
    assert.equal(good.result.snapshot!.port, 9004);
  });

  test('a YAML syntax error is refused', async () => {
    await writeFile(path, 'port: [9000\n');
    const e = await events.next();
    assert.equal(e.kind, 'refused');
    assert.equal(e.result.snapshot, null);
  });

  test('a write with unchanged content is ignored (no load, no event)', async () => {
    await writeFile(path, '# watched\nport: 9000\n');
    await sleep(150); // let that write's event be handled on its own; the assertions below hold either way
    await writeFile(path, '# watched\nport: 9005\n');
    const e = await events.next();
    assert.equal(e.result.snapshot!.port, 9005);
    assert.equal(loads, 1);
    assert.equal(events.seen.length, 1);
  });

  test('files beside it (temp files of atomic writes) are ignored', async () => {
    await writeFile(join(dir, `.config-${n}.yaml.abc.tmp`), 'port: 1\n');
    await writeFile(join(dir, 'unrelated.yaml'), 'port: 2\n');
    await sleep(150);
    await writeFile(path, '# watched\nport: 9006\n');
    const e = await events.next();
    assert.equal(e.result.snapshot!.port, 9006);
    assert.equal(loads, 1);
  });

  test('a load that hashes the secret-key (rewriting the file) gives one event, not two', async () => {
    await writeFile(path, '# watched\nport: 9007\nremote-management:\n  secret-key: "plain-secret"\n');
    const e = await events.next();
    assert.equal(e.kind, 'applied');
    assert.ok(!(await readFile(path, 'utf8')).includes('plain-secret'));
    await sleep(150);
    await writeFile(path, (await readFile(path, 'utf8')).replace('port: 9007', 'port: 9008'));
    const f = await events.next();
    assert.equal(f.result.snapshot!.port, 9008);
    assert.equal(events.seen.length, 2);
  });

  test('after close, no more events', async () => {
    watcher.close();
    await writeFile(path, '# watched\nport: 9009\n');
    await sleep(150);
    assert.equal(events.seen.length, 0);
  });
});
