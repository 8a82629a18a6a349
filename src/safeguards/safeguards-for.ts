// The relay's one entry into auto mode's safeguards: for a request that asks for them, the hook that puts
// `safeguard_results` on the reply, with a judge when `safeguards.classifier-model` is set. The judge is a
// Packycode call of its own (same base URL and key, streamed, store:false); it logs metadata only.
import type { MessagesRequest } from '../wire/anthropic-request.ts';
import type { ConfigSnapshot } from '../config/types.ts';
import type { Runtime } from '../runtime.ts';
import { isRefusal, resolveRoute } from '../routing/router.ts';
import { openResponsesStream } from '../upstream/responses-client.ts';
import { SAFEGUARDS_TIMEOUT_MS } from '../config/schema.ts';
import { clampEffort } from '../translate/effort.ts';
import { judgeRequest, readVerdicts } from './judge-request.ts';
import { SafeguardHook, type JudgeCalls } from './safeguard-hook.ts';
import { requestedDangerousToolUse } from './safeguard-results.ts';

export { SafeguardHook } from './safeguard-hook.ts';

export function safeguardsFor(runtime: Runtime, snapshot: ConfigSnapshot, req: MessagesRequest, requestId: string): SafeguardHook | undefined {
  const asked = requestedDangerousToolUse(req);
  if (!asked) return undefined;
  const model = snapshot.safeguards?.classifierModel ?? '';
  if (model === '') return new SafeguardHook();
  // with a judge, the conversation is kept until the reply's verdicts are in (the judge reads it)
  const messages = req.messages;
  const judge: JudgeCalls = async (calls, signal) => {
    const route = resolveRoute(snapshot, runtime.registry, model);
    if (isRefusal(route)) throw new Error(route.message);
    const body = judgeRequest({
      model: route.upstreamModel,
      effort: clampEffort(route.forcedEffort ?? 'low', route.supportedEfforts),
      classifierContext: asked.classifierContext,
      messages,
      calls,
    });
    const upstream = await openResponsesStream({ target: { baseUrl: route.baseUrl, apiKey: route.apiKey }, body, signal, timeouts: snapshot.timeouts });
    let text = '';
    for await (const batch of upstream.batches) {
      for (const ev of batch) {
        if (ev.type === 'response.output_text.delta') text += (ev as { delta?: string }).delta ?? '';
        else if (ev.type === 'response.failed' || ev.type === 'error') throw new Error('the judge\'s reply failed');
      }
    }
    return readVerdicts(text, calls.map((c) => c.id));
  };
  return new SafeguardHook({
    judge,
    timeoutMs: snapshot.safeguards?.timeoutMs ?? SAFEGUARDS_TIMEOUT_MS,
    onJudged: (o) => runtime.logger.info({ reqId: requestId, classifierModel: model, ...o }, 'safeguards judged'),
  });
}
