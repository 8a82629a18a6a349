// Presentation: configuration as kebab-case objects for `check`, the management API and notes. Keys masked.
import type { ConfigSnapshot, PackycodeConfig, UpstreamEntry } from './types.ts';
import { maskSecret } from './mask.ts';

export { maskSecret, looksMasked } from './mask.ts';

export function packycodeToYamlShape(p: PackycodeConfig, opts: { reveal: boolean }): Record<string, unknown> {
  const key = p.credentials.openaiApiKey;
  return {
    enabled: p.enabled,
    'base-url': p.baseUrl,
    'requires-openai-auth': p.requiresOpenaiAuth,
    'wire-api': p.wireApi,
    privacy: { 'disable-response-storage': p.privacy.disableResponseStorage },
    defaults: { model: p.defaults.model, 'model-reasoning-effort': p.defaults.modelReasoningEffort },
    credentials: { 'openai-api-key': opts.reveal ? key : maskSecret(key) },
    'model-map': p.modelMap.map((m) => ({ match: m.match, model: m.model })),
    'forward-sampling-params': p.forwardSamplingParams,
  };
}

/** The whole effective configuration, kebab-case, every key masked. */
export function snapshotToYamlShape(s: ConfigSnapshot): Record<string, unknown> {
  return {
    host: s.host,
    port: s.port,
    'api-keys': s.apiKeys.map(maskSecret),
    'log-level': s.logLevel,
    'remote-management': {
      'secret-key': s.remoteManagement.secretKey ? '(bcrypt hash)' : '',
      'allow-remote': s.remoteManagement.allowRemote,
    },
    timeouts: {
      'connect-ms': s.timeouts.connectMs,
      'first-byte-ms': s.timeouts.firstByteMs,
      'idle-ms': s.timeouts.idleMs,
    },
    fallbacks: s.fallbacks.map((f) => ({ name: f.name, 'base-url': f.baseUrl, 'api-key': maskSecret(f.apiKey), models: f.models })),
    packycode: packycodeToYamlShape(s.packycode, { reveal: false }),
    ...(s.codexKeys?.length ? { 'codex-api-key': s.codexKeys.map(entryShape) } : {}),
    ...(s.claudeKeys?.length ? { 'claude-api-key': s.claudeKeys.map(entryShape) } : {}),
    ...(s.proxyUrl ? { 'proxy-url': maskProxyUrl(s.proxyUrl) } : {}),
    ...(s.routing ? { routing: { strategy: s.routing.strategy, 'session-affinity-ttl-ms': s.routing.sessionAffinityTtlMs } } : {}),
  };
}

/** A proxy URL without its user-info (a proxy password is a secret too). */
export function maskProxyUrl(url: string): string {
  return url.replace(/\/\/[^/@]*@/, '//…@');
}

function entryShape(e: UpstreamEntry): Record<string, unknown> {
  return {
    name: e.name, 'base-url': e.baseUrl, 'api-key': maskSecret(e.apiKey),
    models: e.models.map((m) => (m.alias ? { name: m.name, alias: m.alias } : m.name)),
    ...(Object.keys(e.headers).length ? { headers: Object.keys(e.headers) } : {}),
    ...(e.proxyUrl ? { 'proxy-url': maskProxyUrl(e.proxyUrl) } : {}),
    ...(e.prefix ? { prefix: e.prefix } : {}),
  };
}

/** One line about Packycode for start-up notes, e.g. "packycode: enabled, https://…/v1, gpt-5 (high), key sk-…abcd". */
export function packycodeSummary(p: PackycodeConfig): string {
  if (!p.enabled) return 'packycode: disabled';
  const key = p.requiresOpenaiAuth ? `key ${maskSecret(p.credentials.openaiApiKey)}` : 'no key';
  return `packycode: enabled, ${p.baseUrl}, model ${p.defaults.model} (effort ${p.defaults.modelReasoningEffort}), ${key}`;
}
