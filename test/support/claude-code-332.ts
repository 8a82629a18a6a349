// A small harness for the end-to-end tests with the newest Claude Code (the `claude-code-2.1.332` alias): the
// mock upstream with its default handler (every scenario it emits is kept), a real gateway, and `claude -p`.
import { startMockUpstream } from './mock-upstream.ts';
import type { MockUpstream, RecordedRequest } from './mock-upstream.ts';
import { createDefaultHandler } from './mock-default-handler.ts';
import type { Scenario } from './response-scenarios.ts';
import { startTestGateway, packycodeYaml } from './gateway.ts';
import type { TestGateway } from './gateway.ts';
import { claudePlatformKey, describeRun, findClaudeBinary, runClaude } from './claude-cli.ts';
import type { ClaudeRun, RunClaudeOptions } from './claude-cli.ts';

export const CLAUDE_CODE_332 = 'claude-code-2.1.332';
export const CLIENT_KEY = 'test-client-key'; // in packycodeYaml's api-keys
export const UPSTREAM_KEY = 'sk-test-upstream-key-1234';

export const bin332 = findClaudeBinary(process.cwd(), '2.1.332');
/** linux-x64 is CI's platform: there a missing binary is a failure, never a silent skip. */
export const skip332: string | false = bin332 === undefined && claudePlatformKey() !== 'linux-x64'
  ? `Claude Code 2.1.332's native binary is not installed for ${claudePlatformKey()}; real-client tests skipped`
  : false;

export interface Emitted { request: RecordedRequest; scenario: Scenario }

type Json = Record<string, any>;

/** The tools and input items a request sent upstream (empty when absent). */
export const toolsOf = (r: RecordedRequest): Json[] => (Array.isArray(r.body?.tools) ? r.body.tools : []);
export const inputOf = (r: RecordedRequest): Json[] => (Array.isArray(r.body?.input) ? r.body.input : []);

/** No upstream request carried the deferred-tool placeholder or a defer_loading key. */
export function noDeferredMarkers(requests: RecordedRequest[]): boolean {
  return requests.every((r) => !toolsOf(r).some((t) => t.name === 'DeferredToolPlaceholder' || 'defer_loading' in t));
}

export interface Session332 {
  mock: MockUpstream;
  gw: TestGateway;
  /** every scenario the mock answered with, and its request */
  emitted: Emitted[];
  claude(prompt: string, extra?: Partial<RunClaudeOptions>): Promise<ClaudeRun>;
  /** the run and what the upstream saw, for assertion messages (request shapes only: no prompt texts) */
  account(run: ClaudeRun): string;
  reset(): void;
  stop(): Promise<void>;
}

export async function startSession332(): Promise<Session332> {
  if (bin332 === undefined) throw new Error(`${CLAUDE_CODE_332} is not installed: run npm ci (with optional dependencies)`);
  const defaults = createDefaultHandler();
  const emitted: Emitted[] = [];
  const mock = await startMockUpstream({
    apiKey: UPSTREAM_KEY,
    handler: (request) => {
      const scenario = defaults(request);
      emitted.push({ request, scenario });
      return scenario;
    },
  });
  const gw = await startTestGateway(packycodeYaml(mock.url));
  return {
    mock, gw, emitted,
    claude: (prompt, extra = {}) => runClaude({ bin: bin332!, prompt, baseUrl: gw.url, apiKey: CLIENT_KEY, timeoutMs: 90_000, outputFormat: 'stream-json', ...extra }),
    account(run) {
      const shape = (r: RecordedRequest): string => {
        const tools = Array.isArray(r.body?.tools) ? (r.body.tools as Array<{ type?: string; name?: string }>).map((t) => t.name ?? t.type).join(',') : '';
        const input = Array.isArray(r.body?.input) ? (r.body.input as Array<{ type?: string; role?: string }>).map((i) => i.type ?? i.role).join(',') : '';
        return `${r.path} tools=[${tools}] input=[${input}]`;
      };
      return `${describeRun(run)}\n--- upstream saw ---\n${mock.requests.map(shape).join('\n') || '(nothing)'}`;
    },
    reset() {
      mock.reset();
      emitted.length = 0;
    },
    async stop() {
      await gw.stop();
      await mock.close();
    },
  };
}
