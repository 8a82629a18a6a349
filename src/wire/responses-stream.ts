// OpenAI Responses API: the reply side (streamed events, one JSON object per SSE `data:` line).
// Only the fields the gateway reads are typed; unknown events and fields are tolerated.

export interface ResponsesUsage {
  input_tokens: number;
  input_tokens_details?: { cached_tokens?: number } | null;
  output_tokens: number;
  output_tokens_details?: { reasoning_tokens?: number } | null;
  total_tokens?: number;
}

export type OutputItem =
  | { type: 'message'; id: string; role: 'assistant'; status?: string; content: Array<{ type: 'output_text'; text: string } | { type: 'refusal'; refusal: string }> }
  | {
      type: 'reasoning'; id: string; summary: Array<{ type: 'summary_text'; text: string }>;
      content?: Array<{ type: 'reasoning_text'; text: string }> | null; encrypted_content?: string | null;
    }
  | { type: 'function_call'; id?: string; call_id: string; name: string; arguments: string; status?: string }
  | { type: string; id?: string; [key: string]: unknown };

export interface ResponseObject {
  id: string;
  model?: string;
  status?: 'in_progress' | 'completed' | 'incomplete' | 'failed' | 'cancelled' | string;
  output?: OutputItem[];
  usage?: ResponsesUsage | null;
  error?: { code?: string | null; message?: string; type?: string } | null;
  incomplete_details?: { reason?: string } | null;
}

/** One event of the stream. `type` decides which other fields are present. */
export interface ResponsesEvent {
  type: string;
  sequence_number?: number;
  response?: ResponseObject;
  item?: OutputItem;
  item_id?: string;
  output_index?: number;
  content_index?: number;
  summary_index?: number;
  delta?: string;
  text?: string;
  arguments?: string;
  refusal?: string;
  part?: { type: string; text?: string; refusal?: string };
  error?: { type?: string; code?: string | null; message?: string; param?: string | null };
  code?: string | null;
  message?: string;
  [key: string]: unknown;
}

/** Loosely typed view of an output item (the wire union is open-ended). */
export interface LooseOutputItem {
  type?: string;
  id?: string;
  call_id?: string;
  name?: string;
  arguments?: string;
  encrypted_content?: string | null;
  content?: Array<{ type?: string; text?: string; refusal?: string }> | null;
  summary?: Array<{ type?: string; text?: string }> | null;
  status?: string;
  action?: Record<string, unknown> | null;
}
