// GET /v1/models and /v1/models/{id}: OpenAI's list shape, or Anthropic's when the request carries anthropic-version.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Runtime } from '../../runtime.ts';
import type { RegisteredModel } from '../../routing/model-registry.ts';
import { errorBody } from '../errors.ts';
import { claudeModelEntries } from '../../routing/claude-models.ts';
import { inputWindow } from '../../routing/model-catalog.ts';

function wantsAnthropic(request: FastifyRequest): boolean {
  return request.headers['anthropic-version'] !== undefined;
}

function anthropicModel(m: RegisteredModel) {
  const display = m.effort ? `${m.info.displayName} (${m.effort} effort)` : m.info.displayName;
  const window = inputWindow(m.info);
  return {
    type: 'model', id: m.id, display_name: display, created_at: new Date(m.info.created * 1000).toISOString(),
    // the real input window (what /context and auto-compact should use) and the output limit
    context_window: window, max_input_tokens: window, max_tokens: m.info.maxOutputTokens,
  };
}

function openaiModel(m: RegisteredModel) {
  return { id: m.id, object: 'model', created: m.info.created, owned_by: m.provider };
}

export function modelsRoutes(app: FastifyInstance, runtime: Runtime): void {
  app.get('/v1/models', async (request) => {
    if (wantsAnthropic(request)) {
      // Claude's names first (what Claude Code's /model lists, each naming the GPT model behind it), then Packycode's
      const models: Array<{ id: string }> = [...claudeModelEntries(runtime.snapshot, runtime.registry), ...runtime.registry.list().map(anthropicModel)];
      const q = request.query as { limit?: string; after_id?: string; before_id?: string };
      // an id that is not (or no longer) listed gives an empty page, never the first page again
      let start = 0;
      if (q.after_id) { const i = models.findIndex((m) => m.id === q.after_id); start = i >= 0 ? i + 1 : models.length; }
      let end = models.length;
      if (q.before_id) { const i = models.findIndex((m) => m.id === q.before_id); end = i >= 0 ? i : 0; }
      const limit = Math.min(Math.max(Number(q.limit ?? 1000) || 1000, 1), 1000);
      // before_id pages backwards: the `limit` models just before it; has_more = there are earlier ones
      const backward = !!q.before_id && !q.after_id;
      const from = backward ? Math.max(start, end - limit) : start;
      const to = backward ? end : Math.min(end, start + limit);
      const page = models.slice(from, to);
      return {
        data: page,
        has_more: backward ? from > start : to < end,
        first_id: page[0]?.id ?? null,
        last_id: page[page.length - 1]?.id ?? null,
      };
    }
    return { object: 'list', data: runtime.registry.list().map(openaiModel) };
  });

  app.get('/v1/models/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    const m = runtime.registry.find(id);
    const claude = !m && wantsAnthropic(request) ? claudeModelEntries(runtime.snapshot, runtime.registry).find((c) => c.id === id.toLowerCase()) : undefined;
    if (claude) return claude;
    if (!m) {
      return reply.code(404).send(errorBody('not_found_error', `model "${id}" is not registered (Packycode ${runtime.packycodeUsable() ? 'serves' : 'is not serving'}; GET /v1/models lists the models)`, request.id));
    }
    return wantsAnthropic(request) ? anthropicModel(m) : openaiModel(m);
  });
}
