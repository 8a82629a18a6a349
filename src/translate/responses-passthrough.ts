// The Responses API passed through: what changes in a client's request on its way up, and what the gateway
// watches in the reply on its way back. Pure.
//
// Up: the model becomes the routed upstream model (a suffix such as gpt-5-codex-high becomes
// reasoning.effort, and an effort the model does not accept is clamped); `stream` is always true (a
// non-streaming client gets the final response object assembled here); `store` is false while
// privacy.disable-response-storage is on; reasoning items are dropped from `input` when the relay found that
// this upstream refuses the session's earlier reasoning. Everything else (input, instructions, tools, include,
// prompt_cache_key, client_metadata, ...) goes up as sent.
// Back: events pass unchanged except `response.model`, which names the model the client asked for. The relay
// holds the stream until the first output event, so a failure announced first (`error`, response.failed)
// still becomes an HTTP error; a body that ends before response.completed is a failure too.
import type { Effort } from '../wire/responses-request.ts';
import type { OutputItem, ResponseObject, ResponsesEvent, ResponsesUsage } from '../wire/responses-stream.ts';
import { clampEffort, isEffort } from './effort.ts';

export interface PassthroughOptions {
  upstreamModel: string;
  forcedEffort?: Effort;
  supportedEfforts?: Effort[];
  /** false while privacy.disable-response-storage is on: store is forced to false */
  store: boolean;
  /** this upstream refused the session's earlier reasoning: the input goes without its reasoning items */
  dropReasoning?: boolean;
}

/** The body sent upstream: a shallow copy of the client's with the routed fields replaced. */
export function passthroughRequest(body: Record<string, unknown>, opts: PassthroughOptions): Record<string, unknown> {
  const out: Record<string, unknown> = { ...body, model: opts.upstreamModel, stream: true };
  const reasoning = body.reasoning && typeof body.reasoning === 'object' ? { ...(body.reasoning as Record<string, unknown>) } : undefined;
  const asked = reasoning?.effort;
  const effort = opts.forcedEffort ?? (isEffort(asked) ? asked : undefined);
  if (effort) out.reasoning = { ...reasoning, effort: clampEffort(effort, opts.supportedEfforts) };
  if (!opts.store) out.store = false;
  if (opts.dropReasoning && Array.isArray(body.input)) {
    out.input = (body.input as Array<{ type?: unknown }>).filter((item) => item?.type !== 'reasoning');
  }
  return out;
}

/** Events that say nothing yet: held until the first output so that a failure can still become a status. */
const PREAMBLE = new Set(['response.created', 'response.in_progress', 'response.queued']);

export interface PassthroughFailure {
  code?: string;
  message: string;
}

export const PASSTHROUGH_TRUNCATED_MESSAGE = 'the upstream closed the stream before response.completed: the reply is incomplete. Try again.';

/** Watches a passed-through stream: output started, failure, terminal response, usage. */
export class ResponsesPassthrough {
  readonly #clientModel: string;
  #hasOutput = false;
  #failure: PassthroughFailure | undefined;
  #terminal: ResponseObject | undefined;
  readonly #doneItems: OutputItem[] = [];

  constructor(clientModel: string) {
    this.#clientModel = clientModel;
  }

  get hasOutput(): boolean { return this.#hasOutput; }
  get failed(): PassthroughFailure | undefined { return this.#failure; }
  get usage(): ResponsesUsage | undefined { return this.#terminal?.usage ?? undefined; }
  /** response.completed or response.incomplete arrived */
  get finished(): boolean { return this.#terminal !== undefined; }

  /** One upstream event in; the same event (model renamed) appended to `out`, unless the stream already ended. */
  push(ev: ResponsesEvent, out: ResponsesEvent[]): void {
    if (this.#failure || this.#terminal) return;
    if (ev.response && typeof ev.response === 'object') ev.response.model = this.#clientModel;
    switch (ev.type) {
      case 'error': {
        const e = ev.error ?? {};
        const code = e.code ?? e.type ?? ev.code ?? undefined;
        this.#failure = { ...(code ? { code } : {}), message: e.message ?? ev.message ?? 'the upstream reported an error' };
        break;
      }
      case 'response.failed': {
        const e = ev.response?.error ?? {};
        this.#failure = { ...(e.code ? { code: e.code } : {}), message: e.message ?? 'the upstream response failed' };
        break;
      }
      case 'response.output_item.done':
        if (ev.item) this.#doneItems.push(ev.item);
        break;
      case 'response.completed':
      case 'response.incomplete':
        this.#terminal = ev.response ?? { id: '' };
        break;
      default:
        break;
    }
    if (!PREAMBLE.has(ev.type) && !this.#failure) this.#hasOutput = true;
    out.push(ev);
  }

  /** End of the upstream body: no terminal event means the reply was cut. */
  end(): void {
    if (!this.#terminal && !this.#failure) this.#failure = { message: PASSTHROUGH_TRUNCATED_MESSAGE };
  }

  /**
   * The final response object for a non-streaming client: the terminal event's, with its output filled from
   * the output_item.done events when the upstream left it empty (some relays do).
   */
  response(): ResponseObject | undefined {
    const r = this.#terminal;
    if (!r) return undefined;
    if ((!r.output || r.output.length === 0) && this.#doneItems.length > 0) return { ...r, output: this.#doneItems };
    return r;
  }
}
