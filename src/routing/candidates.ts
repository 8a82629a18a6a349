// The ordered candidates for one request: (provider, key, upstream model), Packycode first while it is
// usable, then the other upstreams that serve the requested model. Pure: reads the snapshot and the registry.
import { createHash } from 'node:crypto';
import type { AnthropicFallback, ConfigSnapshot, TimeoutsConfig } from '../config/types.ts';
import { maskSecret } from '../config/mask.ts';
import type { ProviderLabel } from '../relay/anthropic-errors.ts';
import { packycodeLabel } from '../relay/anthropic-errors.ts';
import type { ModelRegistry } from './model-registry.ts';
import { isRefusal, resolveRoute, type Route, type RouteRefusal } from './router.ts';

export interface Candidate {
  /** cooldown id in the RoutingState: `provider/key-id/model` */
  id: string;
  /** the credential without the model: `provider/key-id` */
  keyId: string;
  /** 'packycode', or the name of a fallback / codex-api-key / claude-api-key entry */
  provider: string;
  /** what the upstream speaks: a Responses API (translated) or Anthropic Messages (passed through) */
  protocol: 'responses' | 'anthropic';
  label: ProviderLabel;
  baseUrl: string;
  apiKey?: string;
  /** the key as logs and status show it */
  keyMask: string;
  headers?: Readonly<Record<string, string>>;
  proxyUrl?: string;
  upstreamModel: string;
  /** for Responses upstreams: how the model was chosen and which efforts it takes */
  route?: Route;
  timeouts: TimeoutsConfig;
  /** set for an entry of `fallbacks:` (replies carry x-packybridge-fallback) */
  fallbackName?: string;
}

export interface CandidateList {
  candidates: Candidate[];
  /** why Packycode is not among them, when it is not usable at all */
  refusal?: RouteRefusal;
}

/** A short stable id for a key: never the key, and the same key always gives the same id. */
export function keyId(provider: string, key: string | undefined): string {
  return `${provider}/${createHash('sha256').update(key ?? '').digest('hex').slice(0, 10)}`;
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.trim().replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`, 'i');
}

const globCache = new Map<string, RegExp>();

/** Empty list = any model; else one pattern must match the whole name (`*` = any run, case-insensitive). */
export function servesModel(patterns: readonly string[], model: string): boolean {
  if (patterns.length === 0) return true;
  for (const p of patterns) {
    let re = globCache.get(p);
    if (!re) {
      re = globToRegExp(p);
      if (globCache.size > 1024) globCache.clear();
      globCache.set(p, re);
    }
    if (re.test(model)) return true;
  }
  return false;
}

function fallbackCandidate(fb: AnthropicFallback, model: string, timeouts: TimeoutsConfig): Candidate {
  const kid = keyId(fb.name, fb.apiKey);
  return {
    id: `${kid}/${model}`, keyId: kid, provider: fb.name, protocol: 'anthropic',
    label: {
      name: `fallback "${fb.name}"`,
      keyPath: `the api-key of fallback "${fb.name}"`,
      urlPath: `the base-url of fallback "${fb.name}"`,
      notFoundHint: 'write its base-url as for ANTHROPIC_BASE_URL, without /v1',
    },
    baseUrl: fb.baseUrl, apiKey: fb.apiKey, keyMask: maskSecret(fb.apiKey),
    upstreamModel: model, timeouts, fallbackName: fb.name,
  };
}

function packycodeCandidate(snapshot: ConfigSnapshot, route: Route): Candidate {
  const kid = keyId('packycode', route.apiKey);
  return {
    id: `${kid}/${route.upstreamModel}`, keyId: kid, provider: 'packycode', protocol: 'responses',
    label: packycodeLabel(snapshot.effectiveSource),
    baseUrl: route.baseUrl, apiKey: route.apiKey, keyMask: route.apiKey ? maskSecret(route.apiKey) : '(none)',
    upstreamModel: route.upstreamModel, route, timeouts: snapshot.timeouts,
  };
}

/** The candidates for `model`, in the order they are tried. */
export function candidatesFor(snapshot: ConfigSnapshot, registry: ModelRegistry, model: string): CandidateList {
  const out: Candidate[] = [];
  const route = resolveRoute(snapshot, registry, model);
  if (!isRefusal(route)) out.push(packycodeCandidate(snapshot, route));
  for (const fb of snapshot.fallbacks) {
    if (servesModel(fb.models, model)) out.push(fallbackCandidate(fb, model, snapshot.timeouts));
  }
  return isRefusal(route) ? { candidates: out, refusal: route } : { candidates: out };
}
