// Atomic file replacement: write a temp file in the same folder, fsync, then put it in place.
// writeFileAtomic replaces whatever is there (rename). replaceFileIfUnchanged is compare-and-swap: it puts
// the new text in place only while the file is still the version the caller read, so an editor's save
// that lands meanwhile is detected (FileChangedError) instead of being overwritten.
// Files written here may hold keys: they are owner-only (0600, or the existing mode when stricter) and
// keep the existing file's owner and group where the process may set them (root).
import { link, open, rename, stat, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { readVersioned, sameVersion, versionOf, type FileVersion } from './file-version.ts';

export type FileChange = 'gone' | 'changed' | 'appeared';

/** The file is not the version the writer read: nothing was written. */
export class FileChangedError extends Error {
  readonly code = 'ECONFIGCHANGED';
  readonly change: FileChange;
  readonly path: string;
  constructor(path: string, change: FileChange) {
    const what = change === 'gone' ? 'was moved or deleted' : change === 'appeared' ? 'was created' : 'was changed';
    super(`${path} ${what} by someone else since it was read; nothing was written (the other change stays): try again`);
    this.name = 'FileChangedError';
    this.path = path;
    this.change = change;
  }
}

/** Temp files are named `.<name>.<random>.tmp` so a folder watcher can tell them from the file. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
}

/** Owner read/write at most; a stricter existing mode is kept (the owner can always read it). */
export function secretFileMode(existing: number | undefined): number {
  return existing === undefined ? 0o600 : (existing & 0o600) | 0o400;
}

/** Writes `text` to a new temp file beside `path`, with the mode and owner `path` should have; returns its path. */
async function writeTemp(path: string, text: string, modeOverride?: number): Promise<{ tmp: string; version: FileVersion }> {
  let existing: { mode: number; uid: number; gid: number } | undefined;
  try {
    existing = await stat(path);
  } catch {
    // new file: keys may live in it, so owner-only
  }
  const mode = modeOverride ?? secretFileMode(existing ? existing.mode & 0o777 : undefined);
  const tmp = tempPathFor(path);
  const handle = await open(tmp, 'wx', mode);
  try {
    await handle.chmod(mode);
    if (existing && process.getuid && (existing.uid !== process.getuid() || existing.gid !== process.getgid?.())) {
      // keeps a root-run gateway from taking the user's file over; EPERM for other users is fine
      await handle.chown(existing.uid, existing.gid).catch(() => {});
    }
    await handle.writeFile(text, 'utf8');
    await handle.sync();
    const version = versionOf(await handle.stat(), text);
    await handle.close();
    return { tmp, version };
  } catch (e) {
    await handle.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw e;
  }
}

// Persist a rename itself (best effort: not every platform can fsync a folder).
async function syncFolder(path: string): Promise<void> {
  try {
    const dir = await open(dirname(path), 'r');
    await dir.sync().finally(() => dir.close());
  } catch {
    // ignore
  }
}

const errno = (e: unknown) => (e as NodeJS.ErrnoException).code;
// file systems without hard links: fall back to rename, keeping the check just before it
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);

export async function writeFileAtomic(path: string, text: string, opts: { mode?: number } = {}): Promise<void> {
  const { tmp } = await writeTemp(path, text, opts.mode);
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
  await syncFolder(path);
}

/**
 * Writes `text` to `path` (null: removes the file) only if the file is still `expected` (null: only if there
 * is still no file). Never undoes a save that lands meanwhile: the current file is moved aside, compared with
 * `expected` and put back when it differs; the new file is then linked in place, which fails when yet another
 * file was created meanwhile. The file is absent for the microseconds between the move and the link (as
 * during an editor's save). Returns the version written; throws FileChangedError (nothing written) on a change.
 */
export async function replaceFileIfUnchanged(path: string, text: string | null, expected: FileVersion | null): Promise<FileVersion | null> {
  const temp = text === null ? null : await writeTemp(path, text);
  const aside = `${temp?.tmp ?? tempPathFor(path)}.old`;
  let movedAside = false;
  try {
    if (expected !== null) {
      try {
        await rename(path, aside);
      } catch (e) {
        if (errno(e) === 'ENOENT') throw new FileChangedError(path, 'gone');
        throw e;
      }
      movedAside = true;
      const seen = await readVersioned(aside);
      if (!sameVersion(seen.version, expected)) {
        // someone else's save: back in place, unless an even newer file is there already
        await link(aside, path).catch((e) => { if (errno(e) !== 'EEXIST') return rename(aside, path); });
        throw new FileChangedError(path, 'changed');
      }
    }
    if (temp === null) return null;
    try {
      await link(temp.tmp, path);
    } catch (e) {
      if (errno(e) === 'EEXIST') throw new FileChangedError(path, 'appeared');
      if (!NO_LINKS.has(errno(e) ?? '')) throw e;
      if ((await readVersioned(path)).version !== null) throw new FileChangedError(path, 'appeared');
      await rename(temp.tmp, path);
    }
    return temp.version;
  } finally {
    if (temp) await unlink(temp.tmp).catch(() => {});
    // the version read (now replaced), or a save superseded by a newer file
    if (movedAside) await unlink(aside).catch(() => {});
    await syncFolder(path);
  }
}
