// Anthropic's web search server tool (web_search_20250305 and later versions of the same family) -> the
// Responses hosted `web_search` tool, its tool_choice and its limits. The upstream runs the searches.
import type { ToolChoice, ToolDefinition } from '../wire/anthropic-request.ts';
import type { ResponsesTool, ResponsesToolChoice, WebSearchTool } from '../wire/responses-request.ts';

/** `web_search_YYYYMMDD`: every dated version of Anthropic's web search tool. */
const WEB_SEARCH_TYPE = /^web_search_\d{8}$/;

/** Ask the upstream to put each search's sources (result URLs) into its web_search_call item. */
export const WEB_SEARCH_SOURCES_INCLUDE = 'web_search_call.action.sources';

export function isWebSearchTool(tool: ToolDefinition): boolean {
  return typeof tool.type === 'string' && WEB_SEARCH_TYPE.test(tool.type);
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string' && s.trim() !== '').map((s) => s.trim()) : [];
}

/** Anthropic's user_location (approximate: city, region, country, timezone) in the Responses shape. */
function userLocation(v: unknown): WebSearchTool['user_location'] | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const loc = v as Record<string, unknown>;
  const out: NonNullable<WebSearchTool['user_location']> = { type: 'approximate' };
  for (const key of ['city', 'region', 'country', 'timezone'] as const) {
    if (typeof loc[key] === 'string' && loc[key] !== '') out[key] = loc[key];
  }
  return Object.keys(out).length > 1 ? out : undefined;
}

/** The web search tool of a request, if it has one (the first; Anthropic allows one per request). */
export function findWebSearchTool(tools: ToolDefinition[] | undefined | null): ToolDefinition | undefined {
  return (tools ?? []).find(isWebSearchTool);
}

/**
 * Why the upstream cannot run this request's web search as asked, or undefined. The Responses tool has an
 * allow-list only: a block-list would be silently ignored, and the model would read the blocked sites.
 */
export function webSearchProblem(tools: ToolDefinition[] | undefined | null): string | undefined {
  const tools_ = tools ?? [];
  for (let i = 0; i < tools_.length; i++) {
    const tool = tools_[i];
    if (!isWebSearchTool(tool)) continue;
    const blocked = strings(tool.blocked_domains);
    if (blocked.length === 0) continue;
    const allowed = strings(tool.allowed_domains);
    return `tools.${i}.blocked_domains: the web search behind this gateway (OpenAI's web_search tool via Packycode) cannot ` +
      `exclude domains (${blocked.slice(0, 3).join(', ')}${blocked.length > 3 ? ', ...' : ''}); ` +
      (allowed.length > 0 ? 'remove blocked_domains and keep allowed_domains' : 'remove blocked_domains, or list the sites to search in allowed_domains');
  }
  return undefined;
}

/** The Responses web_search tool for Anthropic's, and max_uses as the response's max_tool_calls. */
export function convertWebSearchTool(tool: ToolDefinition): { tool: WebSearchTool; maxToolCalls?: number } {
  const out: WebSearchTool = { type: 'web_search' };
  const allowed = strings(tool.allowed_domains).map((d) => d.replace(/^https?:\/\//i, '').replace(/\/+$/, ''));
  if (allowed.length > 0) out.filters = { allowed_domains: allowed };
  const loc = userLocation(tool.user_location);
  if (loc) out.user_location = loc;
  const maxUses = tool.max_uses;
  return typeof maxUses === 'number' && Number.isInteger(maxUses) && maxUses > 0 ? { tool: out, maxToolCalls: maxUses } : { tool: out };
}

/** tool_choice naming the web search tool: "required" when it is the only tool, else the allowed_tools form. */
export function webSearchToolChoice(choice: ToolChoice | undefined, webSearchName: string | undefined, tools: ResponsesTool[]): ResponsesToolChoice | undefined {
  if (choice?.type !== 'tool' || webSearchName === undefined || choice.name !== webSearchName) return undefined;
  if (tools.length === 1) return 'required';
  return { type: 'allowed_tools', mode: 'required', tools: [{ type: 'web_search' }] };
}
