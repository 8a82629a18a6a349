// The config.yaml schema (zod v4): kebab-case keys, defaults, and the fix texts for its problems.
// Values arrive with ${VAR} references already expanded, so numbers and booleans may come as strings.
import { isIP } from 'node:net';
import { z } from 'zod';
import type { FixTable } from './problems.ts';
import { showValue } from './problems.ts';
import { checkHttpUrl } from './url.ts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const EFFORTS = ['minimal', 'low', 'medium', 'high'] as const;
export const PACKYCODE_EXAMPLE_URL = 'https://codex-api.packycode.com/v1';

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 8317,
  logLevel: 'info',
  timeouts: { connectMs: 10_000, firstByteMs: 120_000, idleMs: 300_000 },
  packycode: {
    requiresOpenaiAuth: true,
    disableResponseStorage: true,
    model: 'gpt-5',
    modelReasoningEffort: 'high',
    forwardSamplingParams: false,
  },
} as const;

// --- building blocks -------------------------------------------------------------------------------

const boolish = z.preprocess((v) => {
  if (typeof v !== 'string') return v;
  const s = v.trim().toLowerCase();
  if (s === 'true') return true;
  if (s === 'false') return false;
  return v;
}, z.boolean());

const intish = z.preprocess((v) => (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v), z.number().int());

const nonEmpty = z.string().trim().min(1);

const lowered = <T extends readonly [string, ...string[]]>(values: T) =>
  z.preprocess((v) => (typeof v === 'string' ? v.trim().toLowerCase() : v), z.enum(values));

/** http(s) URL; `dropSuffix` is a path the gateway appends itself. Output: no trailing slash. */
export function httpUrl(dropSuffix: RegExp | null, example: string) {
  return z
    .string()
    .check((ctx) => {
      const r = checkHttpUrl(ctx.value, dropSuffix, example);
      if (!r.ok) ctx.issues.push({ code: 'custom', input: ctx.value, message: r.message, params: { fix: r.fix } });
    })
    .transform((v) => v.trim().replace(/\/+$/, ''));
}

const HOSTNAME = /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?$/i;

const hostSchema = z
  .string()
  .transform((v) => v.trim().replace(/^\[(.*)\]$/, '$1'))
  .check((ctx) => {
    const v = ctx.value;
    const shown = showValue(v);
    const fail = (message: string, fix: string): void => {
      ctx.issues.push({ code: 'custom', input: v, message, params: { fix } });
    };
    if (v === '') return fail('is empty', 'write an IP address or host name, e.g. 127.0.0.1');
    if (isIP(v) !== 0 || HOSTNAME.test(v)) return;
    const scheme = /^[a-z]+:\/\/([^/:]+)/i.exec(v);
    if (scheme) return fail(`${shown} is a URL, not a host`, `write only the host: ${scheme[1]}`);
    const withPort = /^([^:]+):(\d+)$/.exec(v);
    if (withPort) return fail(`${shown} includes a port`, `write host: ${withPort[1]} and port: ${withPort[2]}`);
    fail(`${shown} is not an IP address or host name`, 'write e.g. 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)');
  });

// --- config.yaml (everything but the packycode block, validated on its own) -------------------------

const fallbackSchema = z.object({
  name: nonEmpty,
  'base-url': httpUrl(/\/(v1\/)?messages$/i, 'https://api.anthropic.com'),
  'api-key': nonEmpty,
  models: z.array(nonEmpty).default([]),
});

// --- more upstreams: codex-api-key (Responses), claude-api-key (Anthropic), CLIProxyAPI's conventions ----

export const ROUTING_STRATEGIES = ['round-robin', 'fill-first'] as const;

/** A model an entry serves: a name or glob (`gpt-5*`), or { name: upstream model, alias: the client's name }. */
const entryModel = z.union([nonEmpty, z.object({ name: nonEmpty, alias: nonEmpty.optional() })]);

/** Per-provider timeouts: any of the three, the rest from the top-level timeouts. */
const timeoutsOverride = z.object({
  'connect-ms': intish.pipe(z.number().min(1)).optional(),
  'first-byte-ms': intish.pipe(z.number().min(1)).optional(),
  'idle-ms': intish.pipe(z.number().min(1)).optional(),
});

const proxyUrlSchema = httpUrl(null, 'http://proxy.example:3128');

function upstreamEntrySchema(dropSuffix: RegExp, example: string) {
  return z.object({
    name: nonEmpty.optional(),
    'api-key': nonEmpty,
    'base-url': httpUrl(dropSuffix, example),
    models: z.array(entryModel).default([]),
    headers: z.record(z.string(), z.string()).default({}),
    'proxy-url': proxyUrlSchema.optional(),
    prefix: nonEmpty.optional(),
    timeouts: timeoutsOverride.optional(),
    'max-concurrent-requests': intish.pipe(z.number().min(0)).optional(),
  });
}

export const fileSchema = z.object({
  host: hostSchema.default(DEFAULTS.host),
  port: intish.pipe(z.number().min(0).max(65535)).default(DEFAULTS.port),
  'api-keys': z.array(nonEmpty).default([]),
  'log-level': lowered(LOG_LEVELS).default(DEFAULTS.logLevel),
  'remote-management': z
    .object({
      'secret-key': z.string().default(''),
      'allow-remote': boolish.default(false),
    })
    .prefault({}),
  timeouts: z
    .object({
      'connect-ms': intish.pipe(z.number().min(1)).default(DEFAULTS.timeouts.connectMs),
      'first-byte-ms': intish.pipe(z.number().min(1)).default(DEFAULTS.timeouts.firstByteMs),
      'idle-ms': intish.pipe(z.number().min(1)).default(DEFAULTS.timeouts.idleMs),
    })
    .prefault({}),
  fallbacks: z.array(fallbackSchema).default([]),
  packycode: z.unknown().optional(),
  'codex-api-key': z.array(upstreamEntrySchema(/\/responses$/i, 'https://relay.example/v1')).default([]),
  'claude-api-key': z.array(upstreamEntrySchema(/\/(v1\/)?messages$/i, 'https://api.anthropic.com')).default([]),
  'proxy-url': proxyUrlSchema.optional(),
  routing: z
    .object({
      strategy: lowered(ROUTING_STRATEGIES).default('round-robin'),
      'session-affinity-ttl-ms': intish.pipe(z.number().min(0)).default(6 * 60 * 60 * 1000),
    })
    .prefault({}),
  limits: z
    .object({ 'max-concurrent-per-upstream': intish.pipe(z.number().min(0)).default(0) })
    .prefault({}),
});

export type FileShape = z.output<typeof fileSchema>;

// --- the packycode block ---------------------------------------------------------------------------

export const packycodeSchema = z.object({
  enabled: boolish.default(false),
  'base-url': z.preprocess((v) => (v === '' ? undefined : v), httpUrl(/\/responses$/i, PACKYCODE_EXAMPLE_URL).optional()),
  'requires-openai-auth': boolish.default(DEFAULTS.packycode.requiresOpenaiAuth),
  'wire-api': z
    .preprocess((v) => (typeof v === 'string' ? v.trim().toLowerCase() : v), z.literal('responses'))
    .default('responses'),
  privacy: z
    .object({ 'disable-response-storage': boolish.default(DEFAULTS.packycode.disableResponseStorage) })
    .prefault({}),
  defaults: z
    .object({
      model: nonEmpty.default(DEFAULTS.packycode.model),
      'model-reasoning-effort': lowered(EFFORTS).default(DEFAULTS.packycode.modelReasoningEffort),
    })
    .prefault({}),
  credentials: z.object({
    'openai-api-key': z.string().trim().optional(),
    'openai-api-keys': z.array(z.string().trim()).default([]),
  }).prefault({}),
  headers: z.record(z.string(), z.string()).default({}),
  'proxy-url': proxyUrlSchema.optional(),
  timeouts: timeoutsOverride.optional(),
  'max-concurrent-requests': intish.pipe(z.number().min(0)).optional(),
  'model-map': z.array(z.object({ match: nonEmpty, model: nonEmpty })).default([]),
  'forward-sampling-params': boolish.default(DEFAULTS.packycode.forwardSamplingParams),
});

export type PackycodeShape = z.output<typeof packycodeSchema>;

/** Used only to find unknown keys: the whole file with the packycode block's shape. */
export const keysSchema = fileSchema.extend({ packycode: packycodeSchema });

// --- fix texts ---------------------------------------------------------------------------------------

const ms = (example: number) => `write a whole number of milliseconds above 0, e.g. ${example}`;

export const FILE_FIXES: FixTable = {
  host: 'write an IP address or host name, e.g. 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)',
  port: 'write a whole number from 1 to 65535 without quotes, e.g. 8317 (0 picks a free port)',
  'api-keys': (v) =>
    typeof v === 'string'
      ? 'write it as a list: api-keys: ["your-key"], or one "- key" line per key'
      : 'write a list of strings, e.g. api-keys: ["a-long-random-client-key"]',
  'api-keys[]': (v) => (typeof v === 'string' ? 'remove the empty entry' : 'quote the key so it is a string, e.g. - "123456"'),
  'log-level': `write one of: ${LOG_LEVELS.join(', ')}`,
  'remote-management': 'write a mapping with secret-key and allow-remote, e.g. remote-management: { secret-key: "", allow-remote: false }',
  'remote-management.secret-key': 'write the key as a quoted string (it is replaced by its bcrypt hash on first load), or "" to disable management',
  'remote-management.allow-remote': 'write true or false (without quotes)',
  timeouts: 'write a mapping, e.g. timeouts: { connect-ms: 10000, first-byte-ms: 120000, idle-ms: 300000 }',
  'timeouts.connect-ms': ms(DEFAULTS.timeouts.connectMs),
  'timeouts.first-byte-ms': ms(DEFAULTS.timeouts.firstByteMs),
  'timeouts.idle-ms': ms(DEFAULTS.timeouts.idleMs),
  fallbacks: 'write a list of providers, e.g. - { name: anthropic, base-url: https://api.anthropic.com, api-key: "${ANTHROPIC_API_KEY}", models: [] }',
  'fallbacks[]': 'write a mapping with name, base-url, api-key and models',
  'fallbacks[].name': 'write a short unique name, e.g. name: anthropic',
  'fallbacks[].api-key': 'write the provider key, e.g. api-key: "${ANTHROPIC_API_KEY}"',
  'fallbacks[].models': 'write a list of model names, e.g. models: [claude-sonnet-4-5], or [] for any model',
  'fallbacks[].models[]': 'write the model name as a string',
  'codex-api-key': 'write a list of Responses upstreams, e.g. - { api-key: "${RELAY_KEY}", base-url: https://relay.example/v1 }',
  'codex-api-key[]': 'write a mapping with api-key and base-url (and optionally name, models, headers, proxy-url, prefix)',
  'codex-api-key[].api-key': 'write the upstream key, e.g. api-key: "${RELAY_KEY}"',
  'codex-api-key[].models': 'write a list: model names or globs (gpt-5*), or { name: upstream-model, alias: client-model }; [] for any',
  'codex-api-key[].headers': 'write a mapping of header names to string values, e.g. headers: { originator: codex_cli_rs }',
  'codex-api-key[].proxy-url': 'write a proxy URL, e.g. http://proxy.example:3128',
  'claude-api-key': 'write a list of Anthropic-compatible upstreams, e.g. - { api-key: "${ANTHROPIC_API_KEY}", base-url: https://api.anthropic.com }',
  'claude-api-key[]': 'write a mapping with api-key and base-url (and optionally name, models, headers, proxy-url)',
  'claude-api-key[].api-key': 'write the upstream key, e.g. api-key: "${ANTHROPIC_API_KEY}"',
  'claude-api-key[].models': 'write a list: model names or globs (claude-*), or { name: upstream-model, alias: client-model }; [] for any',
  'claude-api-key[].headers': 'write a mapping of header names to string values',
  'claude-api-key[].proxy-url': 'write a proxy URL, e.g. http://proxy.example:3128',
  'proxy-url': 'write a proxy URL for every upstream, e.g. http://proxy.example:3128 (HTTPS_PROXY is used when it is absent)',
  routing: 'write a mapping, e.g. routing: { strategy: round-robin }',
  'routing.strategy': `write one of: ${ROUTING_STRATEGIES.join(', ')}`,
  'routing.session-affinity-ttl-ms': 'write a whole number of milliseconds, e.g. 21600000 (6 h); 0 turns session affinity off',
  limits: 'write a mapping, e.g. limits: { max-concurrent-per-upstream: 64 }',
  'limits.max-concurrent-per-upstream': 'write a whole number; 0 means no limit',
};

export const PACKYCODE_FIXES: FixTable = {
  '': 'write a mapping under packycode: (see config.example.yaml)',
  enabled: 'write true or false (without quotes)',
  'requires-openai-auth': 'write true (send credentials.openai-api-key) or false',
  'wire-api': 'write responses (packybridge speaks only the OpenAI Responses API) or remove the key',
  privacy: 'write a mapping, e.g. privacy: { disable-response-storage: true }',
  'privacy.disable-response-storage': 'write true (the upstream keeps no copy, store:false) or false',
  defaults: 'write a mapping, e.g. defaults: { model: gpt-5, model-reasoning-effort: high }',
  'defaults.model': 'write the upstream model name, e.g. gpt-5 or gpt-5-codex',
  'defaults.model-reasoning-effort': `write one of: ${EFFORTS.join(', ')}`,
  credentials: 'write a mapping, e.g. credentials: { openai-api-key: "${PACKYCODE_API_KEY}" }',
  'credentials.openai-api-key': 'write the key as a quoted string, or "${PACKYCODE_API_KEY}" to read it from the environment',
  'credentials.openai-api-keys': 'write a list of keys, e.g. openai-api-keys: ["${PACKYCODE_KEY_2}", "${PACKYCODE_KEY_3}"]',
  headers: 'write a mapping of header names to string values, e.g. headers: { originator: codex_cli_rs }',
  'proxy-url': 'write a proxy URL, e.g. http://proxy.example:3128',
  'max-concurrent-requests': 'write a whole number; 0 means no limit',
  'model-map': 'write a list, e.g. - { match: "claude-*haiku*", model: gpt-5-codex-low }',
  'model-map[]': 'write a mapping with match and model, e.g. { match: "claude-*haiku*", model: gpt-5-codex-low }',
  'model-map[].match': 'write a client model name pattern, e.g. "claude-*haiku*" (* matches anything)',
  'model-map[].model': 'write the upstream model name, e.g. gpt-5-codex-low',
  'forward-sampling-params': 'write true or false (without quotes)',
};
