// What a writer read: a config file's text with the identity it had (inode, size, mtime, content hash), so
// a later write can tell whether the file is still the one it read. null version: there was no file.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { Stats } from 'node:fs';

export interface FileVersion {
  ino: number;
  size: number;
  mtimeMs: number;
  sha256: string;
}

export interface VersionedText {
  text: string | null;
  version: FileVersion | null;
}

export function versionOf(st: Pick<Stats, 'ino' | 'size' | 'mtimeMs'>, content: Buffer | string): FileVersion {
  return { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, sha256: createHash('sha256').update(content).digest('hex') };
}

export function sameVersion(a: FileVersion | null, b: FileVersion | null): boolean {
  if (a === null || b === null) return a === b;
  return a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.sha256 === b.sha256;
}

/**
 * Reads the file with its identity; a file that changes while it is read (an editor writing in chunks) is
 * read again, a few times at most. ENOENT gives {text: null, version: null}.
 */
export async function readVersioned(path: string): Promise<VersionedText> {
  for (let attempt = 0; ; attempt++) {
    let handle;
    try {
      handle = await open(path, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { text: null, version: null };
      throw e;
    }
    try {
      const before = await handle.stat();
      const content = await handle.readFile(); // from offset 0: the descriptor is new
      const after = await handle.stat();
      const stable = before.size === after.size && before.mtimeMs === after.mtimeMs && content.length === after.size;
      if (stable || attempt >= 4) return { text: content.toString('utf8'), version: versionOf(after, content) };
    } finally {
      await handle.close();
    }
  }
}
