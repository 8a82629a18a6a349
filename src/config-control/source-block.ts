// The packycode block as the non-file source in force gives it, ready to be written to config.yaml:
// a key from the environment stays a ${VAR} reference.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { readEnvSource } from '../config/sources.ts';
import { readCodexCli } from '../config/codex-cli.ts';
import { setPath } from '../config/merge.ts';
import type { LoadOptions } from '../config/load.ts';
import type { EffectiveSource } from '../config/types.ts';

export const KEY_PATH = 'credentials.openai-api-key';

export async function sourceBlock(source: EffectiveSource, opts: LoadOptions, env: NodeJS.ProcessEnv, cwd: string): Promise<Record<string, unknown>> {
  if (source === 'env') {
    const block = structuredClone(readEnvSource(env).block);
    if (env.PACKYCODE_API_KEY) setPath(block, KEY_PATH, '${PACKYCODE_API_KEY}');
    return block;
  }
  if (source === 'codex-cli') {
    const homeDir = opts.homeDir ?? env.HOME ?? homedir();
    const codexHome = opts.codexHome ?? (env.CODEX_HOME ? resolve(cwd, env.CODEX_HOME) : join(homeDir, '.codex'));
    const r = await readCodexCli(codexHome, env, homeDir);
    const block = structuredClone(r.block ?? {});
    if (r.keyEnvVar) setPath(block, KEY_PATH, `\${${r.keyEnvVar}}`);
    return block;
  }
  return {};
}
