// Diagnosis only (`npm run bench -- --stub-tokenizer`): preload that replaces the o200k tokenizer with a 4-characters-
// per-token stub, to measure how much of the gateway's memory the tokenizer's tables take.
import { register } from 'node:module';

register('data:text/javascript,' + encodeURIComponent(`
export async function resolve(specifier, context, next) {
  if (specifier === 'gpt-tokenizer/encoding/o200k_base') return { url: 'data:text/javascript,export const countTokens = (s) => Math.ceil(s.length / 4); export const encode = (s) => new Array(Math.ceil(s.length / 4));', shortCircuit: true };
  return next(specifier, context);
}`));
