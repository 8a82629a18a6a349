// Request validation for /v1/messages and /v1/messages/count_tokens. Unknown keys pass through. As strict as
// Anthropic on what it rejects (max_tokens required and a positive integer, integer fields, custom tool names and
// input_schema type, tool_use/tool_result pairing and placement), never stricter on what Claude Code sends (every
// captured request passes: test/wire/captured-requests-validate.test.ts). Nulls for optional fields are accepted.
// A tool's input_schema beyond its top-level type, and tool_use input, are not deep-validated.
// Errors name the path and what was expected: `messages.2.content.0.type: unknown content block type "foo"`.
import { z } from 'zod';
import type { CountTokensRequest, MessageParam, MessagesRequest } from './anthropic-request.ts';
import { SERVER_BLOCK_TYPES } from './anthropic-request.ts';
import { MAX_JSON_NESTING, tooDeepPath } from './json-depth.ts';
import { isCheckedMessage, markCheckedMessages } from './checked-messages.ts';

/** Longest model name accepted (Anthropic's and OpenAI's are under 64 characters). */
export const MAX_MODEL_NAME = 256;
// control, format, surrogate, private-use and unassigned characters, and line/paragraph separators
const NON_PRINTABLE = /[\p{C}\u2028\u2029]/u;

const modelName = z.string().min(1).check((ctx) => {
  const v = ctx.value;
  if (v.length > MAX_MODEL_NAME) {
    ctx.issues.push({ code: 'custom', input: '', message: `is ${v.length} characters long; a model name has at most ${MAX_MODEL_NAME} (e.g. claude-sonnet-4-5 or gpt-5-codex)` });
  } else if (NON_PRINTABLE.test(v)) {
    ctx.issues.push({ code: 'custom', input: '', message: 'contains control or non-printable characters; send a model name such as claude-sonnet-4-5 or gpt-5-codex' });
  }
});

const cacheControl = z.looseObject({ type: z.string() }).nullish();

const textBlock = z.looseObject({ type: z.literal('text'), text: z.string(), cache_control: cacheControl });

const imageSource = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('base64'), media_type: z.string(), data: z.string() }),
  z.looseObject({ type: z.literal('url'), url: z.string() }),
  z.looseObject({ type: z.literal('file'), file_id: z.string() }),
]);
const imageBlock = z.looseObject({ type: z.literal('image'), source: imageSource, cache_control: cacheControl });

const documentSource = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('base64'), media_type: z.string(), data: z.string() }),
  z.looseObject({ type: z.literal('url'), url: z.string() }),
  z.looseObject({ type: z.literal('text'), media_type: z.string().optional(), data: z.string() }),
  z.looseObject({ type: z.literal('content'), content: z.union([z.string(), z.array(z.discriminatedUnion('type', [textBlock, imageBlock]))]) }),
  z.looseObject({ type: z.literal('file'), file_id: z.string() }),
]);
const documentBlock = z.looseObject({
  type: z.literal('document'),
  source: documentSource,
  title: z.string().nullish(),
  context: z.string().nullish(),
  cache_control: cacheControl,
});

const searchResultBlock = z.looseObject({
  type: z.literal('search_result'),
  source: z.string(),
  title: z.string(),
  content: z.array(textBlock),
});

const serverBlocks = SERVER_BLOCK_TYPES.map((t) => z.looseObject({ type: z.literal(t) }));

const toolResultInner = z.discriminatedUnion('type', [textBlock, imageBlock, documentBlock, searchResultBlock, ...serverBlocks]);

const toolUseBlock = z.looseObject({
  type: z.literal('tool_use'),
  id: z.string().min(1),
  name: z.string().min(1),
  input: z.unknown().optional(),
  cache_control: cacheControl,
});
const toolResultBlock = z.looseObject({
  type: z.literal('tool_result'),
  tool_use_id: z.string().min(1),
  content: z.union([z.string(), z.array(toolResultInner)]).nullish(),
  is_error: z.boolean().nullish(),
  cache_control: cacheControl,
});
const thinkingBlock = z.looseObject({ type: z.literal('thinking'), thinking: z.string(), signature: z.string().nullish() });
const redactedThinkingBlock = z.looseObject({ type: z.literal('redacted_thinking'), data: z.string() });

const contentBlock = z.discriminatedUnion('type', [
  textBlock, imageBlock, documentBlock, toolUseBlock, toolResultBlock, thinkingBlock, redactedThinkingBlock,
  searchResultBlock, ...serverBlocks,
]);

const message = z.looseObject({
  role: z.enum(['user', 'assistant', 'system']),
  content: z.union([z.string(), z.array(contentBlock)]),
});

const system = z.union([z.string(), z.array(textBlock)]).nullish();

/** Anthropic's pattern for a custom tool's name (the documented limit was 64 characters; 128 is accepted). */
export const TOOL_NAME = /^[a-zA-Z0-9_-]{1,128}$/;

const tool = z.looseObject({
  name: z.string().min(1),
  description: z.string().nullish(),
  input_schema: z.record(z.string(), z.unknown()).nullish(),
  type: z.string().nullish(),
}).check((ctx) => {
  const t = ctx.value;
  if (t.type !== undefined && t.type !== null && t.type !== 'custom') return; // server tools have their own shapes
  if (!TOOL_NAME.test(t.name)) {
    ctx.issues.push({
      code: 'custom', input: '', path: ['name'],
      message: `${quoted(t.name)} is not a valid tool name: use 1 to 128 letters, digits, "_" or "-" (^[a-zA-Z0-9_-]{1,128}$)`,
    });
  }
  const schema = t.input_schema;
  if (schema === undefined || schema === null) {
    ctx.issues.push({ code: 'custom', input: '', path: ['input_schema'], message: 'required for a custom tool: a JSON Schema object such as {"type": "object", "properties": {...}}' });
  } else if (schema.type !== 'object') {
    ctx.issues.push({
      code: 'custom', input: '', path: ['input_schema', 'type'],
      message: `a tool's input_schema must be an object schema: expected "object", received ${schema.type === undefined ? 'nothing' : quoted(schema.type)}`,
    });
  }
});

const toolChoice = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('auto'), disable_parallel_tool_use: z.boolean().nullish() }),
  z.looseObject({ type: z.literal('any'), disable_parallel_tool_use: z.boolean().nullish() }),
  z.looseObject({ type: z.literal('none') }),
  z.looseObject({ type: z.literal('tool'), name: z.string().min(1), disable_parallel_tool_use: z.boolean().nullish() }),
]);

const thinking = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('enabled'), budget_tokens: z.number().int() }),
  z.looseObject({ type: z.literal('adaptive') }),
  z.looseObject({ type: z.literal('disabled') }),
]);

const common = {
  model: modelName,
  messages: z.array(message),
  system,
  tools: z.array(tool).nullish(),
  tool_choice: toolChoice.nullish(),
  thinking: thinking.nullish(),
};

const messagesRequest = z.looseObject({
  ...common,
  messages: z.array(message).min(1),
  max_tokens: z.number().int().min(1),
  stream: z.boolean().nullish(),
  temperature: z.number().min(0).max(1).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  top_k: z.number().int().min(0).nullish(),
  stop_sequences: z.array(z.string()).nullish(),
  metadata: z.looseObject({ user_id: z.string().nullish() }).nullish(),
  output_config: z.looseObject({ effort: z.string().nullish(), format: z.looseObject({ type: z.string() }).nullish() }).nullish(),
});

const countTokensRequest = z.looseObject(common);

// ---- error messages ----

type Issue = z.core.$ZodIssue;
type Path = PropertyKey[];

const DISCRIMINATOR_KIND: Record<string, string> = {
  content: 'content block type',
  source: 'source type',
  tool_choice: 'tool_choice type',
  thinking: 'thinking type',
};

const EXPECTED_NAME: Record<string, string> = { record: 'object', nonoptional: 'a value' };

/** What a required field must be, said in full where a type name is too little. */
const REQUIRED_HINT: Record<string, string> = {
  max_tokens: 'expected a positive integer: the most tokens the reply may have (such as 1024)',
};

function valueAt(root: unknown, path: Path): unknown {
  let v = root;
  for (const key of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function pathText(path: Path): string {
  return path.length === 0 ? '(body)' : path.map(String).join('.');
}

/** A client's value quoted in a message, cut short: error messages never echo a huge value back. */
function quoted(value: unknown): string {
  const s = JSON.stringify(value) ?? String(value);
  return s.length > 80 ? `${s.slice(0, 80)}… (${s.length} characters)` : s;
}

/** A path quoted in a message: its first segments, each cut short. */
function shortPath(path: Path): string {
  const shown = path.slice(0, 12).map((k) => (String(k).length > 40 ? `${String(k).slice(0, 40)}…` : String(k)));
  return path.length > 12 ? `${shown.join('.')}.… (${path.length} levels)` : shown.join('.');
}

/** Which kind of thing a discriminator sits in, named by the nearest non-index key of its path. */
function discriminatorKind(path: Path): string {
  for (let i = path.length - 1; i >= 0; i--) {
    const key = path[i];
    if (typeof key === 'number' || key === 'type') continue;
    return DISCRIMINATOR_KIND[String(key)] ?? `${String(key)} type`;
  }
  return 'type';
}

/** The issue that says most: inside a union, the branch that got furthest (not a top-level type mismatch). */
function deepest(issue: Issue, base: Path): { issue: Issue; path: Path } {
  const path = [...base, ...issue.path];
  if (issue.code !== 'invalid_union' || !('errors' in issue) || issue.errors.length === 0) return { issue, path };
  let best: { issue: Issue; path: Path } | undefined;
  for (const branch of issue.errors) {
    for (const inner of branch) {
      const candidate = deepest(inner, path);
      if (!best || candidate.path.length > best.path.length) best = candidate;
    }
  }
  // every branch failed on the value's own type: say which types would do
  if (best && best.path.length === path.length && best.issue.code === 'invalid_type') {
    const expected = issue.errors
      .flatMap((b) => b.map((i) => (i.code === 'invalid_type' ? EXPECTED_NAME[i.expected] ?? i.expected : undefined)))
      .filter(Boolean);
    return { issue: { ...best.issue, message: `expected ${[...new Set(expected)].join(' or ')}` }, path };
  }
  return best ?? { issue, path };
}

function issueMessage(issue: Issue, path: Path, body: unknown): string {
  const at = pathText(path);
  if (issue.code === 'invalid_union' && 'note' in issue && issue.note === 'No matching discriminator') {
    const value = valueAt(body, path);
    const kind = discriminatorKind(path);
    if (value === undefined) return `${at}: missing, expected a ${kind}`;
    return `${at}: unknown ${kind} ${quoted(value)}`;
  }
  const value = valueAt(body, path);
  switch (issue.code) {
    case 'invalid_type': {
      const expected = issue.message.startsWith('expected ') ? issue.message : `expected ${EXPECTED_NAME[issue.expected] ?? issue.expected}`;
      // JSON numbers beyond double range (1e400) parse as Infinity
      if (typeof value === 'number' && !Number.isFinite(value)) return `${at}: the number is too large (beyond ±1.8e308); send a finite number`;
      if (issue.expected === 'int' && typeof value === 'number') return `${at}: expected an integer, received ${quoted(value)}`;
      const hint = REQUIRED_HINT[at];
      if (hint) return value === undefined ? `${at}: required, ${hint}` : `${at}: ${hint}, received ${quoted(value)}`;
      return value === undefined ? `${at}: required, ${expected}` : `${at}: ${expected}, received ${describe(value)}`;
    }
    case 'too_small':
      if (issue.origin === 'string') return `${at}: expected a non-empty string`;
      if (issue.origin === 'array') return `${at}: expected at least ${String(issue.minimum)} item${issue.minimum === 1 ? '' : 's'}, received none`;
      if (issue.origin === 'number') return `${at}: expected a number ${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}, received ${quoted(value)}`;
      return `${at}: ${issue.message}`;
    case 'too_big':
      if (issue.origin === 'number') return `${at}: expected a number ${issue.inclusive ? '<=' : '<'} ${String(issue.maximum)}, received ${quoted(value)}`;
      return `${at}: ${issue.message}`;
    case 'invalid_value':
      if (value === undefined) {
        return `${at}: required, expected ${issue.values.length === 1 ? '' : 'one of '}${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
      }
      return issue.values.length === 1
        ? `${at}: expected ${JSON.stringify(issue.values[0])}, received ${quoted(value)}`
        : `${at}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, received ${quoted(value)}`;
    default:
      return `${at}: ${issue.message}`;
  }
}

function formatError(error: z.ZodError, body: unknown): string {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const issue of error.issues) {
    const { issue: best, path } = deepest(issue, []);
    const line = issueMessage(best, path, body);
    if (!seen.has(line)) {
      seen.add(line);
      lines.push(line);
    }
    if (lines.length === 3) break;
  }
  return lines.join('; ');
}

export type Validation<T> = { ok: true; value: T } | { ok: false; message: string };

/** Checks `body` against `schema`; the message names the path and what was expected (used by the OpenAI routes too). */
export function validate<T>(schema: z.ZodType, body: unknown, checkedKeys?: readonly string[]): Validation<T> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, message: `the request body must be a JSON object (such as {"model": ..., "messages": [...]}), received a JSON ${describe(body)}` };
  }
  const deep = tooDeepPath(body, MAX_JSON_NESTING, checkedKeys);
  if (deep) {
    return { ok: false, message: `${shortPath(deep)}: nested more than ${MAX_JSON_NESTING} levels deep (arrays and objects inside each other); send flatter JSON` };
  }
  const result = schema.safeParse(body);
  // the schemas only check (no defaults, no transforms), so the body itself is the valid value: zod's copy of
  // it (as large as the request) is left to the young generation instead of living as long as the request
  if (result.success) return { ok: true, value: body as T };
  return { ok: false, message: formatError(result.error, body) };
}

/**
 * Anthropic's rules for tool_use and tool_result across messages (consecutive messages of one role are one turn,
 * as Anthropic merges them; `system` messages do not break a turn): every tool_use id is unique; every tool_result
 * answers a tool_use of the assistant turn just before its user turn, once; in a user message tool_result blocks
 * come before any other block; an assistant turn's tool_use blocks are all answered by the next user turn.
 * Returns the first problem found, naming its path.
 */
export function toolPairingProblem(messages: readonly MessageParam[]): string | undefined {
  const useIds = new Set<string>();
  const answered = new Set<string>();
  let previousAssistant: { index: number; ids: Set<string> } | undefined; // the assistant turn before this user turn
  let currentAssistant: { index: number; ids: Set<string> } | undefined;
  let answeredHere = new Set<string>(); // ids the current user turn answered
  const unanswered = (turn: { index: number; ids: Set<string> }) => [...turn.ids].filter((id) => !answeredHere.has(id));
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    if (m.role === 'assistant') {
      if (!currentAssistant) {
        if (previousAssistant) {
          const missing = unanswered(previousAssistant);
          if (missing.length > 0) return toolUseWithoutResult(previousAssistant.index, missing);
        }
        currentAssistant = { index: i, ids: new Set() };
        answeredHere = new Set();
      }
      if (typeof m.content === 'string') continue;
      for (let j = 0; j < m.content.length; j++) {
        const b = m.content[j];
        if (b.type !== 'tool_use') continue;
        if (useIds.has(b.id)) return `messages.${i}.content.${j}.id: tool_use ids must be unique; ${quoted(b.id)} is used by an earlier tool_use block`;
        useIds.add(b.id);
        currentAssistant.ids.add(b.id);
      }
      continue;
    }
    if (currentAssistant) { // a user (or system) turn begins
      previousAssistant = currentAssistant;
      currentAssistant = undefined;
      answeredHere = new Set();
    }
    if (m.role !== 'user' || typeof m.content === 'string') continue;
    let other = -1; // the first block that is not a tool_result
    for (let j = 0; j < m.content.length; j++) {
      const b = m.content[j];
      if (b.type !== 'tool_result') {
        if (other < 0) other = j;
        continue;
      }
      const at = `messages.${i}.content.${j}`;
      if (other >= 0) {
        return `${at}: tool_result blocks must come first in a user message, before any other block (messages.${i}.content.${other} is a ${m.content[other].type} block)`;
      }
      const id = b.tool_use_id;
      if (!previousAssistant?.ids.has(id)) {
        const where = previousAssistant ? `the previous assistant message (messages.${previousAssistant.index})` : 'a previous assistant message (there is none)';
        return `${at}.tool_use_id: ${quoted(id)} answers no tool_use block of ${where}; each tool_result must answer a tool_use of the assistant message just before it`;
      }
      if (answered.has(id)) return `${at}.tool_use_id: ${quoted(id)} is answered by an earlier tool_result block; each tool_use gets exactly one tool_result`;
      answered.add(id);
      answeredHere.add(id);
    }
  }
  // the last user turn must answer the tool_use blocks before it too
  if (!currentAssistant && previousAssistant) {
    const missing = unanswered(previousAssistant);
    if (missing.length > 0) return toolUseWithoutResult(previousAssistant.index, missing);
  }
  return undefined;
}

function toolUseWithoutResult(index: number, ids: string[]): string {
  const shown = ids.slice(0, 3).map((id) => quoted(id)).join(', ') + (ids.length > 3 ? ` and ${ids.length - 3} more` : '');
  return `messages.${index}: tool_use blocks without a tool_result in the next user message: ${shown}; answer every tool_use of an assistant message with a tool_result at the start of the user message after it`;
}

function withToolPairing<T extends { messages: MessageParam[] }>(v: Validation<T>): Validation<T> {
  if (!v.ok) return v;
  const problem = toolPairingProblem(v.value.messages);
  return problem === undefined ? v : { ok: false, message: problem };
}

/**
 * Fields already checked: the top-level keys of a tail a whole body passed `validFor` with (the same values,
 * shared: repeated-tail.ts). Every field is checked on its own (no rule spans two top-level fields but the tool
 * pairing, which looks at messages only), so a field that passed once passes again.
 */
export interface CheckedFields {
  readonly keys: readonly string[];
  readonly validFor: Set<string>;
}

type RequestSchema = typeof messagesRequest | typeof countTokensRequest;

/** Schemas with some fields taken as checked, by name and keys (a handful: one per tail shape a client sends). */
const trusting = new Map<string, z.ZodType>();

function trustingSchema(name: string, schema: RequestSchema, keys: readonly string[]): z.ZodType {
  const id = `${name}\0${keys.join('\0')}`;
  let s = trusting.get(id);
  if (s === undefined) {
    s = schema.extend(Object.fromEntries(keys.map((k) => [k, k === 'messages' ? z.array(z.unknown()) : z.unknown()])));
    if (trusting.size < 256) trusting.set(id, s);
  }
  return s;
}

/**
 * When some messages were checked before (checked-messages.ts): the other fields and only the new messages are
 * checked. Undefined when there are none, or when anything fails: the whole check then runs and words the error.
 */
function validateNewMessages<T>(name: string, schema: RequestSchema, body: unknown, checked: CheckedFields | undefined): Validation<T> | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const messages = (body as { messages?: unknown }).messages;
  if (!Array.isArray(messages) || !messages.some(isCheckedMessage)) return undefined;
  const tailChecked = checked !== undefined && checked.keys.length > 0 && checked.validFor.has(name);
  const keys = tailChecked ? [...checked.keys, 'messages'] : ['messages'];
  if (tooDeepPath(body, MAX_JSON_NESTING, keys)) return undefined;
  for (const m of messages) {
    if (isCheckedMessage(m)) continue;
    // a message is at level 3 (the body, its messages array, the message)
    if (tooDeepPath(m, MAX_JSON_NESTING - 2) || !message.safeParse(m).success) return undefined;
  }
  if (!trustingSchema(name, schema, keys).safeParse(body).success) return undefined;
  if (checked !== undefined && checked.keys.length > 0) checked.validFor.add(name); // its fields passed here
  return { ok: true, value: body as T };
}

function validateTrusting<T>(name: string, schema: RequestSchema, body: unknown, checked: CheckedFields | undefined): Validation<T> {
  const v = validateNewMessages<T>(name, schema, body, checked) ?? validateTail<T>(name, schema, body, checked);
  if (v.ok) markCheckedMessages((body as { messages?: unknown }).messages);
  return v;
}

function validateTail<T>(name: string, schema: RequestSchema, body: unknown, checked: CheckedFields | undefined): Validation<T> {
  if (checked === undefined || checked.keys.length === 0) return validate<T>(schema, body);
  if (!checked.validFor.has(name)) {
    const v = validate<T>(schema, body);
    if (v.ok) checked.validFor.add(name);
    return v;
  }
  return validate<T>(trustingSchema(name, schema, checked.keys), body, checked.keys);
}

export function validateMessagesRequest(body: unknown, checked?: CheckedFields): { ok: true; value: MessagesRequest } | { ok: false; message: string } {
  return withToolPairing(validateTrusting<MessagesRequest>('messages', messagesRequest, body, checked));
}

export function validateCountTokensRequest(body: unknown, checked?: CheckedFields): { ok: true; value: CountTokensRequest } | { ok: false; message: string } {
  return withToolPairing(validateTrusting<CountTokensRequest>('count_tokens', countTokensRequest, body, checked));
}
