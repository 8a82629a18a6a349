import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import {
  TokenCounter, o200kTokens, ITEM_OVERHEAD, MESSAGE_OVERHEAD, REQUEST_OVERHEAD, TOOL_OVERHEAD, TOOLS_OVERHEAD,
} from '../../src/translate/token-count.ts';
import { PDF_TOKENS_PER_PAGE, UNKNOWN_IMAGE_TOKENS } from '../../src/translate/media-tokens.ts';
import type { CountTokensRequest } from '../../src/wire/anthropic-request.ts';
import { sharedFixture } from '../support/shared-fixtures.ts';

const tok = (s: string) => countTokens(s);
const req = (r: Partial<CountTokensRequest>): CountTokensRequest => ({ model: 'gpt-5-codex', messages: [], ...r });

function pngBase64(width: number, height: number): string {
  const b = Buffer.alloc(33);
  b.writeUInt32BE(0x89504e47, 0);
  b.writeUInt32BE(0x0d0a1a0a, 4);
  b.writeUInt32BE(13, 8);
  b.write('IHDR', 12, 'latin1');
  b.writeUInt32BE(width, 16);
  b.writeUInt32BE(height, 20);
  return b.toString('base64');
}

describe('TokenCounter: what is counted', () => {
  it('a user string: o200k of the text plus overheads', () => {
    const c = new TokenCounter();
    assert.equal(c.count(req({ messages: [{ role: 'user', content: 'Hello there, how are you?' }] })), REQUEST_OVERHEAD + MESSAGE_OVERHEAD + tok('Hello there, how are you?'));
  });

  it('system blocks go into one developer message; the billing block is not counted', () => {
    const c = new TokenCounter();
    const withBilling = c.count(req({ system: [{ type: 'text', text: 'x-anthropic-billing-header: cc_version=1.2.3;' }, { type: 'text', text: 'Be helpful.' }, { type: 'text', text: 'Be brief.' }] }));
    assert.equal(withBilling, REQUEST_OVERHEAD + MESSAGE_OVERHEAD + tok('Be helpful.') + tok('Be brief.'));
  });

  it('tools: name, description and the schema as sent (no $schema); server tools not counted', () => {
    const c = new TokenCounter();
    const schema = { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] };
    const n = c.count(req({
      tools: [
        { name: 'Bash', description: 'Runs a command.', input_schema: { $schema: 'https://json-schema.org/draft/2020-12/schema', ...schema } },
        { type: 'web_search_20250305', name: 'web_search' },
      ],
    }));
    assert.equal(n, REQUEST_OVERHEAD + TOOLS_OVERHEAD + TOOL_OVERHEAD + tok('Bash') + tok('Runs a command.') + tok(JSON.stringify(schema)));
  });

  it('tool calls, tool outputs and signed thinking', () => {
    const c = new TokenCounter();
    const n = c.count(req({
      messages: [
        { role: 'assistant', content: [{ type: 'thinking', thinking: 'Plan it.', signature: 'sig' }, { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'ls -la' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'file1\nfile2' }] },
      ],
    }));
    const expected = REQUEST_OVERHEAD
      + ITEM_OVERHEAD + tok('Plan it.')
      + ITEM_OVERHEAD + tok('Bash') + tok('{"command":"ls -la"}')
      + ITEM_OVERHEAD + tok('file1\nfile2');
    assert.equal(n, expected);
  });

  it('images by size from the PNG header; URL images at the default estimate', () => {
    const c = new TokenCounter();
    const image = (w: number, h: number) => req({ messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: pngBase64(w, h) } }] }] });
    const frame = REQUEST_OVERHEAD + MESSAGE_OVERHEAD;
    assert.equal(c.count(image(512, 512)) - frame, 85 + 170);
    assert.equal(c.count(image(1024, 1024)) - frame, 765);
    assert.equal(c.count(image(2048, 4096)) - frame, 85 + 170 * 6); // -> 1024x2048 -> 768x1536 -> 2x3 tiles
    const url = req({ messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } }] }] });
    assert.equal(c.count(url) - frame, UNKNOWN_IMAGE_TOKENS);
  });

  it('PDFs by page count', () => {
    const c = new TokenCounter();
    const pdf = '%PDF-1.4\n1 0 obj << /Type /Pages /Count 3 >> endobj\n2 0 obj << /Type /Page >> endobj\n3 0 obj << /Type/Page >> endobj\n4 0 obj << /Type /Page /Parent 1 0 R >> endobj\n%%EOF';
    const n = c.count(req({ messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: Buffer.from(pdf).toString('base64') } }] }] }));
    assert.equal(n, REQUEST_OVERHEAD + MESSAGE_OVERHEAD + 3 * PDF_TOKENS_PER_PAGE);
  });

  it('special-token text is counted as text, never thrown on', () => {
    const c = new TokenCounter();
    const n = c.count(req({ messages: [{ role: 'user', content: 'a <|endoftext|> b <|im_start|>' }] }));
    assert.ok(n > REQUEST_OVERHEAD + MESSAGE_OVERHEAD);
  });

  it('odd but valid requests count without throwing', () => {
    const c = new TokenCounter();
    const odd = [
      req({}),
      req({ messages: [{ role: 'user', content: [] }], tools: [] }),
      req({ messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'x'.repeat(100), input: undefined }] }] }),
      req({ messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: '@@not-base64@@' } }] }] }] }),
      req({ messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'file', file_id: 'file_1' } }] }] }),
      req({ system: null as unknown as undefined, tools: null as unknown as undefined }),
    ];
    for (const r of odd) assert.equal(typeof c.count(r), 'number');
  });
});

describe('TokenCounter: memo', () => {
  const big = (tag: string) => req({
    system: [{ type: 'text', text: `System prompt ${tag}. `.repeat(200) }],
    tools: [{ name: 'Bash', description: `Run ${tag}`, input_schema: { type: 'object', properties: { c: { type: 'string' } } } }],
    messages: [{ role: 'user', content: `question ${tag}` }],
  });

  it('the same request counts the same, warm or cold', () => {
    const warm = new TokenCounter();
    const first = warm.count(big('a'));
    assert.equal(warm.count(big('a')), first);
    assert.equal(new TokenCounter().count(big('a')), first);
  });

  it('a repeated request adds no entries; a new turn adds only its text', () => {
    const c = new TokenCounter();
    c.count(big('a'));
    const size = c.size;
    c.count(big('a'));
    assert.equal(c.size, size);
    const next = big('a');
    next.messages.push({ role: 'assistant', content: 'an answer' });
    c.count(next);
    assert.equal(c.size, size + 1);
  });

  it('is bounded by maxEntries', () => {
    const c = new TokenCounter({ maxEntries: 3 });
    for (let i = 0; i < 10; i++) c.count(req({ messages: [{ role: 'user', content: `m${i}` }, { role: 'user', content: `n${i}` }] }));
    assert.ok(c.size <= 3);
  });

  it('is bounded by maxChars, and texts longer than the budget are not kept', () => {
    const c = new TokenCounter({ maxChars: 100 });
    c.count(req({ messages: [{ role: 'user', content: 'x'.repeat(500) }] }));
    assert.equal(c.size, 0);
    for (let i = 0; i < 10; i++) c.count(req({ messages: [{ role: 'user', content: `${i}`.repeat(30) }] }));
    assert.ok(c.size <= 3);
  });

  it('the least recently used text is evicted first', () => {
    const c = new TokenCounter({ maxEntries: 2 });
    c.text('alpha');
    c.text('beta');
    c.text('alpha'); // alpha is now the most recent
    c.text('gamma'); // evicts beta
    assert.equal(c.has('alpha'), true);
    assert.equal(c.has('beta'), false);
    assert.equal(c.has('gamma'), true);
  });
});

describe('o200kTokens: the piece cache counts exactly as gpt-tokenizer does', () => {
  const NO_SPECIAL = { disallowedSpecial: new Set<string>() };
  const table: Array<[string, string]> = [
    ['empty', ''],
    ['English prose', 'The quick brown fox jumps over the lazy dog. It\'s 4:30pm; they\'ve gone.'],
    ['contractions in capitals', "WE'LL SEE, YOU'RE RIGHT, I'M HERE, DON'T"],
    ['numbers split in threes', '1234567 89 0.5 3.14159 2026-11-23'],
    ['runs of spaces before words and at the end', 'a   b\t\tc    \n   d   '],
    ['newline runs, CRLF, blank lines', 'line one\r\n\r\nline two\n\n\n  indented\n\tTabbed\n'],
    ['punctuation followed by newlines and slashes', 'end.\n/path/to/file.ts\n// comment\n*/\n'],
    ['code', 'function f(x: number): string {\n  return `${x}`.padStart(4, "0"); // ok\n}\n'],
    ['JSON', '{"type":"object","properties":{"command":{"type":"string","description":"The command"}},"required":["command"]}'],
    ['CJK', '你好，世界。これは日本語のテキストです。한국어 문장입니다.'],
    ['accents and combining marks', 'café naïve résumé e\u0301 Ångström'],
    ['emoji and symbols', 'ship it 🚀🚀 ✅ — “quoted” … ©®™ ∑∫√'],
    ['RTL and mixed scripts', 'مرحبا بالعالم Привет мир שלום עולם'],
    ['special-token text is plain text', 'before <|endoftext|> after <|im_start|>'],
    ['a long unbroken word', 'x'.repeat(300) + ' ' + 'ab'.repeat(100)],
    ['base64', Buffer.from('not a real image, only bytes '.repeat(20)).toString('base64')],
    ['lone surrogates', 'a\ud800b\udc00c'],
    ['control characters', 'a\u0000b\u0007c\u001bd\u007f'],
  ];
  for (const [name, text] of table) {
    it(name, () => {
      assert.equal(o200kTokens(text), countTokens(text, NO_SPECIAL));
      assert.equal(o200kTokens(text), countTokens(text, NO_SPECIAL), 'and again, from the cache');
    });
  }

  it('random text from a mixed alphabet, 300 samples', () => {
    const alphabet = ['a', 'Z', 'é', ' ', '  ', '\n', '\r\n', '\t', '.', ',', '/', "'", "'s", '7', '42', '中', '🙂', '-', '_', '{', '"', 'the', ' The', 'IO'];
    let seed = 7;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let i = 0; i < 300; i++) {
      let text = '';
      const len = 1 + Math.floor(next() * 60);
      for (let j = 0; j < len; j++) text += alphabet[Math.floor(next() * alphabet.length)];
      assert.equal(o200kTokens(text), countTokens(text, NO_SPECIAL), JSON.stringify(text));
    }
  });

  const captured = sharedFixture('captured/claude-code');
  it('every string in the captured Claude Code requests', { skip: captured === null || !existsSync(captured) ? 'shared fixtures absent' : false }, () => {
    const strings: string[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === 'string') strings.push(v);
      else if (Array.isArray(v)) v.forEach(walk);
      else if (v !== null && typeof v === 'object') Object.values(v).forEach(walk);
    };
    for (const f of readdirSync(captured as string).filter((n) => n.endsWith('.json'))) walk(JSON.parse(readFileSync(join(captured as string, f), 'utf8')));
    assert.ok(strings.length > 100, `found ${strings.length} strings`);
    let total = 0;
    for (const s of strings) {
      assert.equal(o200kTokens(s), countTokens(s, NO_SPECIAL));
      total += s.length;
    }
    assert.ok(total > 100_000, `compared ${total} characters`);
  });
});
