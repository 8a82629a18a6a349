// The running gateway's state: the config snapshot in force (swapped whole on reload), the model registry,
// token counter, metrics and audit trail. Requests read `snapshot` once at their start and keep it.
import type { ConfigSnapshot } from './config/types.ts';
import { ModelRegistry, packycodeModels, providerClientId } from './routing/model-registry.ts';
import { TokenCounter } from './translate/token-count.ts';
import { Metrics } from './observability/metrics.ts';
import { AuditLog } from './observability/audit.ts';
import type { Logger } from './observability/logger.ts';
import type { RequestObserver } from './accounting/request-record.ts';
import type { RoutingState } from './state/routing-state.ts';
import { MemoryRoutingState } from './state/memory-routing-state.ts';
import type { MessageFinalizer } from './relay/messages-protocol.ts';
import { CredentialHealth } from './relay/credential-health.ts';
import { KeyRotation } from './routing/candidates.ts';

import { createRequire } from 'node:module';

export const VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

export class Runtime {
  #snapshot: ConfigSnapshot;
  readonly registry = new ModelRegistry();
  readonly tokenCounter = new TokenCounter({ maxEntries: 4096 });
  readonly metrics: Metrics;
  readonly audit: AuditLog;
  readonly logger: Logger;
  readonly startedAt = Date.now();
  readonly counters = { requests: 0, upstreamErrors: 0, failovers: 0 };
  /** every finished client request is handed to these (usage accounting, limits); metadata only */
  readonly observers: RequestObserver[] = [];
  /** hooks on the final part of every successful Messages reply (see relay/messages-protocol.ts) */
  readonly messageFinalizers: MessageFinalizer[] = [];
  /** cooldowns and session affinity; in-process by default, a shared backend may replace it at start-up */
  routingState: RoutingState = new MemoryRoutingState();
  /** each key's recent failures and last error, for the management status (in-process) */
  credentialHealth = new CredentialHealth();
  /** round-robin positions per provider and model (in-process) */
  readonly keyRotation = new KeyRotation();
  /** requests in flight per upstream base-url (limits.max-concurrent-per-upstream) */
  readonly inFlightByUpstream = new Map<string, number>();

  /** Forgets every cooldown, pin and key history (tests; a fresh start without a restart). */
  forgetUpstreamHealth(): void {
    this.routingState = new MemoryRoutingState();
    this.credentialHealth = new CredentialHealth();
  }

  constructor(snapshot: ConfigSnapshot, logger: Logger, opts: { defaultMetrics?: boolean } = {}) {
    this.logger = logger;
    this.metrics = new Metrics({ defaultMetrics: opts.defaultMetrics });
    this.audit = new AuditLog(logger);
    this.#snapshot = snapshot;
    this.registerModels();
  }

  get snapshot(): ConfigSnapshot {
    return this.#snapshot;
  }

  /** Swaps in a new snapshot; requests in flight keep the one they started with. */
  apply(next: ConfigSnapshot): void {
    this.#snapshot = next;
    this.registerModels();
  }

  packycodeUsable(s: ConfigSnapshot = this.#snapshot): boolean {
    return s.packycode.enabled && s.packycodeProblems.length === 0 && s.packycode.baseUrl !== '';
  }

  /** Registers Packycode's models under a stable client id while it is usable; unregisters otherwise. Idempotent. */
  registerModels(): string | null {
    const s = this.#snapshot;
    if (!this.packycodeUsable(s)) {
      this.registry.retain(new Set());
      return null;
    }
    const id = providerClientId('codex', s.packycode.baseUrl, s.packycode.credentials.openaiApiKey);
    this.registry.retain(new Set([id]));
    this.registry.register(id, packycodeModels('codex', id));
    return id;
  }
}
