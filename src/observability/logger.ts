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

export function createLogger(opts: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  return pino(
    {
      level: opts.level ?? process.env.PACKYBRIDGE_LOG_LEVEL ?? 'info',
      base: { service: 'packybridge' },
      redact: { paths: REDACT_PATHS, censor: '[masked]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    (opts.destination ?? process.stdout) as pino.DestinationStream,
  );
}
