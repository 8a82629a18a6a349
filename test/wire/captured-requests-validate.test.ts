// Every /v1/messages and count_tokens request Claude Code really sent (the shared captures and the project's own)
// passes validation: the checks are never stricter than what a real Claude Code request carries.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateCountTokensRequest, validateMessagesRequest } from '../../src/wire/anthropic-validate.ts';
import { sharedFixture } from '../support/shared-fixtures.ts';

const roots = [sharedFixture('captured'), fileURLToPath(new URL('../fixtures/captured', import.meta.url))]
  .filter((d): d is string => d !== null && existsSync(d));

function jsonFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? jsonFiles(p) : name.endsWith('.json') ? [p] : [];
  });
}

interface Capture { file: string; url: string; body: unknown }
const captures: Capture[] = roots.flatMap((root) => jsonFiles(root).flatMap((p) => {
  const c = JSON.parse(readFileSync(p, 'utf8')) as { method?: string; url?: string; body?: unknown; client?: string };
  if (c.method !== 'POST' || typeof c.url !== 'string' || !/^\/v1\/messages(\/count_tokens)?(\?|$)/.test(c.url)) return [];
  if (typeof c.client === 'string' && !/claude/i.test(c.client)) return [];
  return [{ file: relative(root, p), url: c.url, body: c.body }];
}));

describe('captured Claude Code requests pass validation', { skip: captures.length === 0 ? 'no captured requests found' : false }, () => {
  it('finds the captures of both Claude Code versions and both routes', () => {
    assert.ok(captures.length >= 40, `${captures.length} captured requests`);
    assert.ok(captures.some((c) => c.url.includes('count_tokens')));
    assert.ok(captures.some((c) => JSON.stringify(c.body).includes('"tool_result"')), 'some carry tool_result blocks');
  });
  for (const c of captures) {
    it(`${c.file} (${c.url})`, () => {
      const v = c.url.includes('count_tokens') ? validateCountTokensRequest(c.body) : validateMessagesRequest(c.body);
      assert.deepEqual(v.ok ? 'accepted' : v.message, 'accepted');
    });
  }
});
