// Anthropic Messages API: the request side (what Claude Code and the Anthropic SDKs send).
// Owned by the request translation; validation schemas live in anthropic-validate.ts.

export type CacheControl = { type: 'ephemeral'; ttl?: string };

export interface TextBlock { type: 'text'; text: string; cache_control?: CacheControl; citations?: unknown }
export interface ImageBlock {
  type: 'image';
  source:
    | { type: 'base64'; media_type: string; data: string }
    | { type: 'url'; url: string }
    | { type: 'file'; file_id: string };
  cache_control?: CacheControl;
}
export interface DocumentBlock {
  type: 'document';
  source:
    | { type: 'base64'; media_type: string; data: string }
    | { type: 'url'; url: string }
    | { type: 'text'; media_type?: string; data: string }
    | { type: 'content'; content: string | Array<TextBlock | ImageBlock> }
    | { type: 'file'; file_id: string };
  title?: string;
  context?: string;
  cache_control?: CacheControl;
}
export interface ToolUseBlock { type: 'tool_use'; id: string; name: string; input: unknown; cache_control?: CacheControl }
export interface ToolResultBlock {
  type: 'tool_result';
  tool_use_id: string;
  content?: string | Array<TextBlock | ImageBlock | DocumentBlock | SearchResultBlock | ServerBlock>;
  is_error?: boolean;
  cache_control?: CacheControl;
}
export interface ThinkingBlock { type: 'thinking'; thinking: string; signature?: string }
export interface RedactedThinkingBlock { type: 'redacted_thinking'; data: string }
export interface SearchResultBlock {
  type: 'search_result';
  source: string;
  title: string;
  content: TextBlock[];
  citations?: unknown;
  cache_control?: CacheControl;
}

/** Blocks of Anthropic's server-side tools and connectors (from an earlier turn), and ToolSearch's
 *  tool_reference. Accepted by validation; web search blocks and tool_reference become text for the model,
 *  the others are dropped: the upstream cannot run or read them. */
export const SERVER_BLOCK_TYPES = [
  'server_tool_use', 'web_search_tool_result', 'web_fetch_tool_result', 'code_execution_tool_result',
  'bash_code_execution_tool_result', 'text_editor_code_execution_tool_result', 'tool_search_tool_result',
  'mcp_tool_use', 'mcp_tool_result', 'container_upload', 'tool_reference',
] as const;
export interface ServerBlock { type: (typeof SERVER_BLOCK_TYPES)[number]; [key: string]: unknown }

export type ContentBlock =
  | TextBlock | ImageBlock | DocumentBlock | ToolUseBlock | ToolResultBlock | ThinkingBlock | RedactedThinkingBlock
  | SearchResultBlock | ServerBlock;

export interface MessageParam {
  role: 'user' | 'assistant' | 'system';
  content: string | ContentBlock[];
}

export interface ToolDefinition {
  name: string;
  description?: string;
  input_schema?: Record<string, unknown>;
  type?: string; // server tools (web_search_20250305, ...) carry a type
  cache_control?: CacheControl;
  /** not in the model's context until a tool_reference block names it (ToolSearch) */
  defer_loading?: boolean;
  [key: string]: unknown;
}

export type ToolChoice =
  | { type: 'auto'; disable_parallel_tool_use?: boolean }
  | { type: 'any'; disable_parallel_tool_use?: boolean }
  | { type: 'none' }
  | { type: 'tool'; name: string; disable_parallel_tool_use?: boolean };

/** How thinking is returned: summarized text, only the signature ("omitted"), or progress notes ("updates"). */
export type ThinkingDisplay = 'summarized' | 'omitted' | 'updates' | (string & {});

export type ThinkingConfig =
  | { type: 'enabled'; budget_tokens: number; display?: ThinkingDisplay }
  | { type: 'adaptive'; display?: ThinkingDisplay }
  | { type: 'disabled' };

export interface MessagesRequest {
  model: string;
  messages: MessageParam[];
  system?: string | TextBlock[];
  max_tokens?: number;
  stream?: boolean;
  tools?: ToolDefinition[];
  tool_choice?: ToolChoice;
  thinking?: ThinkingConfig;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  stop_sequences?: string[];
  metadata?: { user_id?: string | null; [key: string]: unknown };
  output_config?: { effort?: string; format?: { type: 'json_schema'; schema: Record<string, unknown> } | Record<string, unknown> };
  context_management?: unknown;
  [key: string]: unknown;
}

export interface CountTokensRequest {
  model: string;
  messages: MessageParam[];
  system?: string | TextBlock[];
  tools?: ToolDefinition[];
  tool_choice?: ToolChoice;
  thinking?: ThinkingConfig;
  [key: string]: unknown;
}
