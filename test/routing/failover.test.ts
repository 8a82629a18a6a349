// Which fallbacks a Packycode failure moves a request to: retryable failures only, models matched by glob.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fallbacksFor, isFailoverWorthy, isRetryableStatus, servesModel } from '../../src/routing/failover.ts';
import type { PackycodeFailure } from '../../src/routing/failover.ts';
import type { AnthropicFallback } from '../../src/config/types.ts';

const fb = (name: string, models: string[] = []): AnthropicFallback => ({ name, baseUrl: `https://${name}.example`, apiKey: `sk-${name}-0000`, models });

test('which Packycode failures are worth a failover', () => {
  const table: Array<[PackycodeFailure, boolean]> = [
    [{ kind: 'not-configured' }, true],
    [{ kind: 'connect' }, true],
    [{ kind: 'timeout' }, true],
    [{ kind: 'idle-timeout' }, true],
    [{ kind: 'disconnect' }, true],
    [{ kind: 'protocol' }, true],
    [{ kind: 'http', status: 500 }, true],
    [{ kind: 'http', status: 502 }, true],
    [{ kind: 'http', status: 503 }, true],
    [{ kind: 'http', status: 504 }, true],
    [{ kind: 'http', status: 529 }, true],
    [{ kind: 'http', status: 429 }, true],
    [{ kind: 'http', status: 429, code: 'rate_limit_exceeded' }, true],
    [{ kind: 'http', status: 402, code: 'insufficient_quota' }, true],   // the account, not the request
    [{ kind: 'http', status: 403, code: 'billing_hard_limit_reached' }, true],
    [{ kind: 'http', status: 400 }, false],
    [{ kind: 'http', status: 400, code: 'invalid_request_error' }, false],
    [{ kind: 'http', status: 401 }, false],
    [{ kind: 'http', status: 403 }, false],
    [{ kind: 'http', status: 404 }, false],
    [{ kind: 'http', status: 408 }, false],
    [{ kind: 'http', status: 413 }, false],
    [{ kind: 'http', status: 422 }, false],
    [{ kind: 'http' }, false],
    [{ kind: 'stream-error', status: 529 }, true],
    [{ kind: 'stream-error', status: 500 }, true],
    [{ kind: 'stream-error', status: 429 }, true],
    [{ kind: 'stream-error', status: 400 }, false],
    [{ kind: 'assembly', status: 502 }, true],
    [{ kind: 'aborted' }, false],
    [{ kind: 'aborted', status: 499 }, false],
    [{ kind: 'internal', status: 500 }, false],
    [{ kind: 'something-new', status: 503 }, false],
  ];
  for (const [failure, expected] of table) {
    assert.equal(isFailoverWorthy(failure), expected, JSON.stringify(failure));
  }
});

test('retryable statuses: 429 and 5xx', () => {
  const table: Array<[number | undefined, boolean]> = [
    [undefined, false], [200, false], [400, false], [404, false], [428, false], [429, true], [430, false],
    [499, false], [500, true], [503, true], [529, true], [599, true], [600, false],
  ];
  for (const [status, expected] of table) assert.equal(isRetryableStatus(status), expected, String(status));
});

test('model patterns: empty = any, globs with *, whole name, case-insensitive', () => {
  const table: Array<[string[], string, boolean]> = [
    [[], 'claude-opus-4-8', true],
    [[], 'gpt-5-codex', true],
    [['claude-opus-4-8'], 'claude-opus-4-8', true],
    [['claude-opus-4-8'], 'claude-opus-4-8-20260101', false],
    [['claude-*'], 'claude-sonnet-5', true],
    [['claude-*'], 'Claude-Sonnet-5', true],
    [['claude-*'], 'gpt-5-codex', false],
    [['*haiku*'], 'claude-haiku-4-5-20251001', true],
    [['*haiku*'], 'claude-sonnet-5', false],
    [['gpt-5', 'claude-*-4-*'], 'claude-opus-4-8', true],
    [['gpt-5', 'claude-*-4-*'], 'gpt-5', true],
    [['gpt-5', 'claude-*-4-*'], 'gpt-5-mini', false],
    [['claude.opus'], 'claudeXopus', false],         // a dot is a dot, not "any character"
    [['claude-(opus)'], 'claude-(opus)', true],      // regex characters are literal
    [['*'], '', true],
  ];
  for (const [patterns, model, expected] of table) {
    assert.equal(servesModel(patterns, model), expected, `${JSON.stringify(patterns)} vs ${model}`);
  }
});

test('fallbacksFor keeps config order and filters by model', () => {
  const snapshot = { fallbacks: [fb('a', ['claude-*']), fb('b', ['gpt-*']), fb('c'), fb('d', ['claude-opus-*'])] };
  const names = (model: string, failure: PackycodeFailure) => fallbacksFor(snapshot, model, failure).map((f) => f.name);
  assert.deepEqual(names('claude-opus-4-8', { kind: 'connect' }), ['a', 'c', 'd']);
  assert.deepEqual(names('gpt-5-codex', { kind: 'http', status: 503 }), ['b', 'c']);
  assert.deepEqual(names('claude-sonnet-5', { kind: 'not-configured' }), ['a', 'c']);
  assert.deepEqual(names('mistral-large', { kind: 'timeout' }), ['c']);
});

test('fallbacksFor is empty for request errors, client aborts and when none are configured', () => {
  const snapshot = { fallbacks: [fb('any')] };
  assert.deepEqual(fallbacksFor(snapshot, 'claude-opus-4-8', { kind: 'http', status: 400 }), []);
  assert.deepEqual(fallbacksFor(snapshot, 'claude-opus-4-8', { kind: 'http', status: 413 }), []);
  assert.deepEqual(fallbacksFor(snapshot, 'claude-opus-4-8', { kind: 'aborted' }), []);
  assert.deepEqual(fallbacksFor({ fallbacks: [] }, 'claude-opus-4-8', { kind: 'connect' }), []);
  assert.deepEqual(fallbacksFor({ fallbacks: [fb('x', ['gpt-*'])] }, 'claude-opus-4-8', { kind: 'connect' }), []);
});
