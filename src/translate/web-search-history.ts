// Later turns: web search blocks of an earlier reply (server_tool_use, web_search_tool_result,
// web_fetch_tool_result, and text citations) coming back in the conversation. The upstream cannot take them as
// they are (its own web_search_call items would need ids it stored), so what the model found goes back as text
// of the assistant turn: the query, the results' titles and URLs, the cited passages.

type Loose = Record<string, unknown>;

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** `[web search: "query"]`, `[opened page: url]`, or the tool and its input for other server tools. */
export function serverToolUseText(block: Loose): string {
  const input = (block.input && typeof block.input === 'object' ? block.input : {}) as Loose;
  const name = str(block.name);
  if (name === 'web_search') return `[web search: ${JSON.stringify(str(input.query))}]`;
  if (name === 'web_fetch') {
    const pattern = str(input.pattern);
    return `[opened page: ${str(input.url)}${pattern !== '' ? `, looked for ${JSON.stringify(pattern)}` : ''}]`;
  }
  return `[${name || 'server tool'}: ${JSON.stringify(block.input ?? {})}]`;
}

/** The results of a web search: one numbered line per result (title, URL, age), or the error. */
export function webSearchResultText(block: Loose): string {
  const content = block.content;
  if (!Array.isArray(content)) {
    const code = content && typeof content === 'object' ? str((content as Loose).error_code) : '';
    return `[web search failed${code !== '' ? `: ${code}` : ''}]`;
  }
  if (content.length === 0) return '[web search results: none]';
  const lines = (content as Loose[]).map((r, i) => {
    const title = str(r.title);
    const age = str(r.page_age);
    return `${i + 1}. ${title !== '' ? `${title} - ` : ''}${str(r.url)}${age !== '' ? ` (${age})` : ''}`;
  });
  return `[web search results]\n${lines.join('\n')}`;
}

/** A page opened during a search (web_fetch_tool_result): its URL, title and any text it carried. */
export function webFetchResultText(block: Loose): string {
  const content = (block.content && typeof block.content === 'object' ? block.content : {}) as Loose;
  if (content.type !== 'web_fetch_result') return `[opening the page failed${str(content.error_code) !== '' ? `: ${str(content.error_code)}` : ''}]`;
  const doc = (content.content && typeof content.content === 'object' ? content.content : {}) as Loose;
  const source = (doc.source && typeof doc.source === 'object' ? doc.source : {}) as Loose;
  const title = str(doc.title);
  const data = str(source.data);
  return `[page ${str(content.url)}${title !== '' ? ` - ${title}` : ''}]${data !== '' ? `\n${data}` : ''}`;
}

/** The sources a text block cites, as lines after its text. */
export function citationsText(citations: unknown): string {
  if (!Array.isArray(citations) || citations.length === 0) return '';
  const lines: string[] = [];
  for (const c of citations as Loose[]) {
    if (!c || typeof c !== 'object') continue;
    const where = [str(c.title), str(c.url)].filter((s) => s !== '').join(', ');
    const cited = str(c.cited_text);
    if (where === '' && cited === '') continue;
    lines.push(`- ${cited !== '' ? `${JSON.stringify(cited)} ` : ''}${where !== '' ? `(${where})` : ''}`.trimEnd());
  }
  return lines.length === 0 ? '' : `\n[sources cited]\n${lines.join('\n')}`;
}

/** Text for one server-tool block of an assistant turn; '' for blocks that carry nothing for the model. */
export function serverBlockText(block: Loose): string {
  switch (block.type) {
    case 'server_tool_use': return serverToolUseText(block);
    case 'web_search_tool_result': return webSearchResultText(block);
    case 'web_fetch_tool_result': return webFetchResultText(block);
    default: return '';
  }
}
