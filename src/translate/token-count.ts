// Local token counting for /v1/messages/count_tokens: o200k over exactly what would be sent upstream
// (the same conversion as the real request), plus small per-item overheads; images and PDFs estimated
// (see media-tokens.ts). Counts are memoised per text in a bounded LRU: Claude Code resends its ~100 KB
// system prompt and tools with every request, so a warm count only tokenises what is new.
import { createRequire } from 'node:module';
import type { CountTokensRequest } from '../wire/anthropic-request.ts';
import type { FunctionTool, InputContent, InputItem } from '../wire/responses-request.ts';
import { convertInput } from './convert-messages.ts';
import { collectToolNames, convertTools } from './convert-tools.ts';
import { loadedTools } from './deferred-tools.ts';
import { buildToolNameMap } from './tool-names.ts';
import { imageTokens, pdfTokens } from './media-tokens.ts';

const NO_SPECIAL = { disallowedSpecial: new Set<string>() }; // `<|endoftext|>` in a prompt is just text

type O200k = typeof import('gpt-tokenizer/encoding/o200k_base');
type SplitParams = typeof import('gpt-tokenizer/encodingParams/constants');
// The o200k tables cost ~40 MB of memory: loaded on the first count (about 150 ms once), not at start-up.
let o200k: { countTokens: O200k['countTokens']; split: RegExp } | undefined;
function loadO200k(): NonNullable<typeof o200k> {
  const require = createRequire(import.meta.url);
  const { countTokens } = require('gpt-tokenizer/encoding/o200k_base') as O200k;
  const { O200K_TOKEN_SPLIT_REGEX: re } = require('gpt-tokenizer/encodingParams/constants') as SplitParams;
  return { countTokens, split: new RegExp(re.source, `${re.flags.replace('g', '')}y`) }; // our own sticky copy: test() moves lastIndex
}

// o200k counts each piece of its pre-tokenisation (the split regex) on its own, and a piece, counted alone,
// splits into itself, so a text's count is the sum of its pieces' counts (the tests check this against the
// library on a table of texts). Pieces repeat far more than texts do (words, indentation, punctuation), and
// the library's own path costs one or two lookups in its 200,000-entry rank map per piece: a small cache of
// piece -> count in two generations (the older dropped as a whole when the newer fills) makes new text about
// three times faster to count.
const PIECE_GENERATION = 32_768;
const MAX_PIECE = 64;
let pieces = new Map<string, number>();
let olderPieces = new Map<string, number>();

/** o200k token count of a text, as gpt-tokenizer's countTokens gives it (special tokens counted as text). */
export function o200kTokens(text: string): number {
  const { countTokens, split } = (o200k ??= loadO200k());
  let total = 0;
  let at = 0;
  // The split regex matches every character (letters, digits, whitespace, everything else), so its pieces
  // tile the text: a sticky test() from where the last piece ended finds the next one without a match array.
  split.lastIndex = 0;
  while (at < text.length && split.test(text)) {
    const end = split.lastIndex;
    const piece = text.slice(at, end);
    at = end;
    let n = pieces.get(piece);
    if (n === undefined) {
      n = olderPieces.get(piece) ?? countTokens(piece, NO_SPECIAL);
      if (piece.length > MAX_PIECE) {
        total += n; // a run of spaces or a long base64 word: not worth keeping
        continue;
      }
      pieces.set(piece, n);
      if (pieces.size >= PIECE_GENERATION) {
        olderPieces = pieces;
        pieces = new Map();
      }
    }
    total += n;
  }
  // not reached for any text the tests know of; if the regex ever stopped short, the library counts the rest
  if (at < text.length) total += countTokens(text.slice(at), NO_SPECIAL);
  return total;
}

/** Overheads, in tokens (close to OpenAI's chat framing: role and separators per message). */
export const REQUEST_OVERHEAD = 3;
export const MESSAGE_OVERHEAD = 4;
export const ITEM_OVERHEAD = 4;       // function_call, function_call_output, reasoning
export const TOOL_OVERHEAD = 8;       // per function definition
export const TOOLS_OVERHEAD = 12;     // the tools section, when there are tools

export interface TokenCounterOptions {
  /** most memoised texts kept (default 4096) */
  maxEntries?: number;
  /** most characters of memoised texts kept (default 8,000,000), bounds memory */
  maxChars?: number;
}

export class TokenCounter {
  readonly #memo = new Map<string, number>();
  readonly #maxEntries: number;
  readonly #maxChars: number;
  #chars = 0;

  constructor(opts: TokenCounterOptions = {}) {
    this.#maxEntries = Math.max(1, opts.maxEntries ?? 4096);
    this.#maxChars = Math.max(1, opts.maxChars ?? 8_000_000);
  }

  /** Number of memoised texts (for tests and metrics). */
  get size(): number {
    return this.#memo.size;
  }

  /** Whether a text's count is memoised (does not touch the LRU order). */
  has(s: string): boolean {
    return this.#memo.has(s);
  }

  count(req: CountTokensRequest): number {
    try {
      return this.#countRequest(req);
    } catch {
      // never fail a count: a rough 4-characters-per-token estimate instead
      try {
        return Math.ceil((JSON.stringify(req)?.length ?? 0) / 4);
      } catch {
        return 0;
      }
    }
  }

  /** o200k token count of one text, memoised. */
  text(s: string): number {
    if (s === '') return 0;
    const hit = this.#memo.get(s);
    if (hit !== undefined) {
      this.#memo.delete(s);
      this.#memo.set(s, hit);
      return hit;
    }
    const n = o200kTokens(s);
    this.#remember(s, n);
    return n;
  }

  #remember(s: string, n: number): void {
    if (s.length > this.#maxChars) return;
    this.#memo.set(s, n);
    this.#chars += s.length;
    while (this.#memo.size > this.#maxEntries || this.#chars > this.#maxChars) {
      const oldest = this.#memo.keys().next().value as string;
      this.#memo.delete(oldest);
      this.#chars -= oldest.length;
    }
  }

  #countRequest(req: CountTokensRequest): number {
    const messages = req.messages ?? [];
    const visible = loadedTools(req.tools, messages);
    const names = buildToolNameMap(collectToolNames(visible, messages, req.tool_choice));
    let total = REQUEST_OVERHEAD;
    for (const item of convertInput(req.system, messages, names)) total += this.#item(item);
    const tools = convertTools(visible, names);
    if (tools.length > 0) total += TOOLS_OVERHEAD;
    for (const tool of tools) total += this.#tool(tool);
    return total;
  }

  #item(item: InputItem): number {
    switch (item.type) {
      case 'message': {
        let n = MESSAGE_OVERHEAD;
        for (const part of item.content) n += this.#part(part);
        return n;
      }
      case 'function_call':
        return ITEM_OVERHEAD + this.text(item.name) + this.text(item.arguments);
      case 'function_call_output': {
        if (typeof item.output === 'string') return ITEM_OVERHEAD + this.text(item.output);
        let n = ITEM_OVERHEAD;
        for (const part of item.output) n += this.#part(part);
        return n;
      }
      case 'reasoning': {
        let n = ITEM_OVERHEAD;
        for (const s of item.summary) n += this.text(s.text);
        return n;
      }
      default:
        return 0;
    }
  }

  #part(part: InputContent): number {
    switch (part.type) {
      case 'input_text':
      case 'output_text':
        return this.text(part.text);
      case 'input_image':
        return this.#media('img', part.image_url, imageTokens);
      case 'input_file':
        return part.file_data !== undefined ? this.#media('pdf', part.file_data, pdfTokens) : pdfTokens(undefined);
      default:
        return 0;
    }
  }

  /** Media estimates memoised under a short key (length + ends), not the whole payload. */
  #media(kind: string, url: string | undefined, estimate: (url: string | undefined) => number): number {
    if (url === undefined || url.length < 256) return estimate(url);
    const key = `\u0000${kind}:${url.length}:${url.slice(0, 96)}:${url.slice(-64)}`;
    const hit = this.#memo.get(key);
    if (hit !== undefined) return hit;
    const n = estimate(url);
    this.#remember(key, n);
    return n;
  }

  #tool(tool: FunctionTool): number {
    return TOOL_OVERHEAD + this.text(tool.name) + this.text(tool.description ?? '') + this.text(JSON.stringify(tool.parameters));
  }
}
