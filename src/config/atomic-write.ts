// Atomic file replacement: write a temp file in the same folder, fsync, rename over the target.
// A crash leaves either the old file or the new one, never half of one (plus at most a stray temp file).
import { open, rename, stat, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

/** Temp files are named `.<name>.<random>.tmp` so a folder watcher can tell them from the file. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
}

export async function writeFileAtomic(path: string, text: string, opts: { mode?: number } = {}): Promise<void> {
  let mode = opts.mode ?? 0o600;
  try {
    mode = (await stat(path)).mode & 0o777;
  } catch {
    // new file: keys may live in it, so owner-only by default
  }
  const tmp = tempPathFor(path);
  const handle = await open(tmp, 'wx', mode);
  try {
    await handle.chmod(mode);
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } catch (e) {
    await handle.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw e;
  }
  await handle.close();
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
  // Persist the rename itself (best effort: not every platform can fsync a folder).
  try {
    const dir = await open(dirname(path), 'r');
    await dir.sync().finally(() => dir.close());
  } catch {
    // ignore
  }
}
