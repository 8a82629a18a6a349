// Masking keys for display: "sk-…abcd". Keys never appear whole in logs, notes or API answers.

const MASK_RE = /…|^\*+$/;

export function maskSecret(value: string): string {
  if (value === '') return '';
  if (value.length < 12) return '****';
  const prefix = /^[A-Za-z]{2,4}-/.exec(value)?.[0] ?? '';
  return `${prefix}…${value.slice(-4)}`;
}

/** True for a value produced by maskSecret (so a masked key sent back is never stored as the key). */
export function looksMasked(value: string): boolean {
  return MASK_RE.test(value);
}
