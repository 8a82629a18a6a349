// Benchmark request bodies, in the shapes of the captured Claude Code requests (3 system blocks, 24 tools with
// $schema, metadata, thinking, context_management), sized like them: `cc76k` (the headless default model's
// 76 KB), `cc120k` (the 115-124 KB requests: a 26 KB system prompt, 82 KB of tools), `cc300k` (the 76 KB
// request grown turn by turn, one tool round trip a turn, until it passes 300 KB), `kb:<n>` (about n KB: the
// cost-growth table) and ~120 KB count_tokens bodies. All texts are generated (bench/text.ts): the shapes and
// sizes are the clients', the words are our own. `salt` makes every system/tool text new (a cold count);
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

function tools(g: TextGen, salt: string, scale: number, count = TOOLS.length): ToolDefinition[] {
  return TOOLS.slice(0, count).map(([name, chars]) => ({
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

/** One tool round trip of a growing session: assistant text + tool_use, then the tool_result (1-5 KB). Seeded
 *  by its index, so round i is the same bytes in every later request of the session. */
function roundTrip(i: number): MessageParam[] {
  const g = new TextGen(20_000 + i);
  const id = `toolu_round_${i}`;
  return [
    { role: 'assistant', content: [{ type: 'text', text: g.sentence() }, { type: 'tool_use', id, name: i % 3 === 0 ? 'ReadFile' : 'Shell', input: { command: g.codeLine() } }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: g.text(1000 + g.int(4000)) }] },
  ];
}

function roundTrips(n: number): MessageParam[] {
  const out: MessageParam[] = [];
  for (let i = 0; i < n; i++) out.push(...roundTrip(i));
  return out;
}

/** The 115-124 KB captured shape: a 26 KB system prompt and ~82 KB of tools. */
export function claudeCode120kRequest(opts: ClaudeCodeOptions = {}): MessagesRequest {
  return claudeCodeRequest({ systemChars: 26_000, toolScale: 1.32, ...opts });
}

/** The fewest round trips that take the 76 KB request past `bytes` (a session grown turn by turn). */
export function roundsFor(bytes: number): number {
  let n = 0;
  let size = JSON.stringify(claudeCodeRequest()).length;
  while (size < bytes) size += JSON.stringify(roundTrip(n++)).length + 2;
  return n;
}

/**
 * About `kb` KB in Claude Code's shape: below 76 KB fewer and shorter tools and a shorter system prompt,
 * above it the 76 KB request plus a grown conversation.
 */
export function sizedRequest(kb: number): MessagesRequest {
  const base = JSON.stringify(claudeCodeRequest()).length;
  if (kb * 1024 >= base) return claudeCodeRequest({ rounds: roundsFor(kb * 1024) });
  const at = (f: number): MessagesRequest => claudeCodeRequest({ systemChars: Math.round(5600 * f), toolScale: 0.89 * f, toolCount: Math.max(1, Math.round(24 * f)) });
  let f = (kb * 1024) / base;
  for (let i = 0; i < 4; i++) f *= (kb * 1024) / JSON.stringify(at(f)).length; // the first turn and schemas do not scale
  return at(f);
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
  /** the long system block's length (default 5,600 characters: the 76 KB request) */
  systemChars?: number;
  /** tool description length factor (default 0.89: the 76 KB request) and how many of the 24 tools */
  toolScale?: number;
  toolCount?: number;
  /** tool round trips appended after the first turn, each the same for every request that has it (a session
   *  growing turn by turn: request n carries rounds 0..n-1, the last one is new) */
  rounds?: number;
}

/** Claude Code's request shape: ~76 KB with the defaults. */
export function claudeCodeRequest(opts: ClaudeCodeOptions = {}): MessagesRequest {
  const salt = opts.salt ?? '';
  const turn = opts.turn ?? 0;
  const fixed = new TextGen(7); // system prompt and tools: the same for every turn of a session
  const varying = new TextGen(1000 + turn);
  const req: MessagesRequest = {
    model: BENCH_MODEL,
    messages: [
      ...firstTurn(varying, turn),
      ...(opts.historyChars ? history(varying, turn, opts.historyChars) : []),
      ...(opts.rounds ? roundTrips(opts.rounds) : []),
    ],
    system: system(fixed, salt, opts.systemChars ?? 5600),
    tools: tools(fixed, salt, opts.toolScale ?? 0.89, opts.toolCount),
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
 * A ~120 KB count_tokens body (Claude Code's /context sends model, system, tools, messages): the 76 KB shape
 * with a conversation of ~45 KB. `followUp`: the conversation of turn 0 plus one new user message (a session's
 * next request: only the last message is new).
 */
export function countTokensRequest(opts: { salt?: string; turn?: number; followUp?: number } = {}): Record<string, unknown> {
  const full = claudeCodeRequest({ ...opts, historyChars: 44_000 });
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

/**
 * Named bodies, as JSON text: what a load run sends. Messages requests: `small`, `cc76k`, `cc120k`, `cc300k`,
 * `kb:<n>`; with `-direct` appended, the Responses request packybridge sends upstream for the same one (the
 * direct floor: the mock parses the same conversation on both paths). count_tokens: `count-warm`,
 * `count-followup`, `count-cold`. `i` varies the count bodies per request.
 */
export type BodyName = string;

/** The Messages request a body name stands for (not the count_tokens ones). */
export function messagesRequestFor(name: string): MessagesRequest {
  if (name === 'small') return smallRequest();
  if (name === 'cc76k') return claudeCodeRequest();
  if (name === 'cc120k') return claudeCode120kRequest();
  if (name === 'cc300k') return claudeCodeRequest({ rounds: roundsFor(300 * 1024) });
  const kb = /^kb:(\d+(?:\.\d+)?)$/.exec(name);
  if (kb) return sizedRequest(Number(kb[1]));
  throw new Error(`unknown benchmark body "${name}" (small, cc76k, cc120k, cc300k, kb:<n>, each optionally -direct; count-warm, count-followup, count-cold)`);
}

export function bodyText(name: BodyName, i = 0): string {
  switch (name) {
    case 'count-warm': return JSON.stringify(countTokensRequest({ turn: i }));
    case 'count-followup': return JSON.stringify(countTokensRequest({ turn: 0, followUp: i }));
    case 'count-cold': return JSON.stringify(countTokensRequest({ salt: `[s${i}-${process.pid}-${Date.now().toString(36)}] `, turn: i }));
  }
  if (name.endsWith('-direct')) return JSON.stringify(upstreamBody(messagesRequestFor(name.slice(0, -'-direct'.length))));
  return JSON.stringify(messagesRequestFor(name));
}
