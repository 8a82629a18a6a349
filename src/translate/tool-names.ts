// Tool names: the upstream accepts ^[a-zA-Z0-9_-]{1,64}$. Longer (or otherwise invalid) names are
// shortened deterministically and reversibly within one request; valid names pass unchanged.
import { hash } from 'node:crypto';

export interface ToolNameMap {
  toUpstream(original: string): string;
  toOriginal(upstream: string): string;
}

export const MAX_TOOL_NAME_LENGTH = 64;
const VALID_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const MCP_PREFIX = 'mcp__';

function shortHash(name: string, salt: number): string {
  return hash('sha256', salt === 0 ? name : `${name}#${salt}`).slice(0, 8);
}

function sanitize(name: string): string {
  return name.replace(/[^a-zA-Z0-9_-]/g, '_');
}

/** `<truncated name>_<8 hex>`: always valid, unique by the hash of the full original name. */
function hashedName(name: string, salt: number): string {
  const hash = shortHash(name, salt);
  const head = sanitize(name).slice(0, MAX_TOOL_NAME_LENGTH - hash.length - 1);
  return `${head}_${hash}`;
}

/** The preferred short form: `mcp__server__tool` -> `mcp__tool` when that fits. */
function mcpShortName(name: string): string | undefined {
  if (!name.startsWith(MCP_PREFIX)) return undefined;
  const last = name.slice(MCP_PREFIX.length).split('__').pop();
  if (!last) return undefined;
  const candidate = MCP_PREFIX + last;
  return VALID_NAME.test(candidate) ? candidate : undefined;
}

export function isValidToolName(name: string): boolean {
  return VALID_NAME.test(name);
}

function allValid(names: string[]): boolean {
  for (let i = 0; i < names.length; i++) if (!VALID_NAME.test(names[i])) return false;
  return true;
}

/**
 * The map built from names that are all valid: each keeps its spelling both ways, exactly as the general case
 * gives (valid names are reserved as themselves; names not given fall back the same way).
 */
const IDENTITY: ToolNameMap = {
  toUpstream(original: string): string {
    return isValidToolName(original) ? original : hashedName(original, 0);
  },
  toOriginal(upstream: string): string {
    return upstream;
  },
};

/**
 * Builds the mapping for one request from every tool name it mentions (tool definitions, tool_use
 * blocks in the history, tool_choice). Names are processed in sorted order, so the result does not
 * depend on their order in the request. Names not given here are mapped on the fly (valid: as is;
 * invalid: truncated + hash) and toOriginal returns unknown names unchanged.
 */
export function buildToolNameMap(names: string[]): ToolNameMap {
  if (allValid(names)) return IDENTITY; // the usual request (Claude Code's own tool names): nothing to build
  const unique = [...new Set(names)].sort();
  const toUp = new Map<string, string>();
  const toOrig = new Map<string, string>();
  // Valid names keep their spelling and are reserved first.
  for (const name of unique) {
    if (isValidToolName(name)) {
      toUp.set(name, name);
      toOrig.set(name, name);
    }
  }
  for (const name of unique) {
    if (toUp.has(name)) continue;
    let short = mcpShortName(name);
    if (short === undefined || toOrig.has(short)) {
      let salt = 0;
      do short = hashedName(name, salt++);
      while (toOrig.has(short));
    }
    toUp.set(name, short);
    toOrig.set(short, name);
  }
  return {
    toUpstream(original: string): string {
      return toUp.get(original) ?? (isValidToolName(original) ? original : hashedName(original, 0));
    },
    toOriginal(upstream: string): string {
      return toOrig.get(upstream) ?? upstream;
    },
  };
}
