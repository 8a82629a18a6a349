// Cost of the OpenAI-route translations, in-process (no I/O): Chat Completions request -> Responses request
// for a ~100 KB agent-style request, and Responses events -> chat chunks (streamed, then folded).
//   node bench/openai-translate.ts          (Node 22.18+ / 24: `source scripts/ensure-node.sh` first)
import { chatToResponses } from '../src/translate/chat-to-responses.ts';
import { ChatStreamTranslator } from '../src/translate/responses-to-chat-stream.ts';
import { ChatCompletionAggregator } from '../src/translate/chat-completion-aggregate.ts';
import { passthroughRequest } from '../src/translate/responses-passthrough.ts';
import type { ChatCompletionChunk, ChatCompletionRequest } from '../src/wire/openai-chat.ts';
import type { ResponsesEvent } from '../src/wire/responses-stream.ts';

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliett'];
/** `n` characters of made-up prose */
function prose(n: number, seed = 0): string {
  let out = '';
  for (let i = seed; out.length < n; i++) out += `${WORDS[i % WORDS.length]} `;
  return out.slice(0, n);
}

function chatRequest(targetBytes: number): ChatCompletionRequest {
  const tools = Array.from({ length: 24 }, (_, i) => ({
    type: 'function' as const,
    function: { name: `tool_${i}`, description: prose(Math.floor(targetBytes * 0.6 / 24), i), parameters: { type: 'object', properties: { arg: { type: 'string' } } } },
  }));
  const messages: ChatCompletionRequest['messages'] = [{ role: 'system', content: prose(Math.floor(targetBytes * 0.15), 3) }];
  for (let t = 0; t < 10; t++) {
    messages.push({ role: 'user', content: prose(Math.floor(targetBytes * 0.02), t) });
    messages.push({ role: 'assistant', content: null, tool_calls: [{ id: `call_${t}`, type: 'function', function: { name: 'tool_1', arguments: '{"arg":"x"}' } }] });
    messages.push({ role: 'tool', tool_call_id: `call_${t}`, content: prose(200, t) });
  }
  return { model: 'gpt-5-codex', messages, tools, stream: true };
}

function textEvents(deltas: number): ResponsesEvent[] {
  const ev: ResponsesEvent[] = [{ type: 'response.created', response: { id: 'r', status: 'in_progress', output: [] } }];
  ev.push({ type: 'response.output_item.added', output_index: 0, item: { id: 'msg_1', type: 'message', role: 'assistant', content: [] } });
  for (let i = 0; i < deltas; i++) ev.push({ type: 'response.output_text.delta', item_id: 'msg_1', output_index: 0, delta: 'word ' });
  ev.push({ type: 'response.completed', response: { id: 'r', status: 'completed', output: [], usage: { input_tokens: 100, output_tokens: deltas } } });
  return ev;
}

function time(label: string, n: number, fn: () => void): void {
  for (let i = 0; i < Math.min(50, n); i++) fn(); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn();
  const us = ((performance.now() - t0) * 1000) / n;
  console.log(`${label.padEnd(58)} ${us.toFixed(1).padStart(9)} µs/op  (${n} ops)`);
}

const req = chatRequest(100_000);
console.log(`chat request: ${JSON.stringify(req).length} bytes, ${req.messages.length} messages, ${req.tools?.length} tools`);
const opts = { upstreamModel: 'gpt-5-codex', defaultEffort: 'medium' as const, store: false, forwardSamplingParams: false };
time('chatToResponses (100 KB request)', 2000, () => { chatToResponses(req, opts); });
const responsesBody = { model: 'gpt-5-codex', input: chatToResponses(req, opts).input, stream: true, store: false };
time('passthroughRequest (same input as a Responses body)', 20000, () => { passthroughRequest(responsesBody, { upstreamModel: 'gpt-5-codex', store: false }); });
const events = textEvents(1000);
time('stream: 1,000 text deltas -> chunks, serialised', 200, () => {
  const t = new ChatStreamTranslator({ id: 'c', model: 'm', created: 0, includeUsage: true });
  const out: ChatCompletionChunk[] = [];
  for (const ev of events) t.push(ev, out);
  let s = '';
  for (const c of out) s += `data: ${JSON.stringify(c)}\n\n`;
  if (s.length === 0) throw new Error('no output');
});
time('whole: 1,000 text deltas -> one chat.completion', 200, () => {
  const t = new ChatStreamTranslator({ id: 'c', model: 'm', created: 0, includeUsage: false });
  const agg = new ChatCompletionAggregator();
  for (const ev of events) { const out: ChatCompletionChunk[] = []; t.push(ev, out); agg.add(out); }
  JSON.stringify(agg.completion(t.usage));
});
