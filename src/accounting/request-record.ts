// What one finished request leaves behind for accounting (usage rows, metrics, limits): metadata only, never a
// prompt, a reply or a key. The relay emits one record per client request; observers consume it off the hot path.

/** Who sent a request: the client key's name ("anonymous" when api-keys is empty), never the key itself. */
export interface ClientIdentity {
  name: string;
  /** model globs this key may use; undefined means any */
  models?: readonly string[];
}

export type ClientRoute = 'messages' | 'count_tokens' | 'responses' | 'chat_completions';

export interface RequestRecord {
  at: number;
  requestId: string;
  route: ClientRoute;
  client: string;
  /** the model name the client asked for (already bounded in length by validation) */
  modelAsked: string;
  /** the upstream model that served it, when one did */
  modelUsed?: string;
  /** provider name that served it (packycode, a codex-api-key entry, a claude-api-key entry) */
  provider?: string;
  stream: boolean;
  status: number;
  /** failure kind when status is not 2xx, or when the stream ended with an error event */
  errorKind?: string;
  durationMs: number;
  ttfbMs?: number;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  webSearches: number;
}

export interface RequestObserver {
  record(r: RequestRecord): void;
}
