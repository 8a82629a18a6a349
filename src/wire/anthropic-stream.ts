// Anthropic Messages API: the reply side (SSE events and the non-streaming Message).

export type StopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'pause_turn' | 'refusal';

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
  /** server tools run for this reply (web search) */
  server_tool_use?: { web_search_requests: number; web_fetch_requests?: number };
}

/** A text block's citation of a web search result. */
export interface WebSearchCitation {
  type: 'web_search_result_location';
  url: string;
  title: string;
  cited_text: string;
  encrypted_index: string;
}

export interface WebSearchResult { type: 'web_search_result'; url: string; title: string; encrypted_content: string; page_age: string | null }
export type WebSearchToolResultContent = WebSearchResult[] | { type: 'web_search_tool_result_error'; error_code: string };

export interface WebFetchResult {
  type: 'web_fetch_result';
  url: string;
  retrieved_at: string | null;
  content: { type: 'document'; source: { type: 'text'; media_type: 'text/plain'; data: string }; title: string | null; citations: null };
}

/** Server-side tool blocks (web search, and a page opened by it shown as Claude's web fetch). */
export type ServerToolBlock =
  | { type: 'server_tool_use'; id: string; name: 'web_search' | 'web_fetch'; input: Record<string, unknown> }
  | { type: 'web_search_tool_result'; tool_use_id: string; content: WebSearchToolResultContent }
  | { type: 'web_fetch_tool_result'; tool_use_id: string; content: WebFetchResult | { type: 'web_fetch_tool_result_error'; error_code: string } };

export type OutputBlock =
  | { type: 'text'; text: string; citations?: WebSearchCitation[] }
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'redacted_thinking'; data: string }
  | { type: 'tool_use'; id: string; name: string; input: unknown }
  | ServerToolBlock;

export interface Message {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: OutputBlock[];
  stop_reason: StopReason | null;
  stop_sequence: string | null;
  usage: Usage;
}

export type ContentBlockStart =
  | { type: 'text'; text: '' }
  | { type: 'thinking'; thinking: ''; signature?: '' }
  | { type: 'redacted_thinking'; data: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, never> }
  | { type: 'server_tool_use'; id: string; name: 'web_search' | 'web_fetch'; input: Record<string, never> }
  | Exclude<ServerToolBlock, { type: 'server_tool_use' }>;

export type Delta =
  | { type: 'text_delta'; text: string }
  | { type: 'thinking_delta'; thinking: string }
  | { type: 'signature_delta'; signature: string }
  | { type: 'input_json_delta'; partial_json: string }
  | { type: 'citations_delta'; citation: WebSearchCitation };

export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'overloaded_error'
  | 'timeout_error';

export type StreamEvent =
  | { type: 'message_start'; message: Message }
  | { type: 'content_block_start'; index: number; content_block: ContentBlockStart }
  | { type: 'content_block_delta'; index: number; delta: Delta }
  | { type: 'content_block_stop'; index: number }
  | { type: 'message_delta'; delta: { stop_reason: StopReason | null; stop_sequence: string | null }; usage: Usage }
  | { type: 'message_stop' }
  | { type: 'ping' }
  | { type: 'error'; error: { type: AnthropicErrorType; message: string } };
