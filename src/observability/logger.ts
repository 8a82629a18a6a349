// pino logger. Metadata only: request id, model, status, timings, token counts. Never prompts, replies or keys.
import pino from 'pino';
import type { Logger } from 'pino';

export type { Logger };

/**
 * Field names whose values are secrets wherever they appear in a log object (at the top or in an object up to
 * three levels down: `headers.authorization`, `req.headers["x-api-key"]`, `provider.apiKey`, ...).
 */
const SECRET_FIELDS = new Set([
  'authorization', 'x-api-key', 'x-management-key', 'apiKey', 'openaiApiKey', 'openai-api-key', 'secret', 'secret-key',
]);
/** `key` is masked too, unless it already is a key's display form (`maskSecret`: "sk-…abcd", "****", "(no key)"). */
const KEY_MASK_RE = /^(?:[A-Za-z]{2,4}-)?…[^…]{0,4}$|^\*+$|^\(no key\)$/;
const CENSOR = '[masked]';
const MAX_DEPTH = 3;

/** Longest client-supplied string a log line carries (model names, user agents, session ids, hosts). */
export const LOG_STRING_MAX = 256;
/** Longest string of any log field: the last guard, for fields no call site capped. */
const LOG_FIELD_MAX = 2048;

/**
 * A client-supplied string as it may appear in a log line: cut to `max` characters with the full length noted,
 * so a megabyte model name costs a few hundred bytes of log, never the megabyte.
 */
export function capForLog(value: string, max?: number): string;
export function capForLog(value: string | undefined, max?: number): string | undefined;
export function capForLog(value: string | undefined, max = LOG_STRING_MAX): string | undefined {
  if (value === undefined || value.length <= max) return value;
  return `${value.slice(0, max)}…[${value.length} chars]`;
}

/**
 * What a log object becomes in the line: secrets masked (`SECRET_FIELDS`, and `key` unless already a mask) and
 * every string cut to LOG_FIELD_MAX, at the top and in plain objects up to MAX_DEPTH levels down. Copies only
 * what it changes. This is the logger's `log` formatter, so it runs on every line, and it is the only
 * redaction: pino's own `redact` option re-parsed its paths on every line (18–20 µs and ~30 KB of garbage for
 * the request's line, against 3–4 µs here: `node bench/log-line.ts`, and the README's design notes).
 */
export function sanitizeLogFields(fields: Record<string, unknown>): Record<string, unknown> {
  return sanitizeObject(fields, 0);
}

function sanitizeObject(o: Record<string, unknown>, depth: number): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const k in o) {
    if (!Object.hasOwn(o, k)) continue;
    const v = o[k];
    const clean = sanitizeValue(k, v, depth);
    if (clean !== v) (out ??= { ...o })[k] = clean;
  }
  return out ?? o;
}

function sanitizeValue(k: string, v: unknown, depth: number): unknown {
  if (v === undefined || v === null) return v;
  if (SECRET_FIELDS.has(k)) return CENSOR;
  if (typeof v === 'string') {
    if (k === 'key' && !KEY_MASK_RE.test(v)) return CENSOR;
    return v.length > LOG_FIELD_MAX ? capForLog(v, LOG_FIELD_MAX) : v;
  }
  if (k === 'key') return CENSOR;
  if (typeof v === 'object' && depth < MAX_DEPTH && !Array.isArray(v) && !(v instanceof Error)) {
    return sanitizeObject(v as Record<string, unknown>, depth + 1);
  }
  return v;
}

export function createLogger(opts: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  return pino(
    {
      level: opts.level ?? process.env.PACKYBRIDGE_LOG_LEVEL ?? 'info',
      base: { service: 'packybridge' },
      formatters: { log: sanitizeLogFields },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    (opts.destination ?? process.stdout) as pino.DestinationStream,
  );
}
