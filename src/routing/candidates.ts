// The ordered candidates for one request: (provider, key, upstream model). Packycode first while it is usable,
// then the codex-api-key upstreams (translated like Packycode), the claude-api-key upstreams and the fallbacks
// (both passed through) that serve the requested model. Within a provider the keys are ordered by
// routing.strategy; a key resting after a failure (RoutingState) is left out, one that failed briefly goes last;
// the session's pinned candidate goes first. Reads the snapshot, the registry and the RoutingState; writes nothing.
import { hash } from 'node:crypto';
import type { AnthropicFallback, ConfigSnapshot, EntryModel, TimeoutsConfig, UpstreamEntry } from '../config/types.ts';
import { maskSecret } from '../config/mask.ts';
import type { ProviderLabel } from '../relay/anthropic-errors.ts';
import { packycodeLabel } from '../relay/anthropic-errors.ts';
import type { RoutingState } from '../state/routing-state.ts';
import type { ModelRegistry } from './model-registry.ts';
import { RecentMemo } from '../translate/recent-memo.ts';
import { isRefusal, resolveModel, resolveRoute, type Route, type RouteRefusal } from './router.ts';

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
  /** requests in flight to this upstream at most (0: no limit) */
  maxConcurrent: number;
  /** this session's encrypted reasoning was refused by this key before: send the request without it */
  dropReasoning?: boolean;
}

export interface CandidateList {
  candidates: Candidate[];
  /** why Packycode is not among them, when it is not usable at all */
  refusal?: RouteRefusal;
  /** every candidate is resting after failures: when the first one recovers (epoch ms), and who rests */
  resting?: { until: number; candidates: Array<{ candidate: Candidate; until: number }> };
}

export interface RoutingInputs {
  state: RoutingState;
  rotation: KeyRotation;
  /** the session this request belongs to (affinity), hashed */
  sessionId?: string;
  now?: number;
}

/** Round-robin positions per provider and model: in-process (a replica rotating on its own is still fair). */
export class KeyRotation {
  readonly #next = new Map<string, number>();

  /** The start index for the next request to `group` of `size` keys. */
  take(group: string, size: number): number {
    const n = this.#next.get(group) ?? 0;
    this.#next.set(group, (n + 1) % Math.max(1, size));
    if (this.#next.size > 10_000) this.#next.clear();
    return n % Math.max(1, size);
  }
}

/** A short stable id for a key: never the key, and the same key always gives the same id. */
export function keyId(provider: string, key: string | undefined): string {
  // keys come from the configuration (a few, or a few hundred): hashed once, not on every request
  return `${provider}/${keyDigests.get(key ?? '', (k) => hash('sha256', k).slice(0, 10))}`;
}
const keyDigests = new RecentMemo<string>({ maxEntries: 4096, maxKeyLength: 4096 });

/** The RoutingState id that marks a session's reasoning as refused by one key (a cooldown-shaped flag). */
export function reasoningRefusedId(sessionId: string, keyIdValue: string): string {
  return `reasoning-refused/${sessionId}/${keyIdValue}`;
}

/** The RoutingState id of a brief cooldown: the candidate is tried after the others, not skipped. */
export function briefCooldownId(candidateId: string): string {
  return `brief/${candidateId}`;
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

/**
 * The model an entry sends upstream for `asked` (prefix removed), or null when it does not serve it: an alias
 * names its model; a name or glob matching the asked name (or, for Responses upstreams, the model Packycode's
 * mapping would choose) serves it under that name.
 */
export function entryModelFor(models: readonly EntryModel[], asked: string, mapped?: string): string | null {
  if (models.length === 0) return asked;
  for (const m of models) if (m.alias !== undefined && m.alias.toLowerCase() === asked.toLowerCase()) return m.name;
  for (const m of models) {
    if (m.alias !== undefined) continue;
    if (servesModel([m.name], asked)) return asked;
    if (mapped !== undefined && servesModel([m.name], mapped)) return mapped;
  }
  return null;
}

/** The name without an entry's `prefix/`, or null when the entry's prefix (or the lack of one) does not fit. */
function unprefixed(model: string, prefix: string | undefined, prefixes: ReadonlySet<string>): string | null {
  const slash = model.indexOf('/');
  const head = slash > 0 ? model.slice(0, slash) : undefined;
  if (prefix !== undefined) return head === prefix ? model.slice(slash + 1) : null;
  return head !== undefined && prefixes.has(head) ? null : model;
}

function withTimeouts(base: TimeoutsConfig, over: Partial<TimeoutsConfig> | undefined): TimeoutsConfig {
  return over ? { ...base, ...over } : base;
}

interface Group {
  /** rotation key */
  key: string;
  members: Candidate[];
}

function packycodeGroup(snapshot: ConfigSnapshot, registry: ModelRegistry, model: string, prefixes: ReadonlySet<string>): Group | RouteRefusal {
  const route = resolveRoute(snapshot, registry, model);
  if (isRefusal(route)) return route;
  const p = snapshot.packycode;
  const members: Candidate[] = [];
  if (unprefixed(model, undefined, prefixes) === null) return { key: 'packycode', members };
  const keys: Array<{ key: string | undefined; path: string }> = [];
  if (!p.requiresOpenaiAuth) keys.push({ key: undefined, path: 'packycode.requires-openai-auth' });
  else {
    const seen = new Set<string>();
    if (p.credentials.openaiApiKey) { keys.push({ key: p.credentials.openaiApiKey, path: 'packycode.credentials.openai-api-key' }); seen.add(p.credentials.openaiApiKey); }
    (p.credentials.openaiApiKeys ?? []).forEach((k, i) => {
      if (k && !seen.has(k)) { keys.push({ key: k, path: `packycode.credentials.openai-api-keys[${i}]` }); seen.add(k); }
    });
  }
  const base = packycodeLabel(snapshot.effectiveSource);
  for (const { key, path } of keys) {
    const kid = keyId('packycode', key);
    const label = path === 'packycode.credentials.openai-api-key' ? base : { ...base, keyPath: path };
    members.push({
      id: `${kid}/${route.upstreamModel}`, keyId: kid, provider: 'packycode', protocol: 'responses', label,
      baseUrl: route.baseUrl, ...(key ? { apiKey: key } : {}), keyMask: key ? maskSecret(key) : '(no key)',
      ...(p.headers && Object.keys(p.headers).length ? { headers: p.headers } : {}),
      ...(p.proxyUrl ?? snapshot.proxyUrl ? { proxyUrl: p.proxyUrl ?? snapshot.proxyUrl } : {}),
      upstreamModel: route.upstreamModel, route: { ...route, apiKey: key }, timeouts: withTimeouts(snapshot.timeouts, p.timeouts),
      maxConcurrent: p.maxConcurrentRequests || snapshot.maxConcurrentPerUpstream || 0,
    });
  }
  return { key: `packycode/${route.upstreamModel}`, members };
}

function entryLabel(e: UpstreamEntry, protocol: Candidate['protocol']): ProviderLabel {
  return {
    name: e.name === e.path ? e.path : `${e.path.replace(/\[\d+\]$/, '')} "${e.name}"`,
    keyPath: `${e.path}.api-key`,
    urlPath: `${e.path}.base-url`,
    notFoundHint: protocol === 'responses'
      ? `Check ${e.path}.base-url (it should end in /v1) and the model name.`
      : `write ${e.path}.base-url as for ANTHROPIC_BASE_URL, without /v1`,
  };
}

function entryGroups(
  snapshot: ConfigSnapshot, registry: ModelRegistry, model: string, prefixes: ReadonlySet<string>,
  entries: readonly UpstreamEntry[], protocol: Candidate['protocol'],
): Group[] {
  const groups = new Map<string, Group>();
  for (const e of entries) {
    const asked = unprefixed(model, e.prefix, prefixes);
    if (asked === null) continue;
    const choice = protocol === 'responses' ? resolveModel(snapshot, registry, asked) : undefined;
    const upstream = entryModelFor(e.models, asked, choice?.upstreamModel);
    if (upstream === null) continue;
    const route: Route | undefined = protocol === 'responses'
      ? {
        provider: 'codex', clientModel: model, baseUrl: e.baseUrl, apiKey: e.apiKey,
        ...(upstream === asked || upstream === choice?.upstreamModel ? choice! : resolveModel(snapshot, registry, upstream)),
      }
      : undefined;
    const upstreamModel = route ? route.upstreamModel : upstream;
    const kid = keyId(e.name, e.apiKey);
    const c: Candidate = {
      id: `${kid}/${upstreamModel}`, keyId: kid, provider: e.name, protocol, label: entryLabel(e, protocol),
      baseUrl: e.baseUrl, apiKey: e.apiKey, keyMask: maskSecret(e.apiKey),
      ...(Object.keys(e.headers).length ? { headers: e.headers } : {}),
      ...(e.proxyUrl ?? snapshot.proxyUrl ? { proxyUrl: e.proxyUrl ?? snapshot.proxyUrl } : {}),
      upstreamModel, ...(route ? { route } : {}), timeouts: withTimeouts(snapshot.timeouts, e.timeouts),
      maxConcurrent: e.maxConcurrentRequests || snapshot.maxConcurrentPerUpstream || 0,
    };
    // entries at one base-url (and prefix) are keys of one provider: the strategy picks among them
    const gk = `${protocol}/${e.baseUrl}/${e.prefix ?? ''}/${upstreamModel}`;
    const g = groups.get(gk);
    if (g) g.members.push(c);
    else groups.set(gk, { key: gk, members: [c] });
  }
  return [...groups.values()];
}

function fallbackCandidate(snapshot: ConfigSnapshot, fb: AnthropicFallback, model: string): Candidate {
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
    ...(snapshot.proxyUrl ? { proxyUrl: snapshot.proxyUrl } : {}),
    upstreamModel: model, timeouts: snapshot.timeouts, fallbackName: fb.name,
    maxConcurrent: snapshot.maxConcurrentPerUpstream || 0,
  };
}

/** A group's members in the order routing.strategy tries them. */
function ordered(g: Group, strategy: 'round-robin' | 'fill-first', rotation: KeyRotation | undefined): Candidate[] {
  const n = g.members.length;
  if (n < 2 || strategy === 'fill-first' || !rotation) return g.members;
  const start = rotation.take(g.key, n);
  return [...g.members.slice(start), ...g.members.slice(0, start)];
}

/** The candidates for `model`, in the order they are tried. */
export function candidatesFor(snapshot: ConfigSnapshot, registry: ModelRegistry, model: string, inputs?: RoutingInputs): CandidateList {
  const codex = snapshot.codexKeys ?? [];
  const claude = snapshot.claudeKeys ?? [];
  const prefixes = new Set<string>();
  for (const e of [...codex, ...claude]) if (e.prefix) prefixes.add(e.prefix);

  const groups: Group[] = [];
  const packy = packycodeGroup(snapshot, registry, model, prefixes);
  if ('members' in packy) groups.push(packy);
  groups.push(...entryGroups(snapshot, registry, model, prefixes, codex, 'responses'));
  groups.push(...entryGroups(snapshot, registry, model, prefixes, claude, 'anthropic'));
  // Packycode's refusal is the answer's base only when nothing but `fallbacks:` (its stand-ins) could serve
  const refusal = 'members' in packy || groups.length > 0 ? undefined : packy;
  for (const fb of snapshot.fallbacks) {
    if (unprefixed(model, undefined, prefixes) !== null && servesModel(fb.models, model)) {
      groups.push({ key: `fallback/${fb.name}`, members: [fallbackCandidate(snapshot, fb, model)] });
    }
  }

  const strategy = snapshot.routing?.strategy ?? 'round-robin';
  const all = groups.flatMap((g) => ordered(g, strategy, inputs?.rotation));
  const list: CandidateList = { candidates: all, ...(refusal ? { refusal } : {}) };
  if (!inputs) return list;

  // health: resting keys are left out, briefly failed ones go last; the session's pinned candidate goes first
  const { state, sessionId } = inputs;
  const now = inputs.now ?? Date.now();
  const healthy: Candidate[] = [];
  const brief: Candidate[] = [];
  const resting: Array<{ c: Candidate; until: number }> = [];
  for (const c of all) {
    const until = Math.max(state.cooldownUntil(c.id), state.cooldownUntil(c.keyId));
    if (until > now) { resting.push({ c, until }); continue; }
    if (sessionId && state.cooldownUntil(reasoningRefusedId(sessionId, c.keyId)) > now) c.dropReasoning = true;
    (state.cooldownUntil(briefCooldownId(c.id)) > now ? brief : healthy).push(c);
  }
  const ready = [...healthy, ...brief];
  const pinned = sessionId ? state.sessionRoute(sessionId) : undefined;
  const at = pinned === undefined ? -1 : ready.findIndex((c) => c.id === pinned);
  if (at > 0) ready.unshift(...ready.splice(at, 1));
  list.candidates = ready;
  if (ready.length === 0 && resting.length > 0) {
    list.resting = { until: Math.min(...resting.map((r) => r.until)), candidates: resting.map((r) => ({ candidate: r.c, until: r.until })) };
  }
  return list;
}

export interface ConfiguredKey {
  provider: string;
  keyId: string;
  key: string;
  path: string;
  baseUrl: string;
  protocol: Candidate['protocol'];
}

/** Every configured upstream key (masked), in routing order, for the management status. */
export function configuredKeys(snapshot: ConfigSnapshot): ConfiguredKey[] {
  const out: ConfiguredKey[] = [];
  const p = snapshot.packycode;
  if (p.enabled && p.baseUrl) {
    const keys = [p.credentials.openaiApiKey, ...(p.credentials.openaiApiKeys ?? [])].filter((k, i, all) => k && all.indexOf(k) === i);
    keys.forEach((k, i) => out.push({
      provider: 'packycode', keyId: keyId('packycode', k), key: maskSecret(k), baseUrl: p.baseUrl, protocol: 'responses',
      path: k === p.credentials.openaiApiKey ? 'packycode.credentials.openai-api-key' : `packycode.credentials.openai-api-keys[${(p.credentials.openaiApiKeys ?? []).indexOf(k)}]`,
    }));
    if (keys.length === 0 && !p.requiresOpenaiAuth) out.push({ provider: 'packycode', keyId: keyId('packycode', undefined), key: '(no key)', baseUrl: p.baseUrl, protocol: 'responses', path: 'packycode.requires-openai-auth' });
  }
  for (const [list, protocol] of [[snapshot.codexKeys ?? [], 'responses'], [snapshot.claudeKeys ?? [], 'anthropic']] as const) {
    for (const e of list) out.push({ provider: e.name, keyId: keyId(e.name, e.apiKey), key: maskSecret(e.apiKey), path: `${e.path}.api-key`, baseUrl: e.baseUrl, protocol });
  }
  snapshot.fallbacks.forEach((fb, i) => out.push({ provider: fb.name, keyId: keyId(fb.name, fb.apiKey), key: maskSecret(fb.apiKey), path: `fallbacks[${i}].api-key`, baseUrl: fb.baseUrl, protocol: 'anthropic' }));
  return out;
}
