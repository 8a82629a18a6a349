// The parts of undici the gateway uses (its pool, its two proxy agents, the dispatchers' request API), loaded
// from the package's own modules rather than through its entry point.
//
// undici's index.js also loads fetch, WebSocket, EventSource, the HTTP cache, the mocks and the cookie
// helpers, and its cookie module reads `globalThis.Headers` as it loads: Node then loads its own bundled copy
// of undici as well (`internal/deps/undici/undici`). Loaded alone on Node 24, that is ~14 MB more resident
// memory at import and ~17 MB once a request has gone out; an idle gateway 103 against 99 MB (design notes,
// "undici without its entry point").
//
// undici's package has no `exports` map, so these paths are reachable; they are not a promised interface. If
// an undici release moves them, the package's entry point is used instead, and the memory test
// (test/upstream/undici-parts.test.ts) says so.
import { createRequire } from 'node:module';
import type * as Undici from 'undici';

export interface UndiciParts {
  Pool: typeof Undici.Pool;
  ProxyAgent: typeof Undici.ProxyAgent;
  EnvHttpProxyAgent: typeof Undici.EnvHttpProxyAgent;
  /** 'modules' when loaded from undici's own modules, 'entry' when through its index.js */
  loadedFrom: 'modules' | 'entry';
}

type Require = (id: string) => unknown;

function fromModules(requireFn: Require): UndiciParts {
  const dispatcher = requireFn('undici/lib/dispatcher/dispatcher.js') as (abstract new () => object) | undefined;
  const api = requireFn('undici/lib/api/index.js') as Record<string, unknown> | undefined;
  if (typeof dispatcher !== 'function' || typeof api?.request !== 'function' || typeof api.connect !== 'function') {
    throw new TypeError('undici\'s modules are not where they were');
  }
  // what undici's index.js does before anything else: every dispatcher gets request, stream, pipeline, connect
  // and upgrade (the proxy agents connect through theirs)
  Object.assign(dispatcher.prototype, api);
  const parts: UndiciParts = {
    Pool: requireFn('undici/lib/dispatcher/pool.js') as typeof Undici.Pool,
    ProxyAgent: requireFn('undici/lib/dispatcher/proxy-agent.js') as typeof Undici.ProxyAgent,
    EnvHttpProxyAgent: requireFn('undici/lib/dispatcher/env-http-proxy-agent.js') as typeof Undici.EnvHttpProxyAgent,
    loadedFrom: 'modules',
  };
  for (const part of [parts.Pool, parts.ProxyAgent, parts.EnvHttpProxyAgent]) {
    if (typeof part !== 'function') throw new TypeError('undici\'s modules are not where they were');
  }
  return parts;
}

function fromEntry(requireFn: Require): UndiciParts {
  const undici = requireFn('undici') as typeof Undici;
  return {
    Pool: undici.Pool,
    ProxyAgent: undici.ProxyAgent,
    EnvHttpProxyAgent: undici.EnvHttpProxyAgent,
    loadedFrom: 'entry',
  };
}

/** undici's parts from its modules, else (a release that moved them) from its entry point. */
export function loadUndiciParts(requireFn: Require = createRequire(import.meta.url)): UndiciParts {
  try {
    return fromModules(requireFn);
  } catch {
    return fromEntry(requireFn);
  }
}

export const undici: UndiciParts = loadUndiciParts();
