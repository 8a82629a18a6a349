// Which settings differ between two snapshots, by dotted key name only (audits never carry values).
import type { ConfigSnapshot } from '../config/types.ts';

/** Changes to these are audited as secrets changed (still by name only). */
export const SECRET_KEYS = new Set(['packycode.credentials.openai-api-key', 'remote-management.secret-key', 'api-keys']);

/** Flattens a snapshot to dotted key paths -> comparable values, for diffs that name keys only. */
export function flattenSnapshot(s: ConfigSnapshot): Map<string, string> {
  const p = s.packycode;
  const entries: Array<[string, unknown]> = [
    ['host', s.host], ['port', s.port], ['api-keys', [s.apiKeys, s.clientKeys]], ['log-level', s.logLevel],
    ['allowed-hosts', s.allowedHosts ?? []],
    ['remote-management.secret-key', s.remoteManagement.secretKey], ['remote-management.allow-remote', s.remoteManagement.allowRemote],
    ['timeouts', s.timeouts], ['fallbacks', s.fallbacks],
    ['packycode.enabled', p.enabled], ['packycode.base-url', p.baseUrl], ['packycode.requires-openai-auth', p.requiresOpenaiAuth],
    ['packycode.wire-api', p.wireApi], ['packycode.privacy.disable-response-storage', p.privacy.disableResponseStorage],
    ['packycode.defaults.model', p.defaults.model], ['packycode.defaults.model-reasoning-effort', p.defaults.modelReasoningEffort],
    ['packycode.credentials.openai-api-key', p.credentials.openaiApiKey], ['packycode.model-map', p.modelMap],
    ['packycode.forward-sampling-params', p.forwardSamplingParams], ['effective-source', s.effectiveSource],
  ];
  return new Map(entries.map(([k, v]) => [k, JSON.stringify(v)]));
}

export function changedKeys(a: ConfigSnapshot, b: ConfigSnapshot): string[] {
  const fa = flattenSnapshot(a);
  const fb = flattenSnapshot(b);
  const out: string[] = [];
  for (const [k, v] of fb) if (fa.get(k) !== v) out.push(k);
  return out;
}
