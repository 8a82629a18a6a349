// `packybridge check --probe`: one tiny request upstream; reports reachability, auth and latency.
import { loadConfig, type LoadOptions } from './config/load.ts';
import { openResponsesStream, UpstreamError } from './upstream/responses-client.ts';
import { MODEL_CATALOG } from './routing/model-catalog.ts';
import { splitEffortSuffix } from './routing/router.ts';

export async function probeUpstream(opts: LoadOptions): Promise<{ ok: boolean; lines: string[] }> {
  const loaded = await loadConfig({ ...opts, persistSecretHash: false }); // like check: never writes
  const s = loaded.snapshot;
  if (!s || !s.packycode.enabled || !s.packycode.baseUrl || s.packycodeProblems.length) {
    return { ok: false, lines: ['probe: skipped, Packycode is not enabled and valid (fix the problems above first)'] };
  }
  const p = s.packycode;
  const { base } = splitEffortSuffix(p.defaults.model);
  const efforts = MODEL_CATALOG.find((m) => m.id === base)?.efforts ?? ['low'];
  const started = performance.now();
  try {
    const stream = await openResponsesStream({
      target: { baseUrl: p.baseUrl, apiKey: p.requiresOpenaiAuth ? p.credentials.openaiApiKey : undefined },
      body: {
        model: base,
        input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Reply with the word ok.' }] }],
        tools: [], tool_choice: 'auto', parallel_tool_calls: false,
        reasoning: { effort: efforts[0] }, store: false, stream: true, include: [],
      },
      timeouts: s.timeouts,
    });
    const headersMs = performance.now() - started;
    let firstEventMs: number | undefined;
    let terminal = '';
    for await (const ev of stream.events) {
      firstEventMs ??= performance.now() - started;
      if (ev.type === 'response.completed' || ev.type === 'response.failed' || ev.type === 'response.incomplete' || ev.type === 'error') { terminal = ev.type; break; }
    }
    const total = performance.now() - started;
    const ok = terminal === 'response.completed' || terminal === 'response.incomplete';
    return {
      ok,
      lines: [
        `probe: ${p.baseUrl}/responses reachable, key accepted (HTTP ${stream.status})`,
        `probe: headers ${Math.round(headersMs)} ms, first event ${firstEventMs === undefined ? '-' : Math.round(firstEventMs)} ms, total ${Math.round(total)} ms, model ${base}`,
        ok ? 'probe: ok' : `probe: the stream ended with ${terminal || 'no terminal event'}`,
      ],
    };
  } catch (e) {
    if (e instanceof UpstreamError) {
      const hint = e.status === 401 || e.status === 403 ? ' (fix packycode.credentials.openai-api-key)' : e.kind === 'connect' ? ' (check packycode.base-url)' : '';
      return { ok: false, lines: [`probe: failed after ${Math.round(performance.now() - started)} ms: ${e.kind}${e.status ? ` HTTP ${e.status}` : ''}: ${e.upstreamMessage ?? e.message}${hint}`] };
    }
    return { ok: false, lines: [`probe: failed: ${(e as Error).message}`] };
  }
}
