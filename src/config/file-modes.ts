// Files that hold secrets must be readable by their owner only: config.yaml with api-keys, the management
// secret-key or a Packycode key written in it, and the Codex CLI's auth.json when the key is read from it.
// A looser mode is a warning at start-up (and in `packybridge check`) naming the file and the chmod.
import { stat } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import type { ConfigProblem } from './types.ts';

/** The secrets config.yaml's text holds, by setting name ([] when none, or the text does not parse). */
export function secretsInConfigText(text: string): string[] {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) return [];
  const out: string[] = [];
  const keys = doc.get('api-keys');
  if (keys && typeof keys === 'object' && 'items' in keys && (keys as { items: unknown[] }).items.length > 0) out.push('api-keys');
  const secret = doc.getIn(['remote-management', 'secret-key']);
  if (typeof secret === 'string' && secret !== '') out.push('remote-management.secret-key');
  const key = doc.getIn(['packycode', 'credentials', 'openai-api-key']);
  // a ${VAR} reference alone is no secret; a key written in the file is
  if (typeof key === 'string' && key !== '' && !/^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(key.trim())) out.push('packycode.credentials.openai-api-key');
  return out;
}

/** A warning when `path` is readable by group or others; null when it is not (or cannot be checked). */
export async function looseModeWarning(path: string, holds: string): Promise<ConfigProblem | null> {
  if (process.platform === 'win32') return null;
  let mode: number;
  try {
    mode = (await stat(path)).mode & 0o777;
  } catch {
    return null;
  }
  if ((mode & 0o044) === 0) return null;
  const who = (mode & 0o004) !== 0 ? 'every user of this machine' : 'its group';
  return {
    path,
    message: `holds ${holds} and is readable by ${who} (mode 0${mode.toString(8)})`,
    fix: `chmod 600 ${path}`,
  };
}

/** Warnings for the secret-holding files a load read: config.yaml (its text given) and the Codex auth.json. */
export async function secretFileWarnings(opts: { configPath: string | null; configText: string | null; keyFile?: string }): Promise<ConfigProblem[]> {
  const out: ConfigProblem[] = [];
  if (opts.configPath && opts.configText !== null) {
    const secrets = secretsInConfigText(opts.configText);
    const w = secrets.length > 0 ? await looseModeWarning(opts.configPath, secrets.join(', ')) : null;
    if (w) out.push(w);
  }
  if (opts.keyFile) {
    const w = await looseModeWarning(opts.keyFile, 'the Packycode key (OPENAI_API_KEY)');
    if (w) out.push(w);
  }
  return out;
}
