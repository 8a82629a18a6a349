// Shared set-up for the end-to-end tests: a mock Responses upstream, a real gateway in front of it, an
// official Anthropic SDK client pointed at the gateway, and small helpers for raw HTTP and SSE.
import Anthropic from '@anthropic-ai/sdk';
import { startMockUpstream, type MockUpstream, type MockUpstreamOptions, type RecordedRequest } from '../support/mock-upstream.ts';
import { startTestGateway, packycodeYaml, type TestGateway } from '../support/gateway.ts';
import { closeUpstreamPools } from '../../src/upstream/responses-client.ts';

export const CLIENT_KEY = 'test-client-key';
export const UPSTREAM_KEY = 'sk-test-upstream-key-1234';

export interface Harness {
  mock: MockUpstream;
  gw: TestGateway;
  client: Anthropic;
  /** POST a JSON body (or raw string) with the client key; reads the whole reply */
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<RawReply>;
  /** the body the mock received last */
  lastUpstream(): RecordedRequest;
  close(): Promise<void>;
}

export interface RawReply {
  status: number;
  headers: Headers;
  text: string;
  /** parsed JSON body, or undefined when it is not JSON */
  json: any;
}

export interface HarnessOptions {
  /** YAML appended after the packycode block of packybridge's test config (indent two spaces for packycode keys) */
  extraYaml?: string;
  /** the whole config.yaml, built from the mock's URL (wins over extraYaml) */
  yaml?: (mockUrl: string) => string;
  mock?: MockUpstreamOptions;
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const mock = await startMockUpstream({ apiKey: UPSTREAM_KEY, ...opts.mock });
  const yaml = opts.yaml ? opts.yaml(mock.url) : packycodeYaml(mock.url, opts.extraYaml ?? '');
  const gw = await startTestGateway(yaml);
  const client = new Anthropic({ baseURL: gw.url, apiKey: CLIENT_KEY, maxRetries: 0, timeout: 20_000 });
  return {
    mock,
    gw,
    client,
    post: (path, body, headers = {}) => rawRequest(`${gw.url}${path}`, 'POST', body, { 'x-api-key': CLIENT_KEY, ...headers }),
    lastUpstream() {
      const r = mock.requests[mock.requests.length - 1];
      if (!r) throw new Error('the mock upstream received no request');
      return r;
    },
    async close() {
      await gw.stop();
      await mock.close();
      await closeUpstreamPools(200);
    },
  };
}

export async function rawRequest(url: string, method: string, body?: unknown, headers: Record<string, string> = {}): Promise<RawReply> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const res = await fetch(url, init);
  const text = await res.text();
  let json: any;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}

export interface SseEvent { event: string; data: any }

/** Parses a whole text/event-stream body (pings included). */
export function parseSse(text: string): SseEvent[] {
  const out: SseEvent[] = [];
  for (const frame of text.split(/\n\n/)) {
    if (frame.trim() === '') continue;
    let event = 'message';
    const data: string[] = [];
    for (const line of frame.split('\n')) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
    }
    const joined = data.join('\n');
    let parsed: unknown = joined;
    try { parsed = JSON.parse(joined); } catch { /* keep the text */ }
    out.push({ event, data: parsed });
  }
  return out;
}

/** A minimal valid Messages request body. */
export function userRequest(text: string, extra: Record<string, unknown> = {}): Record<string, any> {
  return { model: 'gpt-5-codex', max_tokens: 1024, messages: [{ role: 'user', content: text }], ...extra };
}

/** metadata.user_id the way Claude Code 2.x sends it (a JSON string naming the session). */
export function claudeCodeUserId(sessionId: string): string {
  return JSON.stringify({ device_id: '0'.repeat(64), account_uuid: '', session_id: sessionId });
}

const FILLER = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliett', 'kilo', 'lima', 'mike', 'november'];

/** `n` characters of made-up prose (the project's own text, not a client's prompt). */
export function prose(n: number, seed = 0): string {
  let out = '';
  for (let i = seed; out.length < n; i++) out += `${FILLER[i % FILLER.length]}${i % 11 === 10 ? '.\n' : ' '}`;
  return out.slice(0, n);
}

export const BILLING_BLOCK = 'x-anthropic-billing-header: cc_version=9.9.9.test; cc_entrypoint=test;';

/**
 * A request shaped like Claude Code's (3 system blocks: billing header, a short one and a long one with
 * cache_control; ~24 tools with $schema and additionalProperties:false; a user turn with a reminder
 * block and the prompt; a mid-conversation system message), about `targetBytes` long.
 */
export function claudeCodeSizedRequest(prompt: string, opts: { targetBytes?: number; model?: string; stream?: boolean; sessionId?: string } = {}): Record<string, any> {
  const target = opts.targetBytes ?? 100_000;
  const toolNames = ['Agent', 'Bash', 'CronCreate', 'CronDelete', 'CronList', 'Edit', 'EnterWorktree', 'ExitWorktree', 'NotebookEdit', 'Read',
    'ReportFindings', 'ScheduleWakeup', 'SendMessage', 'Skill', 'TaskCreate', 'TaskGet', 'TaskList', 'TaskOutput', 'TaskStop', 'TaskUpdate',
    'WebFetch', 'WebSearch', 'Workflow', 'Write'];
  const perTool = Math.floor((target * 0.8) / toolNames.length);
  const tools = toolNames.map((name, i) => ({
    name,
    description: prose(perTool - 300, i * 7),
    input_schema: {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: {
        [name === 'Bash' ? 'command' : 'target']: { description: prose(80, i), type: 'string' },
        timeout: { description: 'Optional timeout in milliseconds', type: 'number' },
      },
      required: [name === 'Bash' ? 'command' : 'target'],
      additionalProperties: false,
    },
  }));
  const body: Record<string, any> = {
    model: opts.model ?? 'claude-opus-4-8',
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: `<system-reminder>\n${prose(600, 3)}\n</system-reminder>` },
          { type: 'text', text: prompt, cache_control: { type: 'ephemeral' } },
        ],
      },
      { role: 'system', content: prose(200, 5) },
    ],
    system: [
      { type: 'text', text: BILLING_BLOCK },
      { type: 'text', text: 'You are a command line coding assistant (test fixture).', cache_control: { type: 'ephemeral' } },
      { type: 'text', text: prose(Math.max(1000, Math.floor(target * 0.12)), 9), cache_control: { type: 'ephemeral' } },
    ],
    tools,
    metadata: { user_id: claudeCodeUserId(opts.sessionId ?? '7e57a5cd-0000-4000-8000-000000000001') },
    max_tokens: 64000,
    thinking: { type: 'adaptive' },
    context_management: { edits: [{ type: 'clear_thinking_20251015', keep: 'all' }] },
    output_config: { effort: 'high' },
  };
  if (opts.stream !== false) body.stream = true;
  return body;
}
