// Reply side of web search: a Responses `web_search_call` output item -> the blocks Claude's own web tools
// produce (server_tool_use + its result block), and `url_citation` annotations -> text block citations.
//
//   action search {query, sources}      -> server_tool_use web_search {query} + web_search_tool_result [results]
//   action open_page {url}              -> server_tool_use web_fetch {url} + web_fetch_tool_result (the page)
//   action find_in_page / find {url, pattern} -> server_tool_use web_fetch {url, pattern} + web_fetch_tool_result
//   status failed (or no action)        -> the result block carries an error ("unavailable")
import type { ServerToolBlock, WebSearchCitation, WebSearchResult } from '../wire/anthropic-stream.ts';

type Loose = Record<string, unknown>;

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** A web_search_call item as far as the reply needs it. */
export interface WebSearchCall {
  id?: string;
  status?: string;
  action?: Loose | null;
}

export interface ServerToolPair {
  name: 'web_search' | 'web_fetch';
  input: Record<string, unknown>;
  result: ServerToolBlock;
  /** counts toward usage.server_tool_use.web_search_requests (else web_fetch_requests) */
  isSearch: boolean;
}

/** `srvtoolu_<item id>` reduced to the characters Claude Code accepts in a tool_use_id ([A-Za-z0-9_-]). */
export function serverToolUseId(itemId: string | null | undefined, fallback: number): string {
  const base = (itemId ?? '').replace(/[^A-Za-z0-9_-]/g, '').slice(0, 100);
  return `srvtoolu_${base !== '' ? base : `ws${fallback}`}`;
}

/** The query of a search action: `query`, else the first of `queries`. */
function searchQuery(action: Loose): string {
  const q = str(action.query);
  if (q !== '') return q;
  return Array.isArray(action.queries) ? str(action.queries.find((x) => typeof x === 'string')) : '';
}

/** Sources of a search action -> result entries (the API gives URLs only, so the title is the URL until a citation names it). */
export function searchResults(action: Loose, titles: ReadonlyMap<string, string> = new Map()): WebSearchResult[] {
  const out: WebSearchResult[] = [];
  const seen = new Set<string>();
  const sources = Array.isArray(action.sources) ? (action.sources as Loose[]) : [];
  for (const source of sources) {
    if (!source || typeof source !== 'object') continue;
    const url = str(source.url);
    if (url === '' || seen.has(url)) continue;
    seen.add(url);
    const title = str(source.title) || titles.get(url) || url;
    out.push({ type: 'web_search_result', url, title, encrypted_content: '', page_age: null });
  }
  return out;
}

/** The Anthropic blocks for one web_search_call. */
export function webSearchPair(call: WebSearchCall, toolUseId: string): ServerToolPair {
  const action = (call.action && typeof call.action === 'object' ? call.action : {}) as Loose;
  const type = str(action.type) || 'search';
  const failed = call.status === 'failed' || call.status === 'incomplete';
  if (type === 'open_page' || type === 'find_in_page' || type === 'find') {
    const url = str(action.url);
    const input: Record<string, unknown> = { url };
    const pattern = str(action.pattern);
    if (pattern !== '') input.pattern = pattern;
    const result: ServerToolBlock = failed || url === ''
      ? { type: 'web_fetch_tool_result', tool_use_id: toolUseId, content: { type: 'web_fetch_tool_result_error', error_code: 'unavailable' } }
      : {
          type: 'web_fetch_tool_result', tool_use_id: toolUseId,
          content: {
            type: 'web_fetch_result', url, retrieved_at: null,
            content: { type: 'document', source: { type: 'text', media_type: 'text/plain', data: '' }, title: null, citations: null },
          },
        };
    return { name: 'web_fetch', input, result, isSearch: false };
  }
  const result: ServerToolBlock = failed
    ? { type: 'web_search_tool_result', tool_use_id: toolUseId, content: { type: 'web_search_tool_result_error', error_code: 'unavailable' } }
    : { type: 'web_search_tool_result', tool_use_id: toolUseId, content: searchResults(action) };
  return { name: 'web_search', input: { query: searchQuery(action) }, result, isSearch: true };
}

/** A url_citation annotation as Anthropic's citation; cited_text is the annotated span of the part's text. */
export function urlCitation(annotation: Loose, partText: string | undefined): WebSearchCitation | null {
  if (!annotation || annotation.type !== 'url_citation') return null;
  const url = str(annotation.url);
  if (url === '') return null;
  const start = typeof annotation.start_index === 'number' ? annotation.start_index : -1;
  const end = typeof annotation.end_index === 'number' ? annotation.end_index : -1;
  const cited = partText !== undefined && start >= 0 && end > start ? partText.slice(start, end) : '';
  return {
    type: 'web_search_result_location',
    url,
    title: str(annotation.title) || url,
    cited_text: cited,
    encrypted_index: Buffer.from(`${start}:${end}`).toString('base64'),
  };
}
