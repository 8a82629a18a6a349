// The end of one request on the OpenAI routes: metrics, one metadata-only log line, and the RequestRecord for
// the request observers (usage accounting). Never a prompt, a reply or a key.
import type { Runtime } from '../runtime.ts';
import type { ClientRoute } from '../accounting/request-record.ts';
import type { Usage } from '../wire/anthropic-stream.ts';
import type { Candidate } from '../routing/candidates.ts';
import { emitRecord } from '../relay/relay.ts';

const ROUTE_PATH: Partial<Record<ClientRoute, string>> = { responses: '/v1/responses', chat_completions: '/v1/chat/completions' };

export interface OpenAIRequestFacts {
  route: ClientRoute;
  requestId: string;
  client: string;
  started: number;
  modelAsked?: string;
  stream: boolean;
  /** request fields accepted but not carried upstream (e.g. stop), by name */
  ignored?: string[];
}

/** What the relay (or an early refusal) says happened. */
export interface OpenAIFinish {
  status: number;
  errorKind?: string;
  ttfbMs?: number;
  /** in the relay's terms: input_tokens uncached, cache_read_input_tokens cached */
  usage?: Usage;
  clientAborted?: boolean;
  candidate?: Candidate;
}

export function finishOpenAIRequest(runtime: Runtime, f: OpenAIRequestFacts, o: OpenAIFinish): void {
  const totalMs = performance.now() - f.started;
  const path = ROUTE_PATH[f.route] ?? f.route;
  const c = o.candidate;
  const modelUsed = c?.upstreamModel;
  const u = o.usage;
  const inputTokens = u?.input_tokens ?? 0;
  const cached = u?.cache_read_input_tokens ?? 0;
  runtime.metrics.requests.inc({ route: path, model: f.modelAsked ?? 'unknown', status: String(o.status) });
  if (u && modelUsed) {
    runtime.metrics.tokens.inc({ direction: 'in', model: modelUsed }, inputTokens + cached);
    runtime.metrics.tokens.inc({ direction: 'out', model: modelUsed }, u.output_tokens ?? 0);
  }
  runtime.logger.info({
    reqId: f.requestId, route: path, client: f.client, modelAsked: f.modelAsked, modelUsed,
    via: c ? (c.provider === 'packycode' ? c.route?.via : `provider:${c.provider}`) : undefined, provider: c?.provider,
    stream: f.stream, status: o.status, errorKind: o.errorKind, clientAborted: o.clientAborted || undefined,
    ignored: f.ignored?.length ? f.ignored : undefined,
    ttfbMs: o.ttfbMs !== undefined ? Math.round(o.ttfbMs) : undefined, totalMs: Math.round(totalMs),
    inputTokens: u ? inputTokens + cached : undefined, cachedTokens: u ? cached : undefined, outputTokens: u?.output_tokens,
  }, 'request');
  emitRecord(runtime, {
    at: Date.now(),
    requestId: f.requestId,
    route: f.route,
    client: f.client,
    modelAsked: f.modelAsked ?? '',
    ...(modelUsed && o.status < 400 ? { modelUsed } : {}),
    ...(c && o.status < 400 ? { provider: c.provider } : {}),
    stream: f.stream,
    status: o.status,
    ...(o.errorKind ? { errorKind: o.errorKind } : {}),
    durationMs: totalMs,
    ...(o.ttfbMs !== undefined ? { ttfbMs: o.ttfbMs } : {}),
    // as on /v1/messages: inputTokens are the uncached ones, cachedInputTokens the rest
    inputTokens,
    cachedInputTokens: cached,
    outputTokens: u?.output_tokens ?? 0,
    webSearches: 0,
  });
}
