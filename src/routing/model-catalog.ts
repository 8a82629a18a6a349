// The models Packycode serves (OpenAI GPT-5 and Codex families), with context window, max output and the
// reasoning efforts each accepts. One data file: add a model here and it is registered everywhere.
import type { Effort } from '../wire/responses-request.ts';

export interface ModelInfo {
  id: string;
  displayName: string;
  contextWindow: number;
  maxOutputTokens: number;
  efforts: Effort[];
  /** unix seconds; informational, shown in /v1/models */
  created: number;
}

const GPT5 = ['minimal', 'low', 'medium', 'high'] as Effort[];
const CODEX = ['low', 'medium', 'high'] as Effort[];
const GPT51 = ['none', 'low', 'medium', 'high'] as Effort[];
const XHIGH = ['low', 'medium', 'high', 'xhigh'] as Effort[];
const GPT52 = ['none', 'low', 'medium', 'high', 'xhigh'] as Effort[];

export const MODEL_CATALOG: readonly ModelInfo[] = [
  { id: 'gpt-5', displayName: 'GPT-5', contextWindow: 400_000, maxOutputTokens: 128_000, efforts: GPT5, created: 1754524800 },
  { id: 'gpt-5-codex', displayName: 'GPT-5 Codex', contextWindow: 400_000, maxOutputTokens: 128_000, efforts: CODEX, created: 1758153600 },
  { id: 'gpt-5-mini', displayName: 'GPT-5 mini', contextWindow: 400_000, maxOutputTokens: 128_000, efforts: GPT5, created: 1754524800 },
  { id: 'gpt-5-nano', displayName: 'GPT-5 nano', contextWindow: 400_000, maxOutputTokens: 128_000, efforts: GPT5, created: 1754524800 },
  { id: 'codex-mini-latest', displayName: 'Codex mini', contextWindow: 200_000, maxOutputTokens: 100_000, efforts: CODEX, created: 1747267200 },
  { id: 'gpt-5.1', displayName: 'GPT-5.1', contextWindow: 400_000, maxOutputTokens: 128_000, efforts: GPT51, created: 1763078400 },
  { id: 'gpt-5.1-codex', displayName: 'GPT-5.1 Codex', contextWindow: 400_000, maxOutputTokens: 128_000, efforts: CODEX, created: 1763078400 },
  { id: 'gpt-5.1-codex-mini', displayName: 'GPT-5.1 Codex mini', contextWindow: 400_000, maxOutputTokens: 128_000, efforts: CODEX, created: 1763078400 },
  { id: 'gpt-5.1-codex-max', displayName: 'GPT-5.1 Codex Max', contextWindow: 400_000, maxOutputTokens: 128_000, efforts: XHIGH, created: 1763596800 },
  { id: 'gpt-5.2', displayName: 'GPT-5.2', contextWindow: 400_000, maxOutputTokens: 128_000, efforts: GPT52, created: 1765411200 },
  { id: 'gpt-5.2-codex', displayName: 'GPT-5.2 Codex', contextWindow: 400_000, maxOutputTokens: 128_000, efforts: XHIGH, created: 1768435200 },
  { id: 'gpt-5.3-codex', displayName: 'GPT-5.3 Codex', contextWindow: 400_000, maxOutputTokens: 128_000, efforts: XHIGH, created: 1770249600 },
  { id: 'gpt-5.4', displayName: 'GPT-5.4', contextWindow: 1_050_000, maxOutputTokens: 128_000, efforts: GPT52, created: 1772668800 },
  { id: 'gpt-5.4-mini', displayName: 'GPT-5.4 mini', contextWindow: 400_000, maxOutputTokens: 128_000, efforts: GPT52, created: 1773878400 },
  { id: 'gpt-5.5', displayName: 'GPT-5.5', contextWindow: 1_050_000, maxOutputTokens: 128_000, efforts: GPT52, created: 1776902400 },
];

/** The efforts that may appear as a model-name suffix (`gpt-5-codex-high`). */
export const SUFFIX_EFFORTS: readonly Effort[] = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'];

/**
 * The input window each model accepts on Codex-style Responses endpoints (what Packycode serves), in tokens:
 * the context window the Codex CLI itself uses for the model (its model family's `context_window`: 272,000 for
 * the GPT-5 family, whose nominal 400,000 includes 128,000 of output; GPT-5.4 and 5.5 are nominally 1,050,000
 * but get 272,000 there unless a larger window is switched on). Claude Code's /context and auto-compact read
 * it from /v1/models, and a context overflow reports it as the maximum.
 */
export const INPUT_WINDOWS: Readonly<Record<string, number>> = {
  'gpt-5': 272_000,
  'gpt-5-codex': 272_000,
  'gpt-5-mini': 272_000,
  'gpt-5-nano': 272_000,
  'codex-mini-latest': 200_000,
  'gpt-5.1': 272_000,
  'gpt-5.1-codex': 272_000,
  'gpt-5.1-codex-mini': 272_000,
  'gpt-5.1-codex-max': 272_000,
  'gpt-5.2': 272_000,
  'gpt-5.2-codex': 272_000,
  'gpt-5.3-codex': 272_000,
  'gpt-5.4': 272_000,
  'gpt-5.4-mini': 272_000,
  'gpt-5.5': 272_000,
};

/** For a model not in the catalog (a passed-through name): the GPT-5 family's window. */
export const DEFAULT_INPUT_WINDOW = 272_000;

/** The input window of a catalog model (INPUT_WINDOWS, else its context window less its output). */
export function inputWindow(info: Pick<ModelInfo, 'id' | 'contextWindow' | 'maxOutputTokens'> | undefined): number {
  if (!info) return DEFAULT_INPUT_WINDOW;
  return INPUT_WINDOWS[info.id] ?? info.contextWindow - info.maxOutputTokens;
}
