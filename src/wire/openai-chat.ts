// OpenAI Chat Completions: the request (POST /v1/chat/completions) and the reply, whole or streamed as
// `chat.completion.chunk`s. Only the fields the gateway reads or writes are typed; unknown request fields pass
// validation and are ignored.

export type ChatContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string; detail?: 'auto' | 'low' | 'high' | null } }
  | { type: 'file'; file: { file_data?: string | null; file_id?: string | null; filename?: string | null } }
  | { type: 'refusal'; refusal: string }
  | { type: 'input_audio'; input_audio: unknown };

export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export type ChatMessage =
  | { role: 'system' | 'developer'; content: string | ChatContentPart[]; name?: string | null }
  | { role: 'user'; content: string | ChatContentPart[]; name?: string | null }
  | {
      role: 'assistant';
      content?: string | ChatContentPart[] | null;
      refusal?: string | null;
      tool_calls?: ChatToolCall[] | null;
      function_call?: { name: string; arguments: string } | null;
      name?: string | null;
    }
  | { role: 'tool'; tool_call_id: string; content: string | ChatContentPart[] }
  | { role: 'function'; name: string; content: string | null };

export interface ChatFunctionTool {
  type: 'function';
  function: { name: string; description?: string | null; parameters?: Record<string, unknown> | null; strict?: boolean | null };
}

export type ChatToolChoice = 'none' | 'auto' | 'required' | { type: 'function'; function: { name: string } };

export type ChatResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; json_schema: { name: string; description?: string | null; schema?: Record<string, unknown> | null; strict?: boolean | null } };

export interface ChatCompletionRequest {
  model: string;
  messages: ChatMessage[];
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean | null } | null;
  tools?: ChatFunctionTool[] | null;
  tool_choice?: ChatToolChoice | null;
  parallel_tool_calls?: boolean | null;
  response_format?: ChatResponseFormat | null;
  reasoning_effort?: string | null;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  stop?: string | string[] | null;
  n?: number | null;
  prompt_cache_key?: string | null;
  verbosity?: 'low' | 'medium' | 'high' | null;
  user?: string | null;
  [key: string]: unknown;
}

export type ChatFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
  completion_tokens_details: { reasoning_tokens: number };
}

export interface ChatToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function: { name?: string; arguments: string };
}

export interface ChatDelta {
  role?: 'assistant';
  content?: string | null;
  refusal?: string | null;
  /** reasoning summaries, as several OpenAI-compatible servers stream them; clients that do not know it ignore it */
  reasoning_content?: string;
  tool_calls?: ChatToolCallDelta[];
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: Array<{ index: 0; delta: ChatDelta; logprobs: null; finish_reason: ChatFinishReason | null }>;
  /** present (null until the last chunk) only when stream_options.include_usage was set */
  usage?: ChatUsage | null;
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{
    index: 0;
    message: {
      role: 'assistant';
      content: string | null;
      refusal: string | null;
      reasoning_content?: string;
      tool_calls?: ChatToolCall[];
      annotations: unknown[];
    };
    logprobs: null;
    finish_reason: ChatFinishReason;
  }>;
  usage: ChatUsage;
}
