import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildToolNameMap, MAX_TOOL_NAME_LENGTH } from '../../src/translate/tool-names.ts';

const VALID = /^[a-zA-Z0-9_-]{1,64}$/;
const long = (prefix: string, n = 80) => prefix + 'x'.repeat(Math.max(0, n - prefix.length));

describe('buildToolNameMap', () => {
  const unchanged: string[] = ['Bash', 'mcp__github__create_issue', 'a', 'x'.repeat(64), 'snake_case-with-dash'];
  for (const name of unchanged) {
    it(`keeps ${name.length > 20 ? `${name.slice(0, 20)}… (${name.length})` : name}`, () => {
      const map = buildToolNameMap([name]);
      assert.equal(map.toUpstream(name), name);
      assert.equal(map.toOriginal(name), name);
    });
  }

  const shortened: Array<[string, string, RegExp]> = [
    ['mcp name keeps prefix and last segment', `mcp__${'server'.repeat(12)}__get_weather`, /^mcp__get_weather$/],
    ['plain long name: truncated + hash', long('very_long_tool_name_', 90), /^very_long_tool_name_x+_[0-9a-f]{8}$/],
    ['invalid characters replaced + hash', 'tool.with:colons', /^tool_with_colons_[0-9a-f]{8}$/],
    ['mcp name whose last segment is too long: hash', `mcp__s__${'y'.repeat(70)}`, /^mcp__s__y+_[0-9a-f]{8}$/],
  ];
  for (const [name, original, pattern] of shortened) {
    it(name, () => {
      const map = buildToolNameMap([original]);
      const up = map.toUpstream(original);
      assert.match(up, pattern);
      assert.match(up, VALID);
      assert.ok(up.length <= MAX_TOOL_NAME_LENGTH);
      assert.equal(map.toOriginal(up), original);
    });
  }

  it('is deterministic and independent of order', () => {
    const names = [`mcp__${'a'.repeat(60)}__read`, `mcp__${'b'.repeat(60)}__read`, long('z_', 100), 'Bash'];
    const a = buildToolNameMap(names);
    const b = buildToolNameMap([...names].reverse());
    for (const n of names) assert.equal(a.toUpstream(n), b.toUpstream(n));
  });

  it('keeps names unique when short forms collide', () => {
    const names = [`mcp__${'a'.repeat(60)}__read`, `mcp__${'b'.repeat(60)}__read`, 'mcp__read_x'];
    const map = buildToolNameMap(names);
    const ups = names.map((n) => map.toUpstream(n));
    assert.equal(new Set(ups).size, names.length);
    for (const [i, n] of names.entries()) assert.equal(map.toOriginal(ups[i]), n);
    assert.ok(ups.every((u) => VALID.test(u)));
  });

  it('a short form never takes a name that is already valid in the request', () => {
    const longName = `mcp__${'a'.repeat(60)}__Bash`;
    const map = buildToolNameMap([longName, 'mcp__Bash']);
    assert.equal(map.toUpstream('mcp__Bash'), 'mcp__Bash');
    assert.notEqual(map.toUpstream(longName), 'mcp__Bash');
    assert.equal(map.toOriginal(map.toUpstream(longName)), longName);
  });

  it('truncated names sharing a prefix stay distinct', () => {
    const names = [long('shared_prefix_', 80) + 'A', long('shared_prefix_', 80) + 'B'];
    const map = buildToolNameMap(names);
    assert.notEqual(map.toUpstream(names[0]), map.toUpstream(names[1]));
  });

  it('unknown names: valid ones pass through both ways, long ones are still shortened', () => {
    const map = buildToolNameMap([]);
    assert.equal(map.toUpstream('Read'), 'Read');
    assert.equal(map.toOriginal('Unknown'), 'Unknown');
    assert.match(map.toUpstream(long('q', 90)), VALID);
  });
  it('all names valid (the shortcut without a built map) answers as the general case does', () => {
    const valid = ['Bash', 'Read', 'mcp__github__create_issue', 'x'.repeat(64)];
    const invalid = [long('very_long_tool_name_', 90), 'tool.with:colons'];
    const shortcut = buildToolNameMap(valid);
    // the same names plus invalid ones take the general path; on the valid names both must agree
    const general = buildToolNameMap([...valid, ...invalid]);
    for (const n of valid) {
      assert.equal(shortcut.toUpstream(n), general.toUpstream(n));
      assert.equal(shortcut.toOriginal(n), general.toOriginal(n));
    }
    // names it was not given: valid ones as they are, invalid ones truncated + hashed, as the general map's fallback
    for (const n of ['Unknown', long('other_', 80), 'a b']) {
      const mapped = shortcut.toUpstream(n);
      assert.equal(mapped, buildToolNameMap(['Bash', 'a.b']).toUpstream(n), 'the same fallback as a built map');
      assert.match(mapped, VALID);
      assert.equal(shortcut.toOriginal(mapped), mapped, 'unknown upstream names come back unchanged');
    }
    assert.equal(buildToolNameMap([]).toUpstream('Read'), 'Read');
  });
});
