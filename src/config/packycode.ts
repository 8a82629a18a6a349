// The packycode block: validation (whatever its source), conversion to PackycodeConfig, defaults.
import type { ConfigProblem, PackycodeConfig } from './types.ts';
import type { PackycodeShape } from './schema.ts';
import { DEFAULTS, PACKYCODE_EXAMPLE_URL, PACKYCODE_FIXES, packycodeSchema } from './schema.ts';
import { expandDeep, type UnsetReference } from './env-expand.ts';
import { splitUnknownKeys } from './known-keys.ts';
import { issuesToProblems, joinPath, problem, showValue, type IssueLike } from './problems.ts';
import { looksMasked } from './mask.ts';

export interface BlockCheck {
  value: PackycodeConfig | null; // the settings, when no value is invalid (required ones may be missing)
  enabled: boolean;              // the block's own `enabled` (false when unreadable)
  invalid: ConfigProblem[];      // values present but wrong
  missing: ConfigProblem[];      // values Packycode needs to serve that are absent (incl. unset ${VAR})
  unknown: ConfigProblem[];      // unknown keys (warnings)
}

/** Packycode off, every setting at its default: the snapshot's block when nothing usable is configured. */
export function disabledPackycode(): PackycodeConfig {
  return {
    enabled: false,
    baseUrl: '',
    requiresOpenaiAuth: DEFAULTS.packycode.requiresOpenaiAuth,
    wireApi: 'responses',
    privacy: { disableResponseStorage: DEFAULTS.packycode.disableResponseStorage },
    defaults: { model: DEFAULTS.packycode.model, modelReasoningEffort: DEFAULTS.packycode.modelReasoningEffort },
    credentials: { openaiApiKey: '' },
    modelMap: [],
    forwardSamplingParams: DEFAULTS.packycode.forwardSamplingParams,
  };
}

function toConfig(p: PackycodeShape): PackycodeConfig {
  const moreKeys = p.credentials['openai-api-keys'].filter((k) => k !== '');
  return {
    enabled: p.enabled,
    baseUrl: p['base-url'] ?? '',
    requiresOpenaiAuth: p['requires-openai-auth'],
    wireApi: p['wire-api'],
    privacy: { disableResponseStorage: p.privacy['disable-response-storage'] },
    defaults: { model: p.defaults.model, modelReasoningEffort: p.defaults['model-reasoning-effort'] },
    credentials: moreKeys.length ? { openaiApiKey: p.credentials['openai-api-key'] ?? '', openaiApiKeys: moreKeys } : { openaiApiKey: p.credentials['openai-api-key'] ?? '' },
    modelMap: p['model-map'].map((m) => ({ match: m.match, model: m.model })),
    forwardSamplingParams: p['forward-sampling-params'],
    ...(Object.keys(p.headers).length ? { headers: p.headers } : {}),
    ...(p['proxy-url'] ? { proxyUrl: p['proxy-url'] } : {}),
    ...(p.timeouts ? { timeouts: timeoutsOf(p.timeouts) } : {}),
    ...(p['max-concurrent-requests'] !== undefined ? { maxConcurrentRequests: p['max-concurrent-requests'] } : {}),
  };
}

function timeoutsOf(t: NonNullable<PackycodeShape['timeouts']>): PackycodeConfig['timeouts'] {
  return {
    ...(t['connect-ms'] !== undefined ? { connectMs: t['connect-ms'] } : {}),
    ...(t['first-byte-ms'] !== undefined ? { firstByteMs: t['first-byte-ms'] } : {}),
    ...(t['idle-ms'] !== undefined ? { idleMs: t['idle-ms'] } : {}),
  };
}

export function unsetProblem(ref: UnsetReference): ConfigProblem {
  return problem(
    ref.path,
    `refers to \${${ref.name}}, but ${ref.name} is not set in the environment`,
    `set ${ref.name} before starting packybridge (export ${ref.name}=...), or write the value itself`,
  );
}

const isTrue = (v: unknown) => v === true || (typeof v === 'string' && v.trim().toLowerCase() === 'true');
const isFalse = (v: unknown) => v === false || (typeof v === 'string' && v.trim().toLowerCase() === 'false');

/** Full check of a kebab-case packycode block. `prefix` is prepended to problem paths ("packycode"). */
export function checkPackycodeBlock(raw: unknown, env: NodeJS.ProcessEnv, prefix = ''): BlockCheck {
  const at = (key: string) => (prefix ? joinPath(prefix, key) : key);
  const result: BlockCheck = { value: null, enabled: false, invalid: [], missing: [], unknown: [] };
  const block = raw === undefined || raw === null ? {} : raw;
  if (typeof block !== 'object' || Array.isArray(block)) {
    result.invalid.push(problem(prefix || '(block)', `${showValue(block)} is not a mapping`, PACKYCODE_FIXES[''] as string));
    return result;
  }
  const split = splitUnknownKeys(block, packycodeSchema, prefix);
  result.unknown = split.unknown;
  const unset: UnsetReference[] = [];
  const expanded = expandDeep(split.clean, env, prefix, unset) as Record<string, unknown>;
  result.enabled = isTrue(expanded.enabled);

  const unsetPaths = new Set(unset.map((u) => u.path));
  const parsed = packycodeSchema.safeParse(expanded, { reportInput: true });
  if (!parsed.success) {
    const problems = issuesToProblems(parsed.error.issues as unknown as IssueLike[], prefix, PACKYCODE_FIXES);
    result.invalid.push(...problems.filter((p) => !unsetPaths.has(p.path)));
  }
  result.missing.push(...unset.map(unsetProblem));

  // What serving needs, checked on the raw values so it is reported even next to other problems.
  const url = expanded['base-url'];
  if ((url === undefined || url === '') && !unsetPaths.has(at('base-url'))) {
    result.missing.push(problem(at('base-url'), 'is missing (Packycode needs its endpoint)', `write base-url: ${PACKYCODE_EXAMPLE_URL}`));
  }
  const needsKey = !isFalse(expanded['requires-openai-auth']);
  const creds = expanded.credentials;
  const key = creds && typeof creds === 'object' ? (creds as Record<string, unknown>)['openai-api-key'] : undefined;
  const moreKeys = creds && typeof creds === 'object' ? (creds as Record<string, unknown>)['openai-api-keys'] : undefined;
  const hasMoreKeys = Array.isArray(moreKeys) && moreKeys.some((k) => typeof k === 'string' && k.trim() !== '');
  const keyPath = at('credentials.openai-api-key');
  if (Array.isArray(moreKeys)) {
    moreKeys.forEach((k, i) => {
      if (typeof k === 'string' && looksMasked(k)) result.invalid.push(problem(at(`credentials.openai-api-keys[${i}]`), `${showValue(k)} is a masked key, not the key itself`, 'write the full key'));
    });
  }
  if (needsKey && !hasMoreKeys && (key === undefined || (typeof key === 'string' && key.trim() === '')) && !unsetPaths.has(keyPath)) {
    result.missing.push(
      problem(
        keyPath,
        'is missing (requires-openai-auth is true)',
        'write credentials: { openai-api-key: "${PACKYCODE_API_KEY}" } and set PACKYCODE_API_KEY, or requires-openai-auth: false if the endpoint needs no key',
      ),
    );
  } else if (typeof key === 'string' && looksMasked(key)) {
    result.invalid.push(problem(keyPath, `${showValue(key)} is a masked key, not the key itself`, 'write the full key (or "${PACKYCODE_API_KEY}")'));
  }

  if (parsed.success && result.invalid.length === 0) result.value = toConfig(parsed.data);
  return result;
}

/**
 * Validates a kebab-case packycode block (paths relative to the block, e.g. "base-url"), as a load would:
 * `problems` are the values that are wrong, plus what is missing when the block is enabled (a disabled
 * block may leave base-url and the key out). `value` is null when there are problems.
 * `missing` lists what an enabled block would still need; `warnings` the unknown keys.
 */
export function validatePackycodeBlock(
  raw: unknown,
  env: NodeJS.ProcessEnv,
): { value: PackycodeConfig | null; problems: ConfigProblem[]; missing: ConfigProblem[]; warnings: ConfigProblem[] } {
  const r = checkPackycodeBlock(raw, env);
  const problems = r.enabled ? [...r.invalid, ...r.missing] : r.invalid;
  return { value: problems.length === 0 ? r.value : null, problems, missing: r.missing, warnings: r.unknown };
}
