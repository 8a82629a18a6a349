// A Codex CLI home folder (config.toml, auth.json) in a temporary parent, for configuration tests.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** toml null: no config.toml; auth a string: written as is, anything else: as JSON. */
export async function writeCodexHome(parent: string, toml: string | null, auth?: unknown): Promise<string> {
  const h = await mkdtemp(join(parent, 'codex-'));
  if (toml !== null) await writeFile(join(h, 'config.toml'), toml);
  if (auth !== undefined) await writeFile(join(h, 'auth.json'), typeof auth === 'string' ? auth : JSON.stringify(auth));
  return h;
}
