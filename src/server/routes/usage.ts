// /v0/management/usage: usage per day, client, model asked, model used and provider, filtered and grouped,
// as JSON or CSV. /v0/management/requests: the last requests' metadata. Never a prompt, a reply or a key.
import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../../runtime.ts';
import { GROUP_COLUMNS, type GroupBy, type UsageRow } from '../../state/sqlite-usage-store.ts';
import { dayOf } from '../../accounting/usage-recorder.ts';
import { usageCsv } from '../../accounting/usage-csv.ts';

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

interface UsageParams { from?: string; to?: string; client?: string; model?: string; 'group-by'?: string; format?: string }

function rowView(r: UsageRow): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const g of Object.keys(GROUP_COLUMNS) as GroupBy[]) if (r[g] !== undefined) out[g] = r[g] === '' ? null : r[g];
  return {
    ...out,
    requests: r.requests,
    'input-tokens': r.inputTokens,
    'cached-input-tokens': r.cachedInputTokens,
    'output-tokens': r.outputTokens,
    'web-searches': r.webSearches,
    errors: r.errors,
    'errors-by-kind': r.errorKinds,
    'cost-usd': Math.round(r.costUsd * 1e6) / 1e6,
  };
}

export function usageRoutes(m: FastifyInstance, runtime: Runtime): void {
  m.get('/v0/management/usage', async (request, reply) => {
    const usage = runtime.usage;
    if (!usage) return reply.code(503).send({ error: 'unavailable', message: 'usage accounting is not running in this gateway instance' });
    const q = request.query as UsageParams;
    const to = q.to ?? dayOf(Date.now());
    const from = q.from ?? dayOf(Date.parse(`${to}T00:00:00Z`) - 29 * DAY_MS);
    for (const [name, v] of [['from', from], ['to', to]] as const) {
      if (!DAY.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`))) {
        return reply.code(400).send({ error: 'bad_request', message: `${name}=${v} is not a date`, fix: `write ${name} as YYYY-MM-DD (UTC), e.g. ${name}=${dayOf(Date.now())}` });
      }
    }
    if (from > to) return reply.code(400).send({ error: 'bad_request', message: `from=${from} is after to=${to}`, fix: 'swap them' });
    const groupBy = (q['group-by'] ?? 'day,client,model').split(',').map((g) => g.trim()).filter(Boolean);
    const unknown = groupBy.filter((g) => !(g in GROUP_COLUMNS));
    if (unknown.length > 0) {
      return reply.code(400).send({ error: 'bad_request', message: `group-by ${unknown.join(', ')} is not known`, fix: `group by any of: ${Object.keys(GROUP_COLUMNS).join(', ')} (comma-separated), or none: group-by=` });
    }
    const query = { from, to, client: q.client || undefined, model: q.model || undefined, groupBy: [...new Set(groupBy)] as GroupBy[] };
    let rows: UsageRow[];
    try {
      rows = await usage.query(query);
    } catch (e) {
      return reply.code(503).send({ error: 'unavailable', message: `the usage store cannot be read (${(e as Error).message}); rows recorded meanwhile are kept and written when it is back` });
    }
    const csv = q.format === 'csv' || (q.format === undefined && /text\/csv/.test(request.headers.accept ?? ''));
    if (csv) {
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="packybridge-usage-${from}-to-${to}.csv"`)
        .send(usageCsv(rows, query.groupBy));
    }
    const [totals] = await usage.query({ ...query, groupBy: [] });
    return {
      from, to, client: query.client ?? null, model: query.model ?? null, 'group-by': query.groupBy,
      rows: rows.map(rowView),
      totals: totals ? rowView(totals) : null,
    };
  });

  m.get('/v0/management/requests', async (request, reply) => {
    const raw = (request.query as { limit?: string }).limit;
    const limit = raw === undefined ? 50 : Number(raw);
    if (!Number.isInteger(limit) || limit < 1) return reply.code(400).send({ error: 'bad_request', message: `limit=${raw} is not a positive whole number`, fix: 'write e.g. ?limit=50 (at most 200)' });
    return {
      requests: runtime.recentRequests.list(Math.min(limit, 200)).map((r) => ({
        at: new Date(r.at).toISOString(), 'request-id': r.requestId, route: r.route, client: r.client, 'model-asked': r.modelAsked,
        'model-used': r.modelUsed ?? null, provider: r.provider ?? null, stream: r.stream, status: r.status, 'error-kind': r.errorKind ?? null,
        'duration-ms': Math.round(r.durationMs), 'ttfb-ms': r.ttfbMs !== undefined ? Math.round(r.ttfbMs) : null,
        'input-tokens': r.inputTokens, 'cached-input-tokens': r.cachedInputTokens, 'output-tokens': r.outputTokens, 'web-searches': r.webSearches,
      })),
    };
  });
}
