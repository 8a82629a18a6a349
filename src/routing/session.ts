// Which Claude Code session a request belongs to, for session affinity: its x-claude-code-session-id header,
// else the session_id inside metadata.user_id. Hashed: the RoutingState (maybe shared) holds no client ids.
import { createHash } from 'node:crypto';
import { sessionIdentity } from '../translate/prompt-cache-key.ts';

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
  return createHash('sha256').update(`packybridge-affinity:${identity}`).digest('hex').slice(0, 24);
}
