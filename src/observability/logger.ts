// pino logger. Metadata only: request id, model, status, timings, token counts. Never prompts, replies or keys.
import pino from 'pino';
import type { Logger } from 'pino';

export type { Logger };

const REDACT_PATHS = [
  'headers.authorization',
  'headers["x-api-key"]',
  'headers["x-management-key"]',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers["x-management-key"]',
  'apiKey',
  'key',
  'secret',
  '*.apiKey',
  '*.openaiApiKey',
  '*["openai-api-key"]',
  '*["secret-key"]',
];

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

/** Caps every string field of a log object (and of the objects in it, one level down). */
export function capLogFields(fields: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(fields)) {
    let capped: unknown = v;
    if (typeof v === 'string') capped = capForLog(v, LOG_FIELD_MAX);
    else if (v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Error)) {
      for (const [ik, iv] of Object.entries(v)) {
        if (typeof iv === 'string' && iv.length > LOG_FIELD_MAX) {
          capped = { ...(capped as object), [ik]: capForLog(iv, LOG_FIELD_MAX) };
        }
      }
    }
    if (capped !== v) (out ??= { ...fields })[k] = capped;
  }
  return out ?? fields;
}

export function createLogger(opts: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  return pino(
    {
      level: opts.level ?? process.env.PACKYBRIDGE_LOG_LEVEL ?? 'info',
      base: { service: 'packybridge' },
      redact: { paths: REDACT_PATHS, censor: '[masked]' },
      formatters: { log: capLogFields },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    (opts.destination ?? process.stdout) as pino.DestinationStream,
  );
}
