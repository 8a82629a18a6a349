// The configuration snapshot the rest of the gateway reads. Immutable: a reload builds a new one.
import type { Effort } from '../wire/responses-request.ts';

export type EffectiveSource = 'config.yaml' | 'env' | 'codex-cli' | 'none';

export interface ModelMapEntry {
  /** glob-like pattern on the client's model name, `*` matches any run of characters, case-insensitive */
  match: string;
  /** model name sent upstream (may carry an effort suffix, e.g. gpt-5-codex-low) */
  model: string;
}

export interface PackycodeConfig {
  enabled: boolean;
  baseUrl: string;                 // base-url, no trailing slash
  requiresOpenaiAuth: boolean;     // requires-openai-auth
  wireApi: 'responses';            // wire-api
  privacy: { disableResponseStorage: boolean };
  defaults: { model: string; modelReasoningEffort: Effort };
  /** openaiApiKeys: `credentials.openai-api-keys`, used beside openaiApiKey (absent in hand-built snapshots) */
  credentials: { openaiApiKey: string; openaiApiKeys?: string[] };
  /** extra request headers for Packycode (`headers:`) */
  headers?: Record<string, string>;
  /** `proxy-url` for Packycode only */
  proxyUrl?: string;
  /** per-provider timeouts over the top-level ones */
  timeouts?: Partial<TimeoutsConfig>;
  /** at most this many requests in flight to Packycode (0 or absent: the top-level limit) */
  maxConcurrentRequests?: number;
  modelMap: ModelMapEntry[];       // model-map
  /** forward temperature / top_p / max_tokens as max_output_tokens (off: the Codex CLI sends none of them) */
  forwardSamplingParams: boolean;  // forward-sampling-params
}

export interface TimeoutsConfig {
  connectMs: number;     // timeouts.connect-ms
  firstByteMs: number;   // timeouts.first-byte-ms: response headers
  idleMs: number;        // timeouts.idle-ms: longest silence between two upstream events
}

export interface AnthropicFallback {
  name: string;
  baseUrl: string;
  apiKey: string;
  /** models this fallback serves; empty = any */
  models: string[];
}

/** A model an upstream entry serves: `name` (a glob when no alias) upstream, asked for as `alias`. */
export interface EntryModel {
  name: string;
  alias?: string;
}

/** One `codex-api-key` or `claude-api-key` entry. */
export interface UpstreamEntry {
  /** for logs, status and messages: its `name`, else its config path */
  name: string;
  /** where it is configured, e.g. `codex-api-key[1]` */
  path: string;
  baseUrl: string;
  apiKey: string;
  /** empty = any model */
  models: EntryModel[];
  headers: Record<string, string>;
  proxyUrl?: string;
  /** serves only model names written `<prefix>/<model>` */
  prefix?: string;
  timeouts?: Partial<TimeoutsConfig>;
  maxConcurrentRequests?: number;
}

export interface RoutingConfig {
  /** which key of a provider is tried first: rotate (round-robin) or the first healthy one (fill-first) */
  strategy: 'round-robin' | 'fill-first';
  /** how long a session stays on the candidate that served it; 0 = no affinity */
  sessionAffinityTtlMs: number;
}

export interface RemoteManagement {
  secretKey: string;        // bcrypt hash (or '' = management disabled)
  allowRemote: boolean;
}

export interface ConfigSnapshot {
  /** absolute path of config.yaml, or null when there is none */
  path: string | null;
  host: string;
  port: number;
  apiKeys: string[];
  logLevel: string;
  remoteManagement: RemoteManagement;
  packycode: PackycodeConfig;
  effectiveSource: EffectiveSource;
  timeouts: TimeoutsConfig;
  fallbacks: AnthropicFallback[];
  /** `codex-api-key:` Responses upstreams beside Packycode (absent in hand-built snapshots: none) */
  codexKeys?: UpstreamEntry[];
  /** `claude-api-key:` Anthropic-compatible upstreams, passed through */
  claudeKeys?: UpstreamEntry[];
  /** top-level `proxy-url` for every upstream without its own */
  proxyUrl?: string;
  routing?: RoutingConfig;
  /** requests in flight per upstream (base-url) at most; 0 = no limit */
  maxConcurrentPerUpstream?: number;
  /**
   * Why Packycode cannot serve: empty when it is usable. When it is disabled or not configured at all,
   * what enabling it would need (bad values, missing base-url or key, and where to configure them).
   */
  packycodeProblems: ConfigProblem[];
  loadedAt: number;
}

export interface ConfigProblem {
  path: string;     // key path, e.g. "packycode.base-url"
  message: string;  // what is wrong, naming the bad value
  fix: string;      // what to write instead
}
