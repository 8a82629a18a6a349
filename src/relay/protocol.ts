// What the relay loop needs of a client protocol. Today: Anthropic Messages in and out
// (relay/messages-protocol.ts); an OpenAI Responses or Chat Completions front end plugs in the same way.
import type { ClientError } from '../server/errors.ts';
import type { UpstreamError } from '../upstream/upstream-error.ts';
import type { Usage, StopReason } from '../wire/anthropic-stream.ts';
import type { Candidate } from '../routing/candidates.ts';
import type { RelayContext } from './relay.ts';

export interface ExchangeOutcome {
  /** the HTTP status the client got */
  status: number;
  usage?: Usage;
  stopReason?: StopReason | null;
  /** set when the reply carried a failure (an error event, or a request error passed through) */
  errorKind?: string;
}

/**
 * One attempt on one candidate, seen as client output. The relay pulls `next()` and holds what it gets until
 * `ready`; then it commits (`head()`, the held pieces) and streams the rest. Before the commit a thrown
 * UpstreamError moves the request on; after it, `failFrame` ends the reply.
 */
export interface Exchange {
  /** the next client output ('' when a chunk produced none), null at the end; throws UpstreamError */
  next(): Promise<string | Buffer | null>;
  /** the output so far may be committed (a first content block, a first whole event, a whole body) */
  readonly ready: boolean;
  /** the client's status and headers (content-type, ...), read at commit */
  head(): { status: number; headers: Record<string, string> };
  /** the keep-alive frame for a long silence, or null when this reply takes none (JSON, pass-through) */
  readonly keepAliveFrame: string | null;
  /** before `ready`: output that starts the reply now (its opening event), or null when it cannot start early */
  startEarly(): string | null;
  /** the last bytes after a failure past the commit (e.g. an `event: error`), or null to cut the connection */
  failFrame(e: UpstreamError, err: ClientError): string | null;
  outcome(): ExchangeOutcome;
  /** release the upstream request (idempotent) */
  close(): void;
  /**
   * The reply is whole (its last event is in the last piece): nothing after it is written, so the relay ends the
   * client's response with that piece, in the same socket write, records the request, and reads the upstream to
   * its end apart. Optional: a reply that cannot tell ends when the upstream does.
   */
  readonly finished?: boolean;
}

export interface ClientProtocol {
  /** start an attempt: send the request to the candidate; resolves when it answered (throws UpstreamError) */
  open(ctx: RelayContext, c: Candidate): Promise<Exchange>;
  /** a failure before any byte, in this protocol's words (status, type, message, headers) */
  clientError(ctx: RelayContext, c: Candidate, e: UpstreamError): ClientError;
  /** write an error reply (nothing was sent yet) */
  sendError(ctx: RelayContext, err: ClientError): void;
}
