// Models per provider client, registered under a stable id. Registering the same client twice changes nothing.
import { hash } from 'node:crypto';
import { MODEL_CATALOG, type ModelInfo } from './model-catalog.ts';
import type { Effort } from '../wire/responses-request.ts';

export interface RegisteredModel {
  /** the name a client uses, e.g. gpt-5-codex-high */
  id: string;
  /** the model sent upstream, e.g. gpt-5-codex */
  upstreamModel: string;
  /** effort fixed by the name's suffix */
  effort?: Effort;
  info: ModelInfo;
  provider: string;
  clientId: string;
}

/** A short, stable id for one provider client: the same base-url and key give the same id. */
export function providerClientId(provider: string, baseUrl: string, key: string): string {
  const digest = hash('sha256', `${baseUrl}\u0000${key}`).slice(0, 12);
  return `${provider}-${digest}`;
}

/** The catalog expanded with an effort-suffixed name per supported effort. */
export function packycodeModels(provider: string, clientId: string): RegisteredModel[] {
  const out: RegisteredModel[] = [];
  for (const info of MODEL_CATALOG) {
    out.push({ id: info.id, upstreamModel: info.id, info, provider, clientId });
    for (const effort of info.efforts) {
      out.push({ id: `${info.id}-${effort}`, upstreamModel: info.id, effort, info, provider, clientId });
    }
  }
  return out;
}

/**
 * Every model name the gateway knows of: the catalog with its effort suffixes, and the names a configuration
 * gives (defaults.model, model-map targets, fallback models). Metrics label only these (see metrics.ts).
 */
export function knownModelNames(config: { packycode: { defaults: { model: string }; modelMap: readonly { model: string }[] }; fallbacks: readonly { models: readonly string[] }[] }): string[] {
  return [
    ...packycodeModels('', '').map((m) => m.id),
    config.packycode.defaults.model,
    ...config.packycode.modelMap.map((m) => m.model),
    ...config.fallbacks.flatMap((f) => f.models),
  ];
}

export class ModelRegistry {
  #byClient = new Map<string, RegisteredModel[]>();
  #byId = new Map<string, RegisteredModel>();

  /** Registers (or re-registers) a client's models. Returns true when anything changed. */
  register(clientId: string, models: RegisteredModel[]): boolean {
    const existing = this.#byClient.get(clientId);
    if (existing && existing.length === models.length && existing.every((m, i) => m.id === models[i].id)) return false;
    if (existing) this.unregister(clientId);
    this.#byClient.set(clientId, models);
    this.#rebuild();
    return true;
  }

  /** Removes a client's models. Returns true when it had any. */
  unregister(clientId: string): boolean {
    if (!this.#byClient.delete(clientId)) return false;
    this.#rebuild();
    return true;
  }

  /** Keeps only the given clients registered. */
  retain(clientIds: Set<string>): void {
    let changed = false;
    for (const id of [...this.#byClient.keys()]) {
      if (!clientIds.has(id)) { this.#byClient.delete(id); changed = true; }
    }
    if (changed) this.#rebuild();
  }

  clients(): string[] { return [...this.#byClient.keys()]; }
  find(id: string): RegisteredModel | undefined { return this.#byId.get(id.toLowerCase()); }
  list(): RegisteredModel[] { return [...this.#byId.values()]; }

  #rebuild(): void {
    this.#byId.clear();
    for (const models of this.#byClient.values()) {
      for (const m of models) if (!this.#byId.has(m.id)) this.#byId.set(m.id, m);
    }
  }
}
