// Estimated prices, US dollars per million tokens (list prices of the model makers, checked 2026-11; cached
// input priced apart). One data file: operators override or add models under usage.prices in config.yaml.
// `match` is an exact model name or a `*` glob; the first match wins, so specific entries come first.
import type { ModelPrice } from '../config/types.ts';

export interface PriceEntry extends ModelPrice {
  match: string;
}

const p = (match: string, input: number, cachedInput: number, output: number): PriceEntry => ({ match, input, cachedInput, output });

export const PRICE_TABLE: readonly PriceEntry[] = [
  // OpenAI (what Packycode serves; Packycode's own plan prices differ: these estimate what the usage is worth)
  p('gpt-5.5', 5, 0.5, 30),
  p('gpt-5.4-mini', 0.75, 0.075, 4.5),
  p('gpt-5.4', 2.5, 0.25, 15),
  p('gpt-5.3-codex', 1.75, 0.175, 14),
  p('gpt-5.2-codex', 1.75, 0.175, 14),
  p('gpt-5.2', 1.75, 0.175, 14),
  p('gpt-5.1-codex-mini', 0.25, 0.025, 2),
  p('gpt-5.1-codex-max', 1.25, 0.125, 10),
  p('gpt-5.1-codex', 1.25, 0.125, 10),
  p('gpt-5.1', 1.25, 0.125, 10),
  p('gpt-5-codex', 1.25, 0.125, 10),
  p('gpt-5-mini', 0.25, 0.025, 2),
  p('gpt-5-nano', 0.05, 0.005, 0.4),
  p('gpt-5', 1.25, 0.125, 10),
  p('codex-mini-latest', 1.5, 0.375, 6),
  // Anthropic (fallback providers); cached input = cache reads
  p('claude-opus-4-1*', 15, 1.5, 75),
  p('claude-opus-4-0*', 15, 1.5, 75),
  p('claude-opus-4-2*', 15, 1.5, 75),
  p('claude-opus-4*', 5, 0.5, 25),
  p('claude-sonnet-4*', 3, 0.3, 15),
  p('claude-3-7-sonnet*', 3, 0.3, 15),
  p('claude-haiku-4*', 1, 0.1, 5),
  p('claude-3-5-haiku*', 0.8, 0.08, 4),
];
