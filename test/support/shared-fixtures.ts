// Where the shared reference fixtures are: $PACKYBRIDGE_SHARED_DIR, else ../shared beside the checkout
// (how CI lays it out), else /work/shared. Tests that read them skip when none exists.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));

function find(): string | null {
  const candidates = [process.env.PACKYBRIDGE_SHARED_DIR, join(repoRoot, '..', 'shared'), '/work/shared'];
  for (const c of candidates) if (c && existsSync(join(c, 'fixtures'))) return c;
  return null;
}

export const SHARED_DIR: string | null = find();

/** Absolute path of a file or folder under shared/fixtures, or null when the shared folder is absent. */
export function sharedFixture(rel: string): string | null {
  return SHARED_DIR ? join(SHARED_DIR, 'fixtures', rel) : null;
}
