// safeguards: in config.yaml: defaults, values, problems with fixes, unknown keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateFileText } from '../../src/config/file-config.ts';

const evaluate = (text: string) => evaluateFileText(text, {}, 'config.yaml');

test('absent: no judge, the default timeout', () => {
  const e = evaluate('port: 8317\n');
  assert.deepEqual(e.settings?.safeguards, { classifierModel: '', timeoutMs: 30_000 });
});

test('classifier-model and timeout-ms are read', () => {
  const e = evaluate('safeguards:\n  classifier-model: gpt-5-mini\n  timeout-ms: "5000"\n');
  assert.deepEqual(e.errors, []);
  assert.deepEqual(e.settings?.safeguards, { classifierModel: 'gpt-5-mini', timeoutMs: 5000 });
});

test('a bad timeout names the key and the fix', () => {
  const e = evaluate('safeguards:\n  timeout-ms: soon\n');
  const p = e.errors.find((x) => x.path === 'safeguards.timeout-ms');
  assert.ok(p, JSON.stringify(e.errors));
  assert.match(p.fix, /milliseconds/);
});

test('an unknown key under safeguards is a warning with a suggestion', () => {
  const e = evaluate('safeguards:\n  classifier_model: gpt-5-mini\n');
  const w = e.warnings.find((x) => x.path === 'safeguards.classifier_model');
  assert.ok(w, JSON.stringify(e.warnings));
  assert.match(w.fix, /classifier-model/);
});
