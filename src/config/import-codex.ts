// `packybridge import-codex`: copy the Codex CLI's Packycode provider into config.yaml's packycode block.
// The key stays a ${VAR} reference when it came from the provider's env_key; from auth.json it is copied.
import { readCodexCli } from './codex-cli.ts';
import { ConfigStore, ConfigValidationError } from './store.ts';
import { maskSecret } from './mask.ts';

export interface ImportMapping {
  from: string;
  to: string; // key path inside the packycode block, e.g. "base-url"
  value: string; // masked for keys
}

export class NothingToImportError extends Error {
  readonly notes: string[];
  constructor(notes: string[]) {
    super(`nothing to import from the Codex CLI: ${notes.join('; ')}`);
    this.name = 'NothingToImportError';
    this.notes = notes;
  }
}

function lookup(block: Record<string, unknown>, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), block);
}

/**
 * Throws NothingToImportError when there is no usable provider, ConfigValidationError when what would be
 * written is invalid (nothing is written then).
 */
export async function importCodex(opts: {
  codexHome: string;
  configPath: string;
  env: NodeJS.ProcessEnv;
  homeDir?: string;
}): Promise<{ mapping: ImportMapping[]; created: boolean; notes: string[] }> {
  const r = await readCodexCli(opts.codexHome, opts.env, opts.homeDir);
  if (r.problems.length > 0) throw new ConfigValidationError(r.problems);
  if (!r.found || !r.block) throw new NothingToImportError(r.notes);
  const block = structuredClone(r.block);
  if (r.keyEnvVar) block.credentials = { 'openai-api-key': `\${${r.keyEnvVar}}` };

  const mapping: ImportMapping[] = [
    { from: `${r.configFile} model_provider = "${r.providerId}"`, to: 'enabled', value: 'true' },
    { from: `${r.configFile} model_providers.${r.providerId}.wire_api`, to: 'wire-api', value: 'responses' },
  ];
  for (const o of r.origins) {
    const v = lookup(block, o.to);
    const isKey = o.to === 'credentials.openai-api-key';
    const value = isKey && !r.keyEnvVar ? maskSecret(String(v)) : String(v);
    mapping.push({ from: o.from, to: o.to, value });
  }
  const { created } = await new ConfigStore(opts.configPath, { env: opts.env }).setPackycode(block, 'merge');
  return { mapping, created, notes: r.notes };
}
