// The config.yaml schema (zod v4): kebab-case keys, defaults, and the fix texts for its problems.
// Values arrive with ${VAR} references already expanded, so numbers and booleans may come as strings.
import { isIP } from 'node:net';
import { z } from 'zod';
import type { FixTable } from './problems.ts';
import { showValue } from './problems.ts';
import { checkHttpUrl } from './url.ts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** Reasoning efforts of the upstream's models (which one a model accepts: src/routing/model-catalog.ts). */
export const EFFORTS = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'] as const;
export const PACKYCODE_EXAMPLE_URL = 'https://codex-api.packycode.com/v1';
/** safeguards.timeout-ms: how long auto mode's judge may take before its calls are `unavailable`. */
export const SAFEGUARDS_TIMEOUT_MS = 30_000;

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

/** One allowed-hosts entry: a host name, `*.` + a domain (its subdomains), an IP address, or `*` (any Host). Lower-cased, no port. */
export const allowedHostSchema = z
  .string()
  .transform((v) => v.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, ''))
  .check((ctx) => {
    const v = ctx.value;
    const fail = (message: string, fix: string): void => {
      ctx.issues.push({ code: 'custom', input: v, message, params: { fix } });
    };
    if (v === '') return fail('is empty', 'write a host name, e.g. gateway.lan, or remove the entry');
    if (v === '*' || isIP(v) !== 0 || HOSTNAME.test(v.replace(/^\*\./, ''))) return;
    const scheme = /^[a-z]+:\/\/([^/:]+)/i.exec(v);
    if (scheme) return fail(`${showValue(v)} is a URL, not a host name`, `write only the host name: ${scheme[1]}`);
    const withPort = /^([^:]+):(\d+)$/.exec(v);
    if (withPort) return fail(`${showValue(v)} includes a port`, `write ${withPort[1]} (any port is accepted)`);
    fail(`${showValue(v)} is not a host name`, 'write a host name (gateway.lan), *.example.com for its subdomains, an IP address, or * for any');
  });

// --- config.yaml (everything but the packycode block, validated on its own) -------------------------

const fallbackSchema = z.object({
  name: nonEmpty,
  'base-url': httpUrl(/\/(v1\/)?messages$/i, 'https://api.anthropic.com'),
  'api-key': nonEmpty,
  models: z.array(nonEmpty).default([]),
});

// --- api-keys entries: a key, or a named key with models, limits and an expiry ----------------------

export const CLIENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const SHA256_KEY = /^sha256:[0-9a-f]{64}$/i;
const positiveInt = intish.pipe(z.number().min(1));

export const clientKeySchema = z.object({
  key: nonEmpty.check((ctx) => {
    if (/^sha256:/i.test(ctx.value) && !SHA256_KEY.test(ctx.value)) {
      ctx.issues.push({ code: 'custom', input: ctx.value, message: 'starts with sha256: but is not followed by 64 hex digits', params: { fix: 'write sha256: and the hex SHA-256 digest of the key (printf %s "$KEY" | sha256sum), or the key itself' } });
    }
  }),
  name: nonEmpty.check((ctx) => {
    if (!CLIENT_NAME.test(ctx.value)) ctx.issues.push({ code: 'custom', input: ctx.value, message: `${showValue(ctx.value)} is not a usable name`, params: { fix: 'use 1-64 letters, digits, ".", "_", "@" or "-", starting with a letter or digit, e.g. alice' } });
    else if (ctx.value === 'anonymous') ctx.issues.push({ code: 'custom', input: ctx.value, message: '"anonymous" is reserved for requests without client keys', params: { fix: 'pick another name' } });
  }),
  models: z.array(nonEmpty).min(1).optional(),
  limits: z
    .object({
      'requests-per-minute': positiveInt.optional(),
      'tokens-per-minute': positiveInt.optional(),
      'tokens-per-day': positiveInt.optional(),
    })
    .optional(),
  expires: z
    .union([z.string(), z.date()])
    .transform((v, ctx) => {
      const ms = v instanceof Date ? v.getTime() : /^\d{4}-\d{2}-\d{2}$/.test(v.trim()) ? Date.parse(`${v.trim()}T23:59:59.999Z`) : Date.parse(v);
      if (Number.isNaN(ms)) {
        ctx.issues.push({ code: 'custom', input: v, message: `${showValue(v)} is not a date`, params: { fix: 'write a date such as 2026-12-31 (valid through that day, UTC) or 2026-12-31T18:00:00Z' } });
        return z.NEVER;
      }
      return ms;
    })
    .optional(),
});

export type ClientKeyShape = z.output<typeof clientKeySchema>;

// --- usage accounting and shared state ---------------------------------------------------------------

export const DEFAULT_RETENTION_DAYS = 400;
export const STATE_BACKENDS = ['memory', 'redis'] as const;
const usd = z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : v), z.number().min(0));
const priceSchema = z.object({ input: usd, 'cached-input': usd.optional(), output: usd });
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
  'api-keys': z.array(z.union([nonEmpty, clientKeySchema])).default([]),
  'allowed-hosts': z.array(allowedHostSchema).default([]),
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
  safeguards: z
    .object({
      'classifier-model': z.string().trim().default(''),
      'timeout-ms': intish.pipe(z.number().min(1)).default(SAFEGUARDS_TIMEOUT_MS),
    })
    .prefault({}),
  packycode: z.unknown().optional(),
  'data-dir': nonEmpty.optional(),
  usage: z
    .object({
      'retention-days': intish.pipe(z.number().min(1)).default(DEFAULT_RETENTION_DAYS),
      prices: z.record(nonEmpty, priceSchema).default({}),
    })
    .prefault({}),
  state: z
    .object({
      backend: lowered(STATE_BACKENDS).default('memory'),
      url: z.string().trim().optional(),
    })
    .prefault({}),
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
    .object({
      'max-concurrent-per-upstream': intish.pipe(z.number().min(0)).default(0),
      'saturation-queue-at': intish.pipe(z.number().min(0)).default(16),
    })
    .prefault({}),
  'shutdown-grace-ms': intish.pipe(z.number().min(0)).default(10_000),
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
  'allowed-hosts': 'write a list of host names clients use in their URLs, e.g. allowed-hosts: [gateway.lan]',
  'allowed-hosts[]': 'write a host name without scheme or port, e.g. gateway.lan, or *.example.com',
  'api-keys[].key': 'write the client key, "${ENV_VAR}", or sha256:<hex digest of the key>',
  'api-keys[].name': 'write a short unique name, e.g. name: alice (it shows in logs, usage and metrics)',
  'api-keys[].models': 'write a list of model name patterns, e.g. models: ["gpt-5*", "claude-*"], or remove it for any model',
  'api-keys[].models[]': 'write a model name pattern as a string, e.g. "gpt-5*"',
  'api-keys[].limits': 'write a mapping, e.g. limits: { requests-per-minute: 60, tokens-per-minute: 200000, tokens-per-day: 5000000 }',
  'api-keys[].limits.requests-per-minute': 'write a whole number above 0, or remove it for no limit',
  'api-keys[].limits.tokens-per-minute': 'write a whole number above 0, or remove it for no limit',
  'api-keys[].limits.tokens-per-day': 'write a whole number above 0, or remove it for no limit',
  'api-keys[].expires': 'write a date such as 2026-12-31 (valid through that day, UTC)',
  'data-dir': 'write a folder for the usage database, e.g. data-dir: ./data (relative to this file); default: this file\'s folder',
  usage: 'write a mapping, e.g. usage: { retention-days: 400 }',
  'usage.retention-days': 'write a whole number of days above 0, e.g. 400',
  'usage.prices': 'write a mapping of model -> prices, e.g. prices: { gpt-5: { input: 1.25, cached-input: 0.125, output: 10 } }',
  'usage.prices.input': 'write US dollars per million input tokens, e.g. 1.25',
  'usage.prices.cached-input': 'write US dollars per million cached input tokens, e.g. 0.125',
  'usage.prices.output': 'write US dollars per million output tokens, e.g. 10',
  state: 'write a mapping, e.g. state: { backend: redis, url: "redis://127.0.0.1:6379" }',
  'state.backend': `write one of: ${STATE_BACKENDS.join(', ')}`,
  'state.url': 'write a Redis URL, e.g. redis://127.0.0.1:6379 (rediss:// for TLS, redis://:password@host:6379/0)',
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
  'limits.saturation-queue-at': 'write a whole number of requests in flight (default 16); 0 turns the saturation queue off',
  'shutdown-grace-ms': 'write a whole number of milliseconds, e.g. 10000: how long streams in flight may finish on SIGTERM/SIGINT',
  safeguards: 'write a mapping, e.g. safeguards: { classifier-model: gpt-5-mini, timeout-ms: 30000 }',
  'safeguards.classifier-model': 'write a Packycode model name to judge auto mode\'s tool calls, e.g. gpt-5-mini, or "" to leave the checks to Claude Code',
  'safeguards.timeout-ms': ms(SAFEGUARDS_TIMEOUT_MS),
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
