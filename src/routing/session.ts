// Which Claude Code session a request belongs to, for session affinity: its x-claude-code-session-id header,
// else the session_id inside metadata.user_id. Hashed: the RoutingState (maybe shared) holds no client ids.
import { sessionHash, sessionIdentity } from '../translate/prompt-cache-key.ts';

export function sessionOf(headers: Record<string, string | string[] | undefined>, metadata: unknown): string | undefined {
  const raw = headers['x-claude-code-session-id'];
  const header = Array.isArray(raw) ? raw[0] : raw;
  let identity: string | undefined;
  if (typeof header === 'string' && header.trim() !== '') identity = `session:${header.trim().slice(0, 200)}`;
  else {
    const fromMeta = sessionIdentity(metadata);
    if (fromMeta?.startsWith('session:')) identity = fromMeta.slice(0, 208);
  }
  if (identity === undefined) return undefined;
  return sessionHash(`packybridge-affinity:${identity}`).slice(0, 24);
}

/**
 * The session of an OpenAI-protocol request (/v1/responses, /v1/chat/completions): the Codex CLI's `session-id`
 * (0.169) or `session_id` (0.45) header, else the body's prompt_cache_key (Codex sets it to the session id;
 * other clients use it to name a conversation). Hashed like sessionOf.
 */
export function openaiSessionOf(headers: Record<string, string | string[] | undefined>, promptCacheKey: unknown): string | undefined {
  const raw = headers['session-id'] ?? headers.session_id;
  const header = Array.isArray(raw) ? raw[0] : raw;
  let identity: string | undefined;
  if (typeof header === 'string' && header.trim() !== '') identity = `openai-session:${header.trim().slice(0, 200)}`;
  else if (typeof promptCacheKey === 'string' && promptCacheKey.trim() !== '') identity = `openai-session:${promptCacheKey.trim().slice(0, 200)}`;
  if (identity === undefined) return undefined;
  return sessionHash(`packybridge-affinity:${identity}`).slice(0, 24);
}
