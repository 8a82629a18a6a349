// Turns what a real Claude Code sent (a recording proxy's exchange) into a project fixture: keys masked, the
// run's folders rewritten to /home/dev/project and /home/dev, the device id zeroed, and every text that is
// Claude Code's own prompt (system blocks, tool descriptions, schema descriptions, system reminders,
// mid-conversation system messages) replaced by a placeholder of the same shape that only says how long it
// was. Only the tests' own prompts, the mock's replies and the request structure remain.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ProxiedExchange } from './recording-proxy.ts';

export const FIXTURE_DIR_2_1_332 = join(import.meta.dirname, '..', 'fixtures', 'captured', 'claude-code-2.1.332');

/** A recorded request: the shape of /work/shared/fixtures/captured/claude-code-2.1.332 files (an exchange
 * with its `body` scrubbed, plus an id, a note and the client's user-agent). */
export interface ClaudeCodeFixture extends ProxiedExchange {
  id: string;
  note: string;
  client: string;
}

const placeholder = (what: string, text: string): string => `<${what}: ${text.length} characters>`;

type Json = Record<string, any>;

function scrubSchema(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(scrubSchema);
  if (!v || typeof v !== 'object') return v;
  const out: Json = {};
  for (const [k, x] of Object.entries(v as Json)) out[k] = k === 'description' && typeof x === 'string' ? placeholder('description', x) : scrubSchema(x);
  return out;
}

function scrubContent(content: unknown, role: string): unknown {
  if (typeof content === 'string') return role === 'system' ? placeholder('system message', content) : content;
  if (!Array.isArray(content)) return content;
  return content.map((b: Json) => {
    if (b?.type === 'text' && typeof b.text === 'string' && (role === 'system' || b.text.startsWith('<system-reminder>'))) {
      return { ...b, text: placeholder(role === 'system' ? 'system message' : 'system reminder', b.text) };
    }
    // a refusal's text is Claude Code's own
    if (b?.type === 'tool_result' && b.is_error === true && typeof b.content === 'string') return { ...b, content: placeholder('tool error from Claude Code', b.content) };
    if (b?.type === 'tool_result' && Array.isArray(b.content)) return { ...b, content: scrubContent(b.content, role) };
    return b;
  });
}

/** Claude Code's prompt texts out, placeholders of the same shape in. */
export function scrubPromptTexts(body: unknown): unknown {
  if (!body || typeof body !== 'object') return body;
  const b = { ...(body as Json) };
  if (typeof b.system === 'string') b.system = placeholder('system prompt', b.system);
  else if (Array.isArray(b.system)) b.system = b.system.map((s: Json) => (typeof s?.text === 'string' ? { ...s, text: placeholder('system prompt', s.text) } : s));
  if (Array.isArray(b.tools)) {
    b.tools = b.tools.map((t: Json) => {
      const out: Json = { ...t };
      if (typeof t.description === 'string') out.description = placeholder('tool description', t.description);
      if (t.input_schema) out.input_schema = scrubSchema(t.input_schema);
      return out;
    });
  }
  if (Array.isArray(b.messages)) b.messages = b.messages.map((m: Json) => ({ ...m, content: scrubContent(m.content, m.role) }));
  if (b.metadata && typeof b.metadata.user_id === 'string') b.metadata = { ...b.metadata, user_id: b.metadata.user_id.replace(/("device_id":")[0-9a-f]+/, `$1${'0'.repeat(64)}`) };
  return b;
}

/** Rewrites the run's folders (longest first) in every string of a JSON value. */
function rewritePaths<T>(v: T, paths: Array<[string, string]>): T {
  let text = JSON.stringify(v);
  for (const [from, to] of [...paths].sort((a, b) => b[0].length - a[0].length)) text = text.split(from).join(to);
  return JSON.parse(text) as T;
}

export function toFixture(ex: ProxiedExchange, id: string, note: string, paths: { cwd: string; home: string }): ClaudeCodeFixture {
  const headers = { ...ex.headers };
  delete headers.host;
  delete headers['content-length'];
  const fx: ClaudeCodeFixture = {
    id, note, client: headers['user-agent'] ?? '', method: ex.method, url: ex.url, headers,
    body: ex.body === undefined ? null : scrubPromptTexts(ex.body), status: ex.status, respHeaders: ex.respHeaders, reply: ex.reply,
  };
  return rewritePaths(fx, [[paths.cwd, '/home/dev/project'], [paths.home, '/home/dev'], [dirname(paths.cwd), '/tmp/claude-run']]);
}

/** Writes fixtures only when PACKYBRIDGE_RECORD_FIXTURES=1 (a normal test run reads them, never writes). */
export function maybeWriteFixtures(fixtures: ClaudeCodeFixture[], dir = FIXTURE_DIR_2_1_332): boolean {
  if (process.env.PACKYBRIDGE_RECORD_FIXTURES !== '1') return false;
  mkdirSync(dir, { recursive: true });
  for (const f of fixtures) writeFileSync(join(dir, `${f.id}.json`), `${JSON.stringify(f, null, 1)}\n`);
  return true;
}
