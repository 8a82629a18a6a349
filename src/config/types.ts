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

/** Limits of one client key; absent = no limit. */
export interface ClientLimits {
  requestsPerMinute?: number;  // requests-per-minute
  tokensPerMinute?: number;    // tokens-per-minute (input + cached + output)
  tokensPerDay?: number;       // tokens-per-day (UTC day)
}

/** One `api-keys` entry. The key itself is kept only as its SHA-256 digest. */
export interface ClientKey {
  /** shown in logs, metrics, usage and audit; `key-N` (position) for an entry written as a bare string */
  name: string;
  /** hex SHA-256 of the key */
  digest: string;
  /** for display: the key masked (`pb-…abcd`), or `sha256:…abcd` when the file holds only the digest */
  masked: string;
  /** model name globs this key may use; undefined = any */
  models?: string[];
  limits: ClientLimits;
  /** epoch ms after which the key is refused; undefined = never */
  expires?: number;
}

/** US dollars per million tokens. */
export interface ModelPrice {
  input: number;
  /** cached input; defaults to input when a price table entry leaves it out */
  cachedInput: number;
  output: number;
}

export interface UsageConfig {
  retentionDays: number;  // usage.retention-days
  /** usage.prices: model name (or `*` glob) -> price, before the built-in table */
  prices: Record<string, ModelPrice>;
}

export interface StateConfig {
  backend: 'memory' | 'redis';  // state.backend
  url: string;                  // state.url ('' for memory)
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

/** safeguards: Claude Code's auto mode asking the gateway to judge tool calls. */
export interface SafeguardsConfig {
  /** classifier-model: the Packycode model that judges; '' = no judge (Claude Code checks on its own) */
  classifierModel: string;
  /** timeout-ms: the judge's deadline; past it every call of the reply is `unavailable` */
  timeoutMs: number;
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
  /**
   * allowed-hosts: Host names accepted besides the loopback ones (lower-case, no port; `*.domain`, `*` = any).
   * Absent = []. See src/server/host-check.ts.
   */
  allowedHosts?: readonly string[];
  /** every api-keys entry, named (apiKeys holds the same keys as written) */
  clientKeys: ClientKey[];
  logLevel: string;
  remoteManagement: RemoteManagement;
  packycode: PackycodeConfig;
  effectiveSource: EffectiveSource;
  timeouts: TimeoutsConfig;
  fallbacks: AnthropicFallback[];
  /** folder of the usage database (data-dir, else the config file's folder); null: no file, usage kept in memory */
  dataDir: string | null;
  usage: UsageConfig;
  state: StateConfig;
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
   * requests in flight from which, while the event loop is saturated, a connection's next request waits in the
   * kernel instead of the heap (server/admission.ts); 0 = never; absent = 16
   */
  saturationQueueAt?: number;
  /** on SIGTERM/SIGINT, how long streams in flight may still finish */
  shutdownGraceMs?: number;
  /** auto mode's server-side check (absent in snapshots built before it existed: no judge) */
  safeguards?: SafeguardsConfig;
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
