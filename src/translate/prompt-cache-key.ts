// prompt_cache_key: one stable, opaque key per Claude Code session, so the upstream routes every turn of
// a session to the same prompt cache. The raw session id is never forwarded: the key is a sha256 of it,
// spelled like a UUID.
import { hash } from 'node:crypto';
import { RecentMemo } from './recent-memo.ts';

const LEGACY_SESSION = /_session_([A-Za-z0-9-]+)$/;

// Every turn of a session sends the same user_id and so gets the same identity and hashes: each is made once
// a session. A few hundred sessions at a time on one gateway; more only costs a parse and a hash again. Claude
// Code's user_id is ~150 characters; a longer one is parsed and hashed every time, as before.
const MEMO_ENTRIES = 512;
const MEMO_KEY_LENGTH = 512;
const identities = new RecentMemo<string>({ maxEntries: MEMO_ENTRIES, maxKeyLength: MEMO_KEY_LENGTH });
const hashes = new RecentMemo<string>({ maxEntries: MEMO_ENTRIES * 2, maxKeyLength: MEMO_KEY_LENGTH + 64 });

/** The hex SHA-256 of a short string that repeats every turn (a prefixed session identity), remembered. */
export function sessionHash(input: string): string {
  return hashes.get(input, (s) => hash('sha256', s));
}

/** The session (or, failing that, the user) id carried by metadata.user_id, if any. */
export function sessionIdentity(metadata: unknown): string | undefined {
  if (typeof metadata !== 'object' || metadata === null) return undefined;
  const userId = (metadata as { user_id?: unknown }).user_id;
  if (typeof userId !== 'string' || userId.trim() === '') return undefined;
  return identities.get(userId, identityOf);
}

function identityOf(userId: string): string {
  // Claude Code 2.x: a JSON string {"device_id", "account_uuid", "session_id"}.
  if (userId.startsWith('{')) {
    try {
      const parsed = JSON.parse(userId) as unknown;
      if (typeof parsed === 'object' && parsed !== null) {
        const session = (parsed as { session_id?: unknown }).session_id;
        if (typeof session === 'string' && session !== '') return `session:${session}`;
      }
    } catch {
      // not JSON after all: fall through and use it whole
    }
  }
  // Older Claude Code: user_<hash>_account_<uuid>_session_<uuid>.
  const legacy = LEGACY_SESSION.exec(userId);
  if (legacy) return `session:${legacy[1]}`;
  // Any other client: its user id is still a stable routing hint.
  return `user:${userId}`;
}

export function promptCacheKey(metadata: unknown): string | undefined {
  const identity = sessionIdentity(metadata);
  if (identity === undefined) return undefined;
  const hex = sessionHash(`packybridge-prompt-cache:${identity}`);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
