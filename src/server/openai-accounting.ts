// The end of one request on the OpenAI routes: metrics, one metadata-only log line, and a RequestRecord for
// the request observers (usage accounting). Never a prompt, a reply or a key.
import type { FastifyRequest } from 'fastify';
import type { ConfigSnapshot } from '../config/types.ts';
import type { Runtime } from '../runtime.ts';
import type { ClientRoute, RequestRecord } from '../accounting/request-record.ts';
import type { OpenAIRelayOutcome } from './openai-relay.ts';
import { keyMatches, presentedKey } from './client-auth.ts';

const ROUTE_PATH: Record<ClientRoute, string> = {
  messages: '/v1/messages', count_tokens: '/v1/messages/count_tokens', responses: '/v1/responses', chat_completions: '/v1/chat/completions',
};

/**
 * Who sent the request, by configuration position (`api-keys[0]`), never the key; "anonymous" when api-keys
 * is empty. (Named client keys, issue 12, replace this with the key's name.)
 */
export function clientName(snapshot: ConfigSnapshot, request: FastifyRequest): string {
  const keys = snapshot.apiKeys;
  if (keys.length === 0) return 'anonymous';
  const key = presentedKey(request.headers);
  if (key) for (let i = 0; i < keys.length; i++) if (keyMatches(key, [keys[i]])) return `api-keys[${i}]`;
  return 'unknown';
}

export interface OpenAIRequestFacts {
  route: ClientRoute;
  requestId: string;
  client: string;
  started: number;
  modelAsked?: string;
  modelUsed?: string;
  stream: boolean;
  /** how the upstream model was chosen (registered, model-map, default, passthrough) */
  via?: string;
  /** request fields accepted but not carried upstream (e.g. stop), by name */
  ignored?: string[];
}

export function finishOpenAIRequest(runtime: Runtime, f: OpenAIRequestFacts, o: OpenAIRelayOutcome): RequestRecord {
  const durationMs = performance.now() - f.started;
  const path = ROUTE_PATH[f.route];
  const u = o.usage;
  runtime.metrics.requests.inc({ route: path, model: f.modelAsked ?? 'unknown', status: String(o.status) });
  if (u && f.modelUsed) {
    runtime.metrics.tokens.inc({ direction: 'in', model: f.modelUsed }, u.inputTokens);
    runtime.metrics.tokens.inc({ direction: 'out', model: f.modelUsed }, u.outputTokens);
  }
  const cached = u ? Math.min(u.cachedInputTokens, u.inputTokens) : 0;
  const record: RequestRecord = {
    at: Date.now(),
    requestId: f.requestId,
    route: f.route,
    client: f.client,
    modelAsked: f.modelAsked ?? 'unknown',
    stream: f.stream,
    status: o.status,
    durationMs: Math.round(durationMs),
    // as on /v1/messages: inputTokens are the uncached ones, cachedInputTokens the rest
    inputTokens: u ? u.inputTokens - cached : 0,
    cachedInputTokens: cached,
    outputTokens: u?.outputTokens ?? 0,
    webSearches: 0,
  };
  if (f.modelUsed) { record.modelUsed = f.modelUsed; record.provider = 'packycode'; }
  if (o.errorKind) record.errorKind = o.errorKind;
  if (o.ttfbMs !== undefined) record.ttfbMs = Math.round(o.ttfbMs);
  runtime.logger.info({
    reqId: f.requestId, route: path, client: f.client, modelAsked: f.modelAsked, modelUsed: f.modelUsed, via: f.via, stream: f.stream,
    status: o.status, errorKind: o.errorKind, clientAborted: o.clientAborted || undefined, ignored: f.ignored?.length ? f.ignored : undefined,
    ttfbMs: record.ttfbMs, totalMs: record.durationMs, inputTokens: u?.inputTokens, cachedTokens: u ? cached : undefined, outputTokens: u?.outputTokens,
  }, 'request');
  for (const obs of runtime.requestObservers) {
    try { obs.record(record); } catch (e) { runtime.logger.warn({ err: { message: (e as Error).message } }, 'request observer failed'); }
  }
  return record;
}
