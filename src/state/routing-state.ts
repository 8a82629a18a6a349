// The state routing shares between requests (and between replicas when a shared backend is configured):
// credential cooldowns and session affinity. One interface, so one process and many replicas run the same code.
//
// Reads are synchronous: they answer from this process's view, which a shared backend keeps current in the
// background. Writes apply to that view at once and propagate without blocking the request path.
export interface RoutingState {
  /** Epoch ms until which the credential (`provider/key-id/model` or `provider/key-id`) is cooling down; 0 if not. */
  cooldownUntil(id: string): number;
  setCooldown(id: string, untilMs: number, reason: string): void;
  clearCooldown(id: string): void;
  /** The candidate id a session is pinned to, if any. */
  sessionRoute(sessionId: string): string | undefined;
  setSessionRoute(sessionId: string, candidateId: string, ttlMs: number): void;
  clearSessionRoute(sessionId: string): void;
}
