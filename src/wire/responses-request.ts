// OpenAI Responses API: the request side (POST {base-url}/responses), shaped as the Codex CLI sends it.

/** Reasoning effort in the upstream vocabulary, lowest first. Not every model accepts every value. */
export type Effort = 'none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh';

/** Every effort, lowest first (the order clamping and "lowest/highest supported" use). */
export const EFFORTS: readonly Effort[] = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'];

export type InputContent =
  | { type: 'input_text'; text: string }
  | { type: 'output_text'; text: string }
  | { type: 'input_image'; image_url?: string; file_id?: string; detail: 'auto' | 'low' | 'high' }
  | { type: 'input_file'; filename?: string; file_data?: string; file_url?: string; file_id?: string };

export type FunctionCallOutputContent = Extract<InputContent, { type: 'input_text' | 'input_image' | 'input_file' }>;

export type InputItem =
  | { type: 'message'; role: 'user' | 'assistant' | 'system' | 'developer'; content: InputContent[] }
  | { type: 'function_call'; call_id: string; name: string; arguments: string }
  | {
      type: 'function_call_output';
      call_id: string;
      output: string | FunctionCallOutputContent[];
    }
  | { type: 'reasoning'; summary: Array<{ type: 'summary_text'; text: string }>; encrypted_content: string; id?: string };

export interface FunctionTool {
  type: 'function';
  name: string;
  description?: string;
  parameters: Record<string, unknown>;
  strict: boolean;
}

/** The hosted web search tool (the upstream runs the searches). */
export interface WebSearchTool {
  type: 'web_search';
  filters?: { allowed_domains: string[] };
  user_location?: { type: 'approximate'; city?: string; region?: string; country?: string; timezone?: string };
  search_context_size?: 'low' | 'medium' | 'high';
}

export type ResponsesTool = FunctionTool | WebSearchTool;

export type ResponsesToolChoice =
  | 'auto' | 'none' | 'required'
  | { type: 'function'; name: string }
  | { type: 'allowed_tools'; mode: 'auto' | 'required'; tools: Array<{ type: 'web_search' } | { type: 'function'; name: string }> };

export interface ResponsesRequest {
  model: string;
  instructions?: string;
  input: InputItem[];
  tools: ResponsesTool[];
  tool_choice: ResponsesToolChoice;
  /** most built-in tool calls (web searches) in one response */
  max_tool_calls?: number;
  parallel_tool_calls: boolean;
  /** summary is omitted when the client turned thinking off */
  reasoning: { effort: Effort; summary?: 'auto' | 'concise' | 'detailed' };
  store: boolean;
  stream: true;
  include: string[];
  prompt_cache_key?: string;
  text?: { format?: { type: 'json_schema'; name: string; schema: Record<string, unknown>; strict: boolean; description?: string } | { type: 'text' } | { type: 'json_object' }; verbosity?: string };
  temperature?: number;
  top_p?: number;
  max_output_tokens?: number;
}
