// Benchmark request bodies: a small request, a Claude-Code-shaped one (3 system blocks, 24 tools with
// $schema, a first user turn, ~76 KB) and a ~100 KB count_tokens request with a conversation history.
// All texts are generated (bench/text.ts). `salt` makes every system/tool text new (a cold count);
// `turn` changes only the messages (a warm count: system prompt and tools repeat).
import type { MessagesRequest, ToolDefinition, MessageParam } from '../src/wire/anthropic-request.ts';
import type { ResponsesRequest } from '../src/wire/responses-request.ts';
import { toResponsesRequest } from '../src/translate/request-to-responses.ts';
import { TextGen } from './text.ts';

export const BENCH_MODEL = 'claude-sonnet-4-5';
export const UPSTREAM_MODEL = 'gpt-5-codex';
const SESSION = '5d0c3f8e-1b7a-4c2e-9f00-b3e5c1a2d4f6';

/** Tool names and description lengths (characters), roughly the spread of a coding agent's tool set. */
const TOOLS: Array<[string, number]> = [
  ['Delegate', 2400], ['Shell', 2600], ['ScheduleCreate', 3900], ['ScheduleDelete', 300], ['ScheduleList', 180],
  ['EditFile', 850], ['WorktreeEnter', 3600], ['WorktreeExit', 2400], ['NotebookCell', 1500], ['ReadFile', 1500],
  ['ReportIssues', 1750], ['WakeLater', 3600], ['SendNote', 1050], ['RunSkill', 2000], ['TodoCreate', 2700],
  ['TodoGet', 900], ['TodoList', 1050], ['TodoOutput', 1450], ['TodoStop', 420], ['TodoUpdate', 3450],
  ['FetchUrl', 620], ['SearchWeb', 720], ['Pipeline', 19_500], ['WriteFile', 520],
];

function schema(g: TextGen, salt: string, nProps: number): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (let i = 0; i < nProps; i++) {
    const name = g.identifier();
    const kind = g.int(4);
    const description = `${salt}${g.sentence()}`;
    properties[name] = kind === 0 ? { description, type: 'number' }
      : kind === 1 ? { description, type: 'boolean' }
      : kind === 2 ? { description, type: 'array', items: { type: 'string' } }
      : { description, type: 'string' };
    if (g.int(2) === 0) required.push(name);
  }
  const s: Record<string, unknown> = { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', properties };
  if (required.length > 0) s.required = required;
  s.additionalProperties = false;
  return s;
}

function tools(g: TextGen, salt: string, scale: number): ToolDefinition[] {
  return TOOLS.map(([name, chars]) => ({
    name,
    description: salt + g.text(Math.round(chars * scale)),
    input_schema: schema(g, salt, 1 + g.int(5)),
  }));
}

function system(g: TextGen, salt: string, chars: number): MessagesRequest['system'] {
  return [
    { type: 'text', text: 'x-bench-header: v=1.0.0; entry=bench;' },
    { type: 'text', text: `${salt}You are a benchmark assistant that answers questions about a code base.`, cache_control: { type: 'ephemeral' } },
    { type: 'text', text: salt + g.text(chars), cache_control: { type: 'ephemeral' } },
  ];
}

function firstTurn(g: TextGen, turn: number): MessageParam[] {
  return [
    {
      role: 'user',
      content: [
        { type: 'text', text: `<system-reminder>\n${g.text(300)}\n</system-reminder>\n\n` },
        { type: 'text', text: `Question ${turn}: ${g.sentence()}`, cache_control: { type: 'ephemeral' } },
      ],
    },
    { role: 'system', content: g.text(1800) },
  ];
}

/** A history of tool round trips (assistant text + tool_use, user tool_result) up to about `chars`. */
function history(g: TextGen, turn: number, chars: number): MessageParam[] {
  const out: MessageParam[] = [];
  let size = 0;
  for (let i = 0; size < chars; i++) {
    const id = `toolu_bench_${turn}_${i}`;
    const output = g.text(Math.min(4000, chars - size + 100));
    out.push({ role: 'assistant', content: [{ type: 'text', text: g.sentence() }, { type: 'tool_use', id, name: 'Shell', input: { command: g.codeLine() } }] });
    out.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: output }] });
    size += output.length + 200;
  }
  out.push({ role: 'user', content: `Turn ${turn}: ${g.sentence()}` });
  return out;
}

export function smallRequest(): MessagesRequest {
  return { model: BENCH_MODEL, max_tokens: 1024, stream: true, messages: [{ role: 'user', content: 'Say hi in one short sentence.' }] };
}

export interface ClaudeCodeOptions {
  /** makes every system block and tool text unique (default ''): a request whose blocks were never seen */
  salt?: string;
  /** changes the messages only */
  turn?: number;
  /** extra history, in characters (count_tokens: makes the request ~100 KB) */
  historyChars?: number;
}

/** Claude Code's request shape: ~76 KB with the defaults. */
export function claudeCodeRequest(opts: ClaudeCodeOptions = {}): MessagesRequest {
  const salt = opts.salt ?? '';
  const turn = opts.turn ?? 0;
  const fixed = new TextGen(7); // system prompt and tools: the same for every turn of a session
  const varying = new TextGen(1000 + turn);
  const req: MessagesRequest = {
    model: BENCH_MODEL,
    messages: [...firstTurn(varying, turn), ...(opts.historyChars ? history(varying, turn, opts.historyChars) : [])],
    system: system(fixed, salt, 5600),
    tools: tools(fixed, salt, 0.89),
    metadata: { user_id: JSON.stringify({ device_id: '0'.repeat(64), account_uuid: '', session_id: SESSION }) },
    max_tokens: 64000,
    thinking: { type: 'adaptive' },
    stream: true,
  };
  const extra = req as unknown as Record<string, unknown>;
  extra.context_management = { edits: [{ type: 'clear_thinking_20251015', keep: 'all' }] };
  extra.output_config = { effort: 'high' };
  return req;
}

/**
 * A ~100 KB count_tokens body (Claude Code's /context sends model, system, tools, messages).
 * `followUp`: the conversation of turn 0 plus one new user message (a session's next request).
 */
export function countTokensRequest(opts: { salt?: string; turn?: number; followUp?: number } = {}): Record<string, unknown> {
  const full = claudeCodeRequest({ ...opts, historyChars: 23_000 });
  const messages = opts.followUp === undefined ? full.messages
    : [...full.messages, { role: 'user', content: `Follow-up ${opts.followUp}: ${new TextGen(5000 + opts.followUp).sentence()}` }];
  return { model: full.model, system: full.system, tools: full.tools, messages };
}

/** The Responses request packybridge sends upstream for `req` (the direct path's body, for fairness). */
export function upstreamBody(req: MessagesRequest): ResponsesRequest {
  return toResponsesRequest(req, {
    upstreamModel: UPSTREAM_MODEL, defaultEffort: 'medium', store: true, forwardSamplingParams: false,
  }).body;
}

/** Named bodies, as JSON text: what a load run sends. `i` varies cold bodies per request. */
export type BodyName = 'small' | 'cc76k' | 'small-direct' | 'cc76k-direct' | 'count-warm' | 'count-followup' | 'count-cold';

export function bodyText(name: BodyName, i = 0): string {
  switch (name) {
    case 'small': return JSON.stringify(smallRequest());
    case 'cc76k': return JSON.stringify(claudeCodeRequest());
    case 'small-direct': return JSON.stringify(upstreamBody(smallRequest()));
    case 'cc76k-direct': return JSON.stringify(upstreamBody(claudeCodeRequest()));
    case 'count-warm': return JSON.stringify(countTokensRequest({ turn: i }));
    case 'count-followup': return JSON.stringify(countTokensRequest({ turn: 0, followUp: i }));
    case 'count-cold': return JSON.stringify(countTokensRequest({ salt: `[s${i}-${process.pid}-${Date.now().toString(36)}] `, turn: i }));
  }
}
