import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ToolConversionCache, cachedToolBytes, jsonEqual } from '../../src/translate/tool-conversion-cache.ts';
import { convertTools } from '../../src/translate/convert-tools.ts';
import { buildToolNameMap } from '../../src/translate/tool-names.ts';
import type { ToolDefinition } from '../../src/wire/anthropic-request.ts';

/** A tool set as a session resends it: parsed anew from JSON every turn (new objects, same content). */
function toolSet(extra: Partial<ToolDefinition> = {}): ToolDefinition[] {
  return JSON.parse(JSON.stringify([
    { name: 'Shell', description: 'Runs a command.', input_schema: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', properties: { command: { type: 'string' } }, required: ['command'], additionalProperties: false } },
    { name: 'ReadFile', description: 'Reads a file.', input_schema: { type: 'object', properties: { path: { type: 'string' }, limit: { type: 'number' } } } },
    { type: 'web_search_20250305', name: 'web_search' },
    { name: 'mcp__some_server__a_tool_with_a_name_well_over_sixty_four_characters_long', input_schema: { type: 'object' }, ...extra },
  ])) as ToolDefinition[];
}

const namesFor = (tools: ToolDefinition[]) => buildToolNameMap(tools.map((t) => t.name));

describe('jsonEqual', () => {
  const cases: Array<[string, unknown, unknown, boolean]> = [
    ['same scalars', 1, 1, true],
    ['different scalars', 1, '1', false],
    ['null and object', null, {}, false],
    ['equal nested objects', { a: [1, { b: 'x' }] }, { a: [1, { b: 'x' }] }, true],
    ['a different leaf', { a: [1, { b: 'x' }] }, { a: [1, { b: 'y' }] }, false],
    ['array and object', [], {}, false],
    ['arrays of different length', [1], [1, 2], false],
    ['a key more', { a: 1 }, { a: 1, b: 2 }, false],
    ['same keys, other order (serialises differently)', { a: 1, b: 2 }, { b: 2, a: 1 }, false],
    ['an undefined value is not a missing key', { a: undefined }, { b: undefined }, false],
  ];
  for (const [name, a, b, expected] of cases) it(name, () => assert.equal(jsonEqual(a, b), expected));
});

describe('ToolConversionCache', () => {
  it('gives what convertTools gives, and the same array for the same tools next turn', () => {
    const cache = new ToolConversionCache();
    const first = toolSet();
    const a = cache.convert(first, namesFor(first));
    assert.deepEqual(a, convertTools(first, namesFor(first)));
    const again = toolSet();
    const b = cache.convert(again, namesFor(again));
    assert.equal(b, a);
    assert.deepEqual(cache.stats(), { entries: 1, chars: cache.stats().chars, hits: 1, misses: 1 });
  });

  const changes: Array<[string, (t: ToolDefinition[]) => void]> = [
    ['a description changed, same length', (t) => { t[0].description = 'Runs a commanD.'; }],
    ['a schema property changed', (t) => { (t[1].input_schema!.properties as Record<string, unknown>).limit = { type: 'integer' }; }],
    ['a schema key added', (t) => { t[1].input_schema!.required = ['path']; }],
    ['a tool dropped', (t) => { t.pop(); }],
    ['tools reordered', (t) => { t.reverse(); }],
  ];
  for (const [name, change] of changes) {
    it(`converts again when ${name}`, () => {
      const cache = new ToolConversionCache();
      const first = toolSet();
      cache.convert(first, namesFor(first));
      const next = toolSet();
      change(next);
      const got = cache.convert(next, namesFor(next));
      assert.deepEqual(got, convertTools(next, namesFor(next)));
      assert.equal(cache.stats().hits, 0);
    });
  }

  it('converts again when the name map gives a tool another upstream name', () => {
    const cache = new ToolConversionCache();
    const tools = toolSet();
    const plain = cache.convert(tools, namesFor(tools));
    // a history naming another long tool whose short form takes the first one's: the first one's name changes
    const other = 'mcp__another_server__a_tool_with_a_name_well_over_sixty_four_characters_long';
    const names = buildToolNameMap([...tools.map((t) => t.name), other]);
    const again = toolSet();
    const got = cache.convert(again, names);
    assert.deepEqual(got, convertTools(again, names));
    assert.equal(got.length, plain.length);
  });

  it('hands out frozen arrays: a request cannot change what the next one gets', () => {
    const cache = new ToolConversionCache();
    const tools = toolSet();
    const got = cache.convert(tools, namesFor(tools));
    assert.throws(() => { (got as unknown as unknown[]).push(1); }, TypeError);
    assert.throws(() => { (got[0] as { name: string }).name = 'x'; }, TypeError);
  });

  it('keeps at most maxEntries tool sets and maxChars characters, least recently used out first', () => {
    const cache = new ToolConversionCache({ maxEntries: 2 });
    // descriptions of different lengths: different fingerprints (sets with the same one replace each other)
    const sets = [0, 1, 2].map((i) => toolSet({ description: `set ${'x'.repeat(i)}` }));
    for (const s of sets) cache.convert(s, namesFor(s));
    assert.equal(cache.stats().entries, 2);
    const oldest = toolSet({ description: 'set ' });
    cache.convert(oldest, namesFor(oldest));
    assert.equal(cache.stats().hits, 0, 'set 0 was dropped');
    const small = new ToolConversionCache({ maxChars: 2000 });
    for (const s of sets) small.convert(s, namesFor(s));
    assert.ok(small.stats().chars <= 2000, `chars ${small.stats().chars}`);
  });

  it('the same tool objects again (a repeated tail shares them): a hit, even in a new array', () => {
    const cache = new ToolConversionCache();
    const tools = toolSet();
    const a = cache.convert(tools, namesFor(tools));
    assert.equal(cache.convert(tools, namesFor(tools)), a);
    const refiltered = tools.filter(() => true); // what loadedTools gives when it drops nothing
    assert.equal(cache.convert(refiltered, namesFor(refiltered)), a);
    assert.deepEqual([cache.stats().hits, cache.stats().misses], [2, 1]);
  });

  it('the same tool objects under another name map, or fewer of them: converted again', () => {
    const cache = new ToolConversionCache();
    const tools = toolSet();
    cache.convert(tools, namesFor(tools));
    const other = 'mcp__another_server__a_tool_with_a_name_well_over_sixty_four_characters_long';
    const names = buildToolNameMap([...tools.map((t) => t.name), other]);
    assert.deepEqual(cache.convert(tools, names), convertTools(tools, names));
    const fewer = tools.slice(0, 2);
    assert.deepEqual(cache.convert(fewer, namesFor(fewer)), convertTools(fewer, namesFor(fewer)));
    assert.equal(cache.stats().hits, 0);
  });

  it('after the last entry is dropped or the cache cleared, its objects are looked up (and converted) again', () => {
    const cache = new ToolConversionCache({ maxEntries: 1 });
    const a = toolSet({ description: 'a' });
    const b = toolSet({ description: 'bb' });
    cache.convert(a, namesFor(a));
    cache.convert(b, namesFor(b)); // a is dropped; b is the last
    cache.convert(a, namesFor(a));
    assert.deepEqual([cache.stats().hits, cache.stats().misses], [0, 3]);
    cache.clear();
    assert.deepEqual(cache.convert(a, namesFor(a)), convertTools(a, namesFor(a)));
    assert.deepEqual([cache.stats().hits, cache.stats().misses], [0, 4]);
  });

  it('no tools, or an empty list: converted as before, nothing kept', () => {
    const cache = new ToolConversionCache();
    assert.deepEqual(cache.convert(undefined, buildToolNameMap([])), []);
    assert.deepEqual(cache.convert([], buildToolNameMap([])), []);
    assert.equal(cache.stats().entries, 0);
  });
});

describe('cachedToolBytes', () => {
  it('gives the JSON bytes of an array the cache handed out (the same Buffer each time), nothing for others', () => {
    const cache = new ToolConversionCache();
    const tools = toolSet();
    const converted = cache.convert(tools, namesFor(tools));
    const bytes = cachedToolBytes(converted);
    assert.deepEqual(bytes, Buffer.from(JSON.stringify(converted)));
    assert.equal(cachedToolBytes(converted), bytes);
    assert.equal(cachedToolBytes([...converted]), undefined);
    assert.equal(cachedToolBytes(convertTools(tools, namesFor(tools))), undefined);
    assert.equal(cachedToolBytes(undefined), undefined);
  });
});
