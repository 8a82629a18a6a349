// GET /v1/models and /v1/models/{id}: OpenAI's list shape by default, Anthropic's with anthropic-version;
// the SDK's models.list / models.retrieve work against it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { startHarness, rawRequest, CLIENT_KEY, type Harness } from '../e2e/sdk-harness.ts';
import { MODEL_CATALOG } from '../../src/routing/model-catalog.ts';
import { CLAUDE_CODE_MODELS } from '../../src/routing/claude-models.ts';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

const get = (path: string, headers: Record<string, string> = {}) => rawRequest(`${h.gw.url}${path}`, 'GET', undefined, { 'x-api-key': CLIENT_KEY, ...headers });
const ANTHROPIC = { 'anthropic-version': '2023-06-01' };
const expectedCount = MODEL_CATALOG.reduce((n, m) => n + 1 + m.efforts.length, 0);
/** Anthropic's shape also lists the Claude names Claude Code offers, each served by a GPT model. */
const anthropicCount = expectedCount + CLAUDE_CODE_MODELS.length;

test('GET /v1/models without anthropic-version: OpenAI list shape with every catalog model and effort variant', async () => {
  const r = await get('/v1/models');
  assert.equal(r.status, 200);
  assert.equal(r.json.object, 'list');
  assert.equal(r.json.data.length, expectedCount);
  for (const m of r.json.data) {
    assert.deepEqual(Object.keys(m).sort(), ['created', 'id', 'object', 'owned_by']);
    assert.equal(m.object, 'model');
    assert.equal(typeof m.created, 'number');
  }
  const ids = r.json.data.map((m: { id: string }) => m.id);
  for (const id of ['gpt-5-codex', 'gpt-5-codex-high', 'gpt-5-minimal', 'gpt-5.1-codex-max-xhigh']) assert.ok(ids.includes(id), id);
  assert.equal(new Set(ids).size, ids.length, 'no duplicates');
});

test('GET /v1/models with anthropic-version: Anthropic page shape', async () => {
  const r = await get('/v1/models', ANTHROPIC);
  assert.equal(r.status, 200);
  assert.equal(r.json.data.length, anthropicCount);
  assert.equal(r.json.has_more, false);
  assert.equal(r.json.first_id, r.json.data[0].id);
  assert.equal(r.json.last_id, r.json.data.at(-1).id);
  for (const m of r.json.data) {
    assert.equal(m.type, 'model');
    assert.equal(typeof m.display_name, 'string');
    assert.ok(!Number.isNaN(Date.parse(m.created_at)));
  }
  const high = r.json.data.find((m: { id: string }) => m.id === 'gpt-5-codex-high');
  assert.match(high.display_name, /high/);
});

test('Anthropic pagination: limit, after_id, before_id', async () => {
  const all = (await get('/v1/models', ANTHROPIC)).json.data.map((m: { id: string }) => m.id);
  const p1 = (await get('/v1/models?limit=3', ANTHROPIC)).json;
  assert.deepEqual(p1.data.map((m: { id: string }) => m.id), all.slice(0, 3));
  assert.equal(p1.has_more, true);
  const p2 = (await get(`/v1/models?limit=3&after_id=${p1.last_id}`, ANTHROPIC)).json;
  assert.deepEqual(p2.data.map((m: { id: string }) => m.id), all.slice(3, 6));
  const before = (await get(`/v1/models?before_id=${all[2]}`, ANTHROPIC)).json;
  assert.deepEqual(before.data.map((m: { id: string }) => m.id), all.slice(0, 2));
  assert.equal(before.has_more, false);
  // backwards: the models just before before_id
  const back = (await get(`/v1/models?limit=2&before_id=${all[5]}`, ANTHROPIC)).json;
  assert.deepEqual(back.data.map((m: { id: string }) => m.id), all.slice(3, 5));
  assert.equal(back.has_more, true);
});

test('the SDK: models.list() pages through everything, models.retrieve() finds one', async () => {
  const ids: string[] = [];
  for await (const m of h.client.models.list({ limit: 20 })) ids.push(m.id);
  assert.equal(ids.length, anthropicCount);
  assert.equal(new Set(ids).size, ids.length);
  const one = await h.client.models.retrieve('gpt-5-codex-low');
  assert.equal(one.id, 'gpt-5-codex-low');
  assert.equal(one.type, 'model');
});

test('GET /v1/models/{id}: both shapes; case-insensitive; 404 not_found_error for unknown', async () => {
  const openai = await get('/v1/models/gpt-5-codex');
  assert.equal(openai.status, 200);
  assert.deepEqual({ id: openai.json.id, object: openai.json.object }, { id: 'gpt-5-codex', object: 'model' });
  const anth = await get('/v1/models/gpt-5-codex', ANTHROPIC);
  assert.equal(anth.json.type, 'model');
  assert.equal(anth.json.id, 'gpt-5-codex');
  const upper = await get('/v1/models/GPT-5-CODEX');
  assert.equal(upper.status, 200);
  for (const id of ['claude-unknown-9', 'gpt-unknown']) {
    const r = await get(`/v1/models/${id}`, ANTHROPIC);
    assert.equal(r.status, 404);
    assert.equal(r.json.type, 'error');
    assert.equal(r.json.error.type, 'not_found_error');
    assert.ok(r.json.error.message.includes(id));
  }
  await assert.rejects(h.client.models.retrieve('claude-unknown-9'), Anthropic.NotFoundError);
});

test('Anthropic pagination with an id that is not listed: an empty last page, not the first page again', async () => {
  for (const q of ['after_id=no-such-model', 'before_id=no-such-model']) {
    const r = await get(`/v1/models?${q}`, ANTHROPIC);
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.data, []);
    assert.equal(r.json.has_more, false);
    assert.equal(r.json.first_id, null);
  }
});

test('Claude Code\'s discovery (GET /v1/models?limit=1000, anthropic-version): its Claude names, each naming the GPT model behind it, with that model\'s input window', async () => {
  const r = await get('/v1/models?limit=1000', ANTHROPIC);
  const claude = r.json.data.filter((m: { id: string }) => /claude|anthropic/i.test(m.id));
  assert.deepEqual(claude.map((m: { id: string }) => m.id), CLAUDE_CODE_MODELS.map((m) => m.id), 'what Claude Code keeps: the Claude names, first');
  for (const m of claude) {
    // the harness routes Claude names to packycode.defaults.model: gpt-5-codex
    assert.match(m.display_name, /→ GPT-5 Codex/, m.display_name);
    assert.equal(m.context_window, 272_000);
    assert.deepEqual(m.runtime, { max_input_tokens: 272_000, max_output_tokens: 128_000, effort_levels: ['low', 'medium', 'high'] });
  }
  const opus = await get('/v1/models/claude-opus-5-5', ANTHROPIC);
  assert.equal(opus.status, 200);
  assert.equal(opus.json.id, 'claude-opus-5-5');
  const gpt = r.json.data.find((m: { id: string }) => m.id === 'gpt-5.4');
  assert.equal(gpt.context_window, 272_000, 'GPT-5.4: the window Codex-style endpoints accept, not the nominal 1.05 M');
  assert.equal((await get('/v1/models')).json.data.some((m: { id: string }) => m.id.startsWith('claude')), false, 'the OpenAI shape is unchanged');
});
