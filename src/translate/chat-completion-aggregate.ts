// Chat Completions chunks folded into one `chat.completion` (the non-streaming reply). Pure. The chunks come
// from ChatStreamTranslator, so a streamed and a whole reply to the same upstream events always agree.
import type { ChatCompletion, ChatCompletionChunk, ChatToolCall, ChatUsage } from '../wire/openai-chat.ts';

export class ChatCompletionAggregator {
  #id = '';
  #model = '';
  #created = 0;
  #content = '';
  #refusal = '';
  #reasoning = '';
  #sawContent = false;
  readonly #calls: ChatToolCall[] = [];
  #finish: ChatCompletion['choices'][0]['finish_reason'] | null = null;
  #usage: ChatUsage | undefined;

  add(chunks: readonly ChatCompletionChunk[]): void {
    for (const c of chunks) {
      this.#id = c.id;
      this.#model = c.model;
      this.#created = c.created;
      if (c.usage) this.#usage = c.usage;
      const choice = c.choices[0];
      if (!choice) continue;
      const d = choice.delta;
      if (typeof d.content === 'string' && d.content !== '') { this.#content += d.content; this.#sawContent = true; }
      if (typeof d.refusal === 'string') this.#refusal += d.refusal;
      if (typeof d.reasoning_content === 'string') this.#reasoning += d.reasoning_content;
      for (const t of d.tool_calls ?? []) {
        const call = this.#calls[t.index] ??= { id: '', type: 'function', function: { name: '', arguments: '' } };
        if (t.id) call.id = t.id;
        if (t.function.name) call.function.name = t.function.name;
        call.function.arguments += t.function.arguments;
      }
      if (choice.finish_reason) this.#finish = choice.finish_reason;
    }
  }

  /** The whole completion, or undefined when no finish_reason arrived (the stream failed or was cut). */
  completion(usage?: ChatUsage): ChatCompletion | undefined {
    if (this.#finish === null) return undefined;
    const message: ChatCompletion['choices'][0]['message'] = {
      role: 'assistant',
      content: this.#sawContent ? this.#content : (this.#calls.length > 0 || this.#refusal !== '' ? null : ''),
      refusal: this.#refusal === '' ? null : this.#refusal,
      annotations: [],
    };
    if (this.#reasoning !== '') message.reasoning_content = this.#reasoning;
    if (this.#calls.length > 0) message.tool_calls = this.#calls.filter(Boolean);
    const u = usage ?? this.#usage ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } };
    return {
      id: this.#id,
      object: 'chat.completion',
      created: this.#created,
      model: this.#model,
      choices: [{ index: 0, message, logprobs: null, finish_reason: this.#finish }],
      usage: u,
    };
  }
}
