// `packybridge claude-env`: the export lines for Claude Code, from the configuration as the gateway would load
// it (the listen address, the models the Claude names route to). Never prints a key.
import { loadConfig, type LoadOptions } from './config/load.ts';
import { ModelRegistry } from './routing/model-registry.ts';
import { notConfiguredMessage } from './routing/router.ts';
import { claudeCodeEnv, clientUrl, exportLines } from './routing/claude-code-env.ts';

export async function printClaudeEnv(opts: LoadOptions & { host?: string; port?: number }): Promise<{ lines: string[]; errors: string[] }> {
  const loaded = await loadConfig({ ...opts, persistSecretHash: false });
  const snapshot = loaded.snapshot;
  if (!snapshot || loaded.errors.length > 0) {
    // each problem with its fix, as `packybridge serve` prints them, so the user need not run check to see them
    const each = loaded.errors.map((e) => `\n  - ${e.path}: ${e.message}; ${e.fix}`).join('');
    return { lines: [], errors: [`the configuration has ${loaded.errors.length} problem(s): run packybridge check${each}`] };
  }
  const port = opts.port ?? snapshot.port;
  if (port === 0) return { lines: [], errors: ['port is 0 (any free port): pass --port with the port the gateway printed'] };
  // routing falls back to the catalog for names not registered, so an empty registry gives the same windows
  const env = claudeCodeEnv(snapshot, new ModelRegistry(), clientUrl(opts.host ?? snapshot.host, port));
  if (!env) return { lines: [], errors: [notConfiguredMessage(snapshot).replace(/^packybridge: /, '')] };
  return { lines: exportLines(env), errors: [] };
}
