// The mock upstream's default behaviour: enough of a "model" to drive a real Claude Code session.
// Decisions, first match wins:
//   text.format json_schema             -> JSON text matching the schema's shape (title requests)
//   current turn has function_call_output -> "The command printed: <output>"
//   RATE_LIMIT                          -> HTTP 429, retry-after: 1, OpenAI-shaped body
//   FAIL_STREAM                         -> `error` event + response.failed
//   RATE_LIMIT_ONCE / FAIL_STREAM_ONCE  -> the same, but only for the first request of a session (prompt_cache_key
//                                          + prompt); the client's retry then gets the normal answer
//   RUN: <command>                      -> function_call to Bash (or the tool with a `command` parameter);
//                                          with THINK as well, a reasoning item comes first
//   THINK                               -> reasoning (2 summary parts + encrypted content), then text
//   otherwise                           -> "Hello from the mock upstream. (model: <model>)"
// Before those, for today's Claude Code (web search and deferred tools):
//   the hosted web_search tool offered  -> a web_search_call (sources on mock.example) + text citing the first;
//     (alone, as in Claude Code's WebSearch side request; beside other tools, as the Codex CLI offers it, only
//     when the first user text says "search")
//                                          with OPEN_PAGE in the query, then open_page and find_in_page calls too
//   USE: <Tool> {json} / SEARCH: <query> anywhere in the conversation (SEARCH = USE: WebSearch {"query"}):
//     the tool's output in the current turn -> "The <Tool> tool answered: <output>"
//     the tool offered                      -> function_call to it with the JSON
//     else ToolSearch offered               -> function_call ToolSearch {query: "select:<Tool>"}
// "Current turn" = the input items after the last model-produced item (assistant message, function_call, reasoning).
import type { RecordedRequest, ScenarioHandler } from './mock-upstream.ts';
import { functionCalls, httpError, openaiErrorBody, reasoningThenText, streamError, text, webSearchThenText } from './response-scenarios.ts';
import type { BuildOptions, Scenario, UrlCitation, WebSearchAction } from './response-scenarios.ts';

type Json = Record<string, unknown>;

export const MOCK_HELLO = 'Hello from the mock upstream.';
export const MOCK_ENCRYPTED_PREFIX = 'gAAAAB-mock-reasoning-';

export interface TurnFacts {
  model: string;
  /** output of the last function_call_output in the current turn, when there is one */
  toolOutput?: string;
  /** user texts of the current turn, latest first */
  userTexts: string[];
  /** text.format json_schema's schema, when requested */
  schema?: Json;
  tools: Json[];
  /** the hosted web_search tool is offered */
  webSearch: boolean;
  /** user texts of the whole conversation, oldest first */
  conversationTexts: string[];
  /** name of the latest function_call in the input */
  lastCallName?: string;
}

/** Pull out what the decisions need from a Responses request body. */
export function readTurn(body: unknown): TurnFacts {
  const b = (body && typeof body === 'object' ? body : {}) as Json;
  const model = typeof b.model === 'string' ? b.model : 'gpt-5-codex';
  const input = Array.isArray(b.input) ? (b.input as Json[]) : [];
  const tools = Array.isArray(b.tools) ? (b.tools as Json[]) : [];
  const facts: TurnFacts = { model, userTexts: [], tools, webSearch: tools.some((t) => t.type === 'web_search'), conversationTexts: [] };
  for (const item of input) {
    const type = item?.type ?? (item?.role ? 'message' : undefined);
    if (type === 'message' && item.role === 'user') facts.conversationTexts.push(...messageTexts(item.content));
    if (type === 'function_call' && typeof item.name === 'string') facts.lastCallName = item.name;
  }
  const format = (b.text as Json | undefined)?.format as Json | undefined;
  if (format?.type === 'json_schema') facts.schema = (format.schema as Json | undefined) ?? {};
  for (let i = input.length - 1; i >= 0; i--) {
    const item = input[i] ?? {};
    const type = item.type ?? (item.role ? 'message' : undefined);
    if (type === 'function_call' || type === 'reasoning' || (type === 'message' && item.role === 'assistant')) break;
    if (type === 'function_call_output' && facts.toolOutput === undefined) facts.toolOutput = outputText(item.output);
    if (type === 'message' && item.role === 'user') facts.userTexts.push(...messageTexts(item.content).reverse());
  }
  return facts;
}

function outputText(output: unknown): string {
  if (typeof output === 'string') return output;
  if (Array.isArray(output)) return output.map((p: Json) => (typeof p?.text === 'string' ? p.text : '')).join('');
  return '';
}

function messageTexts(content: unknown): string[] {
  if (typeof content === 'string') return [content];
  if (!Array.isArray(content)) return [];
  return content.filter((p: Json) => typeof p?.text === 'string').map((p: Json) => p.text as string);
}

/** The tool to run commands with: `Bash`, else any function tool with a `command` parameter. */
export function findCommandTool(tools: Json[]): { name: string; hasDescription: boolean } | undefined {
  const props = (t: Json): Json => (((t.parameters as Json | undefined)?.properties as Json | undefined) ?? {});
  const pick = tools.find((t) => t.name === 'Bash') ?? tools.find((t) => 'command' in props(t));
  if (!pick || typeof pick.name !== 'string') return undefined;
  const p = props(pick);
  return { name: pick.name, hasDescription: 'description' in p || Object.keys(p).length === 0 };
}

/** A value matching a (simple) JSON schema: objects, strings (length/enum), numbers, booleans, arrays. */
export function sampleForSchema(schema: unknown, name = 'value'): unknown {
  const s = (schema && typeof schema === 'object' ? schema : {}) as Json;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  if ('const' in s) return s.const;
  const alt = (s.anyOf ?? s.oneOf) as unknown[] | undefined;
  if (Array.isArray(alt) && alt.length > 0) return sampleForSchema(alt[0], name);
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  switch (type) {
    case 'object': {
      const props = (s.properties as Json | undefined) ?? {};
      const out: Json = {};
      for (const [k, v] of Object.entries(props)) out[k] = sampleForSchema(v, k);
      return out;
    }
    case 'array': {
      const min = typeof s.minItems === 'number' ? s.minItems : 0;
      return Array.from({ length: min }, () => sampleForSchema(s.items, name));
    }
    case 'integer':
    case 'number':
      return typeof s.minimum === 'number' ? s.minimum : 1;
    case 'boolean':
      return true;
    case 'null':
      return null;
    default: {
      let str = name === 'title' ? 'Mock session title' : `mock ${name}`;
      if (typeof s.maxLength === 'number') str = str.slice(0, s.maxLength);
      if (typeof s.minLength === 'number' && str.length < s.minLength) str = str.padEnd(s.minLength, '.');
      return str;
    }
  }
}

const RUN = /RUN:[ \t]*([^\r\n]+)/;

/**
 * The default handler. It keeps per-prompt_cache_key input sizes so a follow-up request in the same session
 * reports `cached_tokens` like a warm prompt cache would.
 */
export function createDefaultHandler(): ScenarioHandler {
  const seen = new Map<string, number>();
  const failedOnce = new Set<string>();
  return (req: RecordedRequest): Scenario => {
    const body = (req.body ?? {}) as Json;
    const facts = readTurn(body);
    const inputTokens = Math.max(1, Math.ceil(JSON.stringify([body.instructions ?? '', body.input ?? [], body.tools ?? []]).length / 4));
    const key = typeof body.prompt_cache_key === 'string' ? body.prompt_cache_key : undefined;
    const cached = key !== undefined ? Math.min(seen.get(key) ?? 0, inputTokens) : 0;
    if (key !== undefined) seen.set(key, inputTokens);
    const opts: BuildOptions = { model: facts.model, usage: { input_tokens: inputTokens, input_tokens_details: { cached_tokens: cached } } };
    const all = facts.userTexts.join('\n');
    for (const marker of ['RATE_LIMIT_ONCE', 'FAIL_STREAM_ONCE'] as const) {
      if (facts.schema || facts.toolOutput !== undefined || !all.includes(marker)) continue;
      const onceKey = `${marker}|${key ?? ''}|${all}`;
      if (failedOnce.has(onceKey)) return decide({ ...facts, userTexts: facts.userTexts.map((t) => t.replaceAll(marker, '')) }, opts);
      failedOnce.add(onceKey);
      return decide({ ...facts, userTexts: [marker.replace('_ONCE', '')] }, opts);
    }
    return decide(facts, opts);
  };
}

export const MOCK_SEARCH_HOST = 'https://search.mock.example';

/** What the mock's web search finds for a query: two result URLs, and a text citing the first. */
export function mockSearch(query: string): { sources: string[]; text: string; citations: UrlCitation[] } {
  const slug = encodeURIComponent(query.trim().slice(0, 80).toLowerCase().replace(/\s+/g, '-'));
  const sources = [`${MOCK_SEARCH_HOST}/${slug}/1`, `${MOCK_SEARCH_HOST}/${slug}/2`];
  const cited = 'The mock search found two pages.';
  return { sources, text: `${cited} See the sources.`, citations: [{ url: sources[0], title: `Mock result for ${query.trim().slice(0, 80)}`, start_index: 0, end_index: cited.length }] };
}

const USE = /USE:[ \t]*([A-Za-z0-9_-]+)[ \t]*(\{[^\r\n]*\})?/;
const SEARCH = /SEARCH:[ \t]*([^\r\n]+)/;

/** The tool a USE:/SEARCH: marker of the conversation asks for, with its arguments. */
function wantedTool(texts: string[]): { name: string; args: Json } | undefined {
  for (const t of texts) {
    const use = USE.exec(t);
    if (use) {
      let args: Json = {};
      try { if (use[2]) args = JSON.parse(use[2]) as Json; } catch { /* not JSON: no arguments */ }
      return { name: use[1], args };
    }
    const search = SEARCH.exec(t);
    if (search) return { name: 'WebSearch', args: { query: search[1].trim() } };
  }
  return undefined;
}

/** Deferred tools: load the wanted tool through ToolSearch, call it, report its output. */
function useTool(facts: TurnFacts, opts: BuildOptions): Scenario | undefined {
  const want = wantedTool(facts.conversationTexts);
  if (!want) return undefined;
  if (facts.toolOutput !== undefined && facts.lastCallName === want.name) {
    return text(`${MOCK_HELLO} The ${want.name} tool answered: ${facts.toolOutput.trim().slice(0, 4000)}`, opts);
  }
  if (facts.tools.some((t) => t.name === want.name)) return functionCalls([{ name: want.name, arguments: want.args }], opts);
  if (facts.lastCallName !== 'ToolSearch' && facts.tools.some((t) => t.name === 'ToolSearch')) {
    return functionCalls([{ name: 'ToolSearch', arguments: { query: `select:${want.name}` } }], opts);
  }
  return text(`${MOCK_HELLO} The ${want.name} tool is not offered.`, opts);
}

/** The decision table, as a pure function of the turn. */
export function decide(facts: TurnFacts, opts: BuildOptions = {}): Scenario {
  if (facts.schema) return text(JSON.stringify(sampleForSchema(facts.schema)), opts);
  const searchAsked = facts.tools.every((t) => t.type === 'web_search') || /\bsearch\b/i.test(facts.userTexts[0] ?? '');
  if (facts.webSearch && searchAsked && facts.toolOutput === undefined) {
    const query = (facts.userTexts[0] ?? 'query').trim().slice(0, 200);
    const found = mockSearch(query);
    const actions: WebSearchAction[] = [{ type: 'search', query, sources: found.sources }];
    if (query.includes('OPEN_PAGE')) actions.push({ type: 'open_page', url: found.sources[0] }, { type: 'find_in_page', url: found.sources[0], pattern: 'mock' });
    return webSearchThenText({ actions, text: found.text, citations: found.citations }, opts);
  }
  const used = useTool(facts, opts);
  if (used) return used;
  if (facts.toolOutput !== undefined) return text(`The command printed: ${facts.toolOutput.trimEnd()}`, opts);
  const all = facts.userTexts.join('\n');
  if (all.includes('RATE_LIMIT')) {
    return httpError(429, openaiErrorBody(429), { 'retry-after': '1', 'x-ratelimit-remaining-requests': '0' });
  }
  if (all.includes('FAIL_STREAM')) return streamError('server_error', 'The mock upstream failed this stream on purpose.', opts);
  const think = /\bTHINK\b/.test(all);
  const reasoning = {
    summaries: ['**Reading the request**\n\nThe mock is considering what was asked.', '**Planning the answer**\n\nIt settles on a short reply.'],
    encrypted: `${MOCK_ENCRYPTED_PREFIX}${Buffer.from(`mock:${facts.model}:${Date.now()}`).toString('base64')}`,
  };
  for (const t of facts.userTexts) {
    const m = RUN.exec(t);
    if (!m) continue;
    const command = m[1].trim();
    const tool = findCommandTool(facts.tools);
    if (!tool) return text(`${MOCK_HELLO} I would run \`${command}\`, but no command tool was offered.`, opts);
    const args: Json = { command };
    if (tool.hasDescription) args.description = 'run it';
    return functionCalls([{ name: tool.name, arguments: args }], think ? { ...opts, reasoning } : opts);
  }
  if (think) return reasoningThenText({ ...reasoning, text: `Thought it over. ${MOCK_HELLO} (model: ${facts.model})` }, opts);
  return text(`${MOCK_HELLO} (model: ${facts.model})`, opts);
}
