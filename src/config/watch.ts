// Hot reload: watch config.yaml's folder (editors save by rename), debounce, skip unchanged content,
// reload; 'applied' for a valid result, 'refused' for an invalid one (the caller keeps the last good one).
import { watch, readFileSync, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { loadConfig, type LoadResult } from './load.ts';

export interface ConfigWatcher {
  close(): void;
}

export interface WatchEvent {
  kind: 'applied' | 'refused';
  result: LoadResult;
}

function readSyncOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

async function readOrNull(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
}

export function watchConfig(
  path: string,
  onEvent: (e: WatchEvent) => void,
  // load: given the text read after the debounce (null: no file), so what is compared is what is loaded
  opts?: { debounceMs?: number; load: (text: string | null) => Promise<LoadResult> },
): ConfigWatcher {
  const file = resolve(path);
  const name = basename(file);
  const debounceMs = opts?.debounceMs ?? 100;
  const load = opts?.load ?? ((text: string | null) => loadConfig({ path: file, text: text ?? undefined }));
  let last = readSyncOrNull(file);
  let timer: NodeJS.Timeout | null = null;
  let running = false;
  let again = false;
  let closed = false;

  const schedule = () => {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      void run();
    }, debounceMs);
  };

  const run = async () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      const content = await readOrNull(file);
      if (content === last || closed) return;
      let result: LoadResult;
      try {
        result = await load(content);
      } catch (e) {
        result = { snapshot: null, errors: [{ path: file, message: `could not be loaded (${(e as Error).message})`, fix: 'check the file and its permissions' }], warnings: [], notes: [] };
      }
      if (closed) return;
      // fileText: what the load read (a load may rewrite the file, e.g. to hash a secret-key)
      last = result.fileText !== undefined ? result.fileText : content;
      onEvent({ kind: result.errors.length === 0 && result.snapshot ? 'applied' : 'refused', result });
    } finally {
      running = false;
      if (again && !closed) {
        again = false;
        schedule();
      }
    }
  };

  let watcher: FSWatcher | null = watch(dirname(file), { persistent: false }, (_event, filename) => {
    if (filename && filename.toString() !== name) return;
    schedule();
  });
  watcher.on('error', () => {
    // the folder went away: nothing more to watch; the last good configuration stays in force
    watcher?.close();
    watcher = null;
  });

  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      watcher?.close();
      watcher = null;
    },
  };
}
