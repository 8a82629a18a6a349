// Reads a text file; null when it does not exist (other errors are thrown).
import { readFile } from 'node:fs/promises';

export async function readIfExists(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}
