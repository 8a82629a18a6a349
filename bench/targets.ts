// Where the bench's load generator sends its requests: the direct floor (the mock's /v1/responses, the same
// conversation as a Responses request), through the gateway (/v1/messages, as Claude Code asks), and count_tokens.
// Shared by the bench (main.ts) and the A/B runner (ab.ts), so both time the same requests.
import type { LoadSpec } from './load-worker.ts';
import { CLIENT_KEY } from './procs.ts';

export interface Target { origin: string; path: string; headers: Record<string, string>; mode: LoadSpec['mode'] }

/** The reply of the latency phase: ~30 text deltas. */
export const SHORT_REPLY = 'Hi! This is a short answer from the mock upstream, a few words long, so the first text is all that is timed here.';

export function targets(mock: { origin: string }, gw: { origin: string }): { direct: Target; through: Target; count: Target } {
  return {
    direct: { origin: mock.origin, path: '/v1/responses', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench-upstream-key-0000', accept: 'text/event-stream' }, mode: 'responses' },
    through: { origin: gw.origin, path: '/v1/messages?beta=true', headers: { 'content-type': 'application/json', 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01' }, mode: 'anthropic' },
    count: { origin: gw.origin, path: '/v1/messages/count_tokens?beta=true', headers: { 'content-type': 'application/json', 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01' }, mode: 'json' },
  };
}
