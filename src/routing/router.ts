// Which provider and upstream model serve a request's model name.
import type { ConfigSnapshot, ModelMapEntry } from '../config/types.ts';
import type { Effort } from '../wire/responses-request.ts';
import { MODEL_CATALOG, SUFFIX_EFFORTS, type ModelInfo } from './model-catalog.ts';
import type { ModelRegistry } from './model-registry.ts';

export interface Route {
  provider: 'codex';
  /** the name the client asked for; replies carry it */
  clientModel: string;
  upstreamModel: string;
  forcedEffort?: Effort;
  supportedEfforts?: Effort[];
  info?: ModelInfo;
  baseUrl: string;
  apiKey?: string;
  /** how the upstream model was chosen */
  via: 'registered' | 'model-map' | 'default' | 'passthrough';
}

export interface RouteRefusal {
  status: number;
  type: 'api_error' | 'not_found_error' | 'invalid_request_error';
  message: string;
}

const CATALOG = new Map(MODEL_CATALOG.map((m) => [m.id, m]));
const OPENAI_NAME = /^(gpt-|o\d|codex-|chatgpt-)/i;

/** Splits `gpt-5-codex-high` into base `gpt-5-codex` and effort `high`, when the suffix is an effort. */
export function splitEffortSuffix(name: string): { base: string; effort?: Effort } {
  const dash = name.lastIndexOf('-');
  if (dash > 0) {
    const suffix = name.slice(dash + 1).toLowerCase() as Effort;
    if (SUFFIX_EFFORTS.includes(suffix)) return { base: name.slice(0, dash), effort: suffix };
  }
  return { base: name };
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`, 'i');
}

const globCache = new Map<string, RegExp>();
export function matchModelMap(map: ModelMapEntry[], model: string): string | undefined {
  for (const entry of map) {
    let re = globCache.get(entry.match);
    if (!re) { re = globToRegExp(entry.match); globCache.set(entry.match, re); }
    if (re.test(model)) return entry.model;
  }
  return undefined;
}

/** The explanation given when Packycode cannot serve, built from the snapshot's problems. */
export function notConfiguredMessage(snapshot: ConfigSnapshot): string {
  const p = snapshot.packycode;
  const where = snapshot.path ?? 'config.yaml';
  if (!p.enabled && snapshot.effectiveSource !== 'none') {
    return `packybridge: Packycode is disabled (source: ${snapshot.effectiveSource}). Set packycode.enabled: true in ` +
      `${where} (or PATCH /v0/management/packycode {"enabled": true}).`;
  }
  const problems = snapshot.packycodeProblems.map((q) => `${q.message.replace(/^is not configured:\s*/, '')}; ${q.fix}`);
  if (snapshot.effectiveSource === 'none') {
    return `packybridge: no Packycode configuration found: ${problems.length ? problems.join(' | ') :
      `add a packycode: block (enabled: true, base-url, credentials.openai-api-key) to ${where}, or set PACKYCODE_BASE_URL and PACKYCODE_API_KEY, ` +
      'or configure a wire_api = "responses" provider in ~/.codex/config.toml'}`;
  }
  return `packybridge: Packycode is not usable (source: ${snapshot.effectiveSource}): ${snapshot.packycodeProblems.map((q) => `${q.path}: ${q.message}; ${q.fix}`).join(' | ')}`;
}

/** The upstream model (and its efforts) for a client's model name, as a Responses upstream is asked for it. */
export type ModelChoice = Pick<Route, 'upstreamModel' | 'forcedEffort' | 'supportedEfforts' | 'info' | 'via'>;

export function resolveModel(snapshot: ConfigSnapshot, registry: ModelRegistry, requested: string): ModelChoice {
  const p = snapshot.packycode;
  const registered = registry.find(requested);
  if (registered) {
    return { upstreamModel: registered.upstreamModel, forcedEffort: registered.effort, supportedEfforts: registered.info.efforts, info: registered.info, via: 'registered' };
  }

  const mapped = matchModelMap(p.modelMap, requested);
  let via: Route['via'];
  let target: string;
  if (mapped) { target = mapped; via = 'model-map'; }
  else if (OPENAI_NAME.test(requested)) { target = requested; via = 'passthrough'; }
  else { target = p.defaults.model; via = 'default'; }

  const again = registry.find(target);
  if (again) {
    return { upstreamModel: again.upstreamModel, forcedEffort: again.effort, supportedEfforts: again.info.efforts, info: again.info, via };
  }
  const { base: upstreamModel, effort } = splitEffortSuffix(target);
  const info = CATALOG.get(upstreamModel);
  const useSplit = effort !== undefined && (info !== undefined || OPENAI_NAME.test(upstreamModel));
  return {
    upstreamModel: useSplit ? upstreamModel : target,
    forcedEffort: useSplit ? effort : undefined,
    supportedEfforts: info?.efforts,
    info,
    via,
  };
}

export function resolveRoute(snapshot: ConfigSnapshot, registry: ModelRegistry, requested: string): Route | RouteRefusal {
  const p = snapshot.packycode;
  if (!p.enabled || snapshot.packycodeProblems.length > 0 || !p.baseUrl) {
    return { status: 503, type: 'api_error', message: notConfiguredMessage(snapshot) };
  }
  return {
    provider: 'codex',
    clientModel: requested,
    baseUrl: p.baseUrl,
    apiKey: p.requiresOpenaiAuth ? p.credentials.openaiApiKey : undefined,
    ...resolveModel(snapshot, registry, requested),
  };
}

export function isRefusal(r: Route | RouteRefusal): r is RouteRefusal {
  return (r as RouteRefusal).status !== undefined;
}
