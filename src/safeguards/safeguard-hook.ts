// Where auto mode's verdicts join a reply. The relay hands every translated event to `pass` (streaming) or
// the finished message to `forMessage` (non-streaming); the hook notes the reply's tool calls and puts
// `safeguard_results` on the final message_delta / message. Without a judge it answers at once (see noJudgeResults);
// with one it waits for the judge's verdicts, bounded by a timeout, and any failure becomes `unavailable` for
// every call (never `not_flagged`). Holds nothing of the request unless a judge was given one.
import type { Message, StreamEvent } from '../wire/anthropic-stream.ts';
import { parseToolInput } from '../translate/response-to-message.ts';
import { allUnavailable, noJudgeResults, verdictResults, type SafeguardResult, type Verdict } from './safeguard-results.ts';

export interface ToolCallToJudge { id: string; name: string; input: Record<string, unknown> | undefined }

/** Judges the reply's calls; resolves to a verdict per id (ids it leaves out become `unavailable`). */
export type JudgeCalls = (calls: ToolCallToJudge[], signal: AbortSignal) => Promise<Record<string, Verdict>>;

export interface SafeguardHookOptions {
  judge?: JudgeCalls;
  /** the judge's deadline (ms); past it every call is `unavailable: timeout` */
  timeoutMs?: number;
  /** called once with how the judging went (metadata only; for logs and metrics) */
  onJudged?: (outcome: JudgeOutcome) => void;
}

export interface JudgeOutcome { calls: number; flagged: number; unavailable: number; ms: number; failure?: string }

type MessageDelta = Extract<StreamEvent, { type: 'message_delta' }>;
interface Draft { id: string; name: string; json: string }

export class SafeguardHook {
  readonly #opts: SafeguardHookOptions;
  readonly #byIndex = new Map<number, Draft>();
  readonly #calls: Draft[] = [];

  constructor(opts: SafeguardHookOptions = {}) {
    this.#opts = opts;
  }

  /**
   * Notes the tool calls among `events` (from index `from`) and, at the final message_delta, adds its
   * `safeguard_results`. Returns a promise when that needs the judge: write nothing of `events` before it settles.
   */
  pass(events: StreamEvent[], from = 0): Promise<void> | undefined {
    for (let i = from; i < events.length; i++) {
      const ev = events[i];
      if (ev.type === 'content_block_start' && ev.content_block.type === 'tool_use') {
        const d = { id: ev.content_block.id, name: ev.content_block.name, json: '' };
        this.#byIndex.set(ev.index, d);
        this.#calls.push(d);
      } else if (ev.type === 'content_block_delta' && ev.delta.type === 'input_json_delta') {
        const d = this.#byIndex.get(ev.index);
        if (d) d.json += ev.delta.partial_json;
      } else if (ev.type === 'message_delta') {
        const calls = this.#calls.map((d) => ({ id: d.id, name: d.name, input: parseToolInput(d.json) }));
        const r = this.#results(calls);
        if (!(r instanceof Promise)) { setResults(ev, r); continue; }
        return r.then((results) => setResults(ev, results));
      }
    }
    return undefined;
  }

  /** The results for a finished non-streaming message (its tool_use blocks are the calls). */
  async forMessage(message: Message): Promise<Message & { safeguard_results: SafeguardResult[] }> {
    const calls: ToolCallToJudge[] = [];
    for (const b of message.content) {
      if (b.type === 'tool_use') calls.push({ id: b.id, name: b.name, input: b.input as Record<string, unknown> });
    }
    return { ...message, safeguard_results: await this.#results(calls) };
  }

  #results(calls: ToolCallToJudge[]): SafeguardResult[] | Promise<SafeguardResult[]> {
    const judge = this.#opts.judge;
    if (!judge) return noJudgeResults(calls.map((c) => c.id));
    if (calls.length === 0) return verdictResults({});
    return judgeWithDeadline(judge, calls, this.#opts.timeoutMs ?? 30_000, this.#opts.onJudged);
  }
}

function setResults(ev: MessageDelta, results: SafeguardResult[]): void {
  (ev.delta as MessageDelta['delta'] & { safeguard_results?: SafeguardResult[] }).safeguard_results = results;
}

async function judgeWithDeadline(
  judge: JudgeCalls, calls: ToolCallToJudge[], timeoutMs: number, onJudged?: (o: JudgeOutcome) => void,
): Promise<SafeguardResult[]> {
  const started = performance.now();
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), timeoutMs); });
  const ids = calls.map((c) => c.id);
  const report = (o: Omit<JudgeOutcome, 'calls' | 'ms'>) => onJudged?.({ calls: calls.length, ms: Math.round(performance.now() - started), ...o });
  try {
    const got = await Promise.race([judge(calls, abort.signal), deadline]);
    if (got === 'timeout') {
      abort.abort();
      report({ flagged: 0, unavailable: calls.length, failure: 'timeout' });
      return allUnavailable(ids, 'timeout');
    }
    const verdicts: Record<string, Verdict> = {};
    let flagged = 0;
    let unavailable = 0;
    for (const id of ids) {
      const v = got[id] ?? { type: 'unavailable', reason: 'error' };
      if (v.type === 'evaluated' && v.outcome === 'flagged') flagged++;
      if (v.type === 'unavailable') unavailable++;
      verdicts[id] = v;
    }
    report({ flagged, unavailable });
    return verdictResults(verdicts);
  } catch (e) {
    abort.abort();
    report({ flagged: 0, unavailable: calls.length, failure: (e as Error)?.name === 'UpstreamError' ? (e as { kind?: string }).kind ?? 'error' : 'error' });
    return allUnavailable(ids, 'error');
  } finally {
    clearTimeout(timer);
  }
}
