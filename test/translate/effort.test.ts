import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { clampEffort, effortFromBudget, resolveEffort } from '../../src/translate/effort.ts';
import type { EffortInputs } from '../../src/translate/effort.ts';
import type { Effort } from '../../src/wire/responses-request.ts';
import type { ThinkingConfig } from '../../src/wire/anthropic-request.ts';

const CODEX: Effort[] = ['low', 'medium', 'high'];
const GPT5: Effort[] = ['minimal', 'low', 'medium', 'high'];
const XHIGH: Effort[] = ['low', 'medium', 'high', 'xhigh'];
const GPT51: Effort[] = ['none', 'low', 'medium', 'high'];

describe('effortFromBudget', () => {
  const cases: Array<[number, Effort]> = [[1024, 'low'], [4095, 'low'], [4096, 'medium'], [16383, 'medium'], [16384, 'high'], [31999, 'high'], [128000, 'high']];
  for (const [budget, effort] of cases) it(`${budget} -> ${effort}`, () => assert.equal(effortFromBudget(budget), effort));
});

describe('clampEffort', () => {
  const cases: Array<[Effort, Effort[] | undefined, Effort]> = [
    ['xhigh', undefined, 'xhigh'],
    ['xhigh', [], 'xhigh'],
    ['xhigh', CODEX, 'high'],
    ['minimal', CODEX, 'low'],
    ['none', CODEX, 'low'],
    ['none', GPT5, 'minimal'],
    ['minimal', GPT51, 'low'], // tie between none and low: the higher one
    ['medium', ['low', 'high'], 'high'], // tie: the higher one
    ['medium', CODEX, 'medium'],
    ['high', ['high', 'low'], 'high'], // unsorted list
  ];
  for (const [effort, supported, expected] of cases) {
    it(`${effort} in [${supported?.join(',') ?? 'unknown'}] -> ${expected}`, () => assert.equal(clampEffort(effort, supported), expected));
  }
});

describe('resolveEffort', () => {
  type Req = { thinking?: ThinkingConfig; output_config?: { effort?: unknown } };
  const base: EffortInputs = { defaultEffort: 'medium' };
  const cases: Array<[string, Req, Partial<EffortInputs>, Effort]> = [
    ['nothing -> default', {}, {}, 'medium'],
    ['forced wins over everything', { output_config: { effort: 'low' }, thinking: { type: 'disabled' } }, { forcedEffort: 'high' }, 'high'],
    ['forced is still clamped', {}, { forcedEffort: 'xhigh', supportedEfforts: CODEX }, 'high'],
    ['output_config low', { output_config: { effort: 'low' } }, {}, 'low'],
    ['output_config medium', { output_config: { effort: 'medium' } }, {}, 'medium'],
    ['output_config high', { output_config: { effort: 'high' } }, {}, 'high'],
    ['output_config beats thinking', { output_config: { effort: 'low' }, thinking: { type: 'enabled', budget_tokens: 60000 } }, {}, 'low'],
    ['max -> highest supported (xhigh)', { output_config: { effort: 'max' } }, { supportedEfforts: XHIGH }, 'xhigh'],
    ['max -> highest supported (high)', { output_config: { effort: 'max' } }, { supportedEfforts: CODEX }, 'high'],
    ['max with unknown model -> high', { output_config: { effort: 'max' } }, {}, 'high'],
    ['unknown output_config effort ignored', { output_config: { effort: 'turbo' }, thinking: { type: 'enabled', budget_tokens: 2000 } }, {}, 'low'],
    ['thinking budget small', { thinking: { type: 'enabled', budget_tokens: 2048 } }, {}, 'low'],
    ['thinking budget mid', { thinking: { type: 'enabled', budget_tokens: 10000 } }, {}, 'medium'],
    ['thinking budget big', { thinking: { type: 'enabled', budget_tokens: 31999 } }, {}, 'high'],
    ['adaptive -> default', { thinking: { type: 'adaptive' } }, { defaultEffort: 'high' }, 'high'],
    ['disabled -> lowest supported (minimal)', { thinking: { type: 'disabled' } }, { supportedEfforts: GPT5 }, 'minimal'],
    ['disabled -> lowest supported (none)', { thinking: { type: 'disabled' } }, { supportedEfforts: GPT51 }, 'none'],
    ['disabled with unknown model -> low', { thinking: { type: 'disabled' } }, {}, 'low'],
    ['default clamped', {}, { defaultEffort: 'minimal', supportedEfforts: CODEX }, 'low'],
  ];
  for (const [name, req, opts, expected] of cases) {
    it(name, () => assert.equal(resolveEffort(req, { ...base, ...opts }), expected));
  }
});
