// Rendering a changed YAML Document while keeping the original bytes of every line the change did not
// touch. yaml's Document keeps comments and key order but re-indents and re-spaces on output; so the
// new text is merged line by line (diff3-style) into the original, and checked to parse to the same data.
import { isDeepStrictEqual } from 'node:util';
import { parseDocument, type Document, type ToStringOptions } from 'yaml';

/** Indentation and sequence style as the original file writes them. */
export function detectStyle(text: string | null): ToStringOptions {
  const opts: ToStringOptions = { lineWidth: 0, indent: 2, indentSeq: true };
  if (!text) return opts;
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  let foundIndent = false;
  let foundSeq = false;
  for (let i = 0; i + 1 < lines.length && !(foundIndent && foundSeq); i++) {
    const parent = /^(\s*)(- )?[^\s#-][^#]*:\s*(#.*)?$/.exec(lines[i]);
    if (!parent) continue;
    const parentIndent = parent[1].length + (parent[2] ? 2 : 0);
    const child = /^(\s*)(- )?/.exec(lines[i + 1])!;
    const childIndent = child[1].length;
    if (child[2] && !foundSeq) {
      opts.indentSeq = childIndent > parentIndent;
      foundSeq = true;
    } else if (!child[2] && !foundIndent && childIndent > parentIndent) {
      opts.indent = childIndent - parentIndent;
      foundIndent = true;
    }
  }
  return opts;
}

/** Matched index pairs of a longest common subsequence of two line lists. */
export function lcsPairs(a: string[], b: string[]): Array<[number, number]> | null {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const n = endA - start;
  const m = endB - start;
  if (n * m > 25_000_000) return null;
  const w = m + 1;
  const dp = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      dp[i * w + j] = a[start + i] === b[start + j] ? dp[(i + 1) * w + j + 1] + 1 : Math.max(dp[(i + 1) * w + j], dp[i * w + j + 1]);
    }
  }
  const pairs: Array<[number, number]> = [];
  for (let k = 0; k < start; k++) pairs.push([k, k]);
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[start + i] === b[start + j]) {
      pairs.push([start + i, start + j]);
      i++;
      j++;
    } else if (dp[(i + 1) * w + j] >= dp[i * w + j + 1]) i++;
    else j++;
  }
  for (let k = 0; endA + k < a.length; k++) pairs.push([endA + k, endB + k]);
  return pairs;
}

/**
 * Between two matched lines, runs of equally many unmatched lines are paired up by position: yaml
 * re-spaces a line without moving it, so the k-th such line of the original is the k-th of the re-print.
 */
function pairGaps(pairs: Array<[number, number]>, lenA: number, lenB: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let [pa, pb] = [-1, -1];
  for (const [a, b] of [...pairs, [lenA, lenB] as [number, number]]) {
    if (a - pa === b - pb) for (let k = 1; k < a - pa; k++) out.push([pa + k, pb + k]);
    if (a < lenA) out.push([a, b]);
    [pa, pb] = [a, b];
  }
  return out;
}

const same = (x: string[], y: string[]) => x.length === y.length && x.every((v, i) => v === y[i]);

/**
 * original: the file; roundTrip: the original as yaml prints it unchanged; next: the changed document as
 * yaml prints it. Regions where roundTrip and next agree keep the original's lines.
 */
export function mergeLines(original: string, roundTrip: string, next: string): string | null {
  const A = original.split('\n');
  const B = roundTrip.split('\n');
  const C = next.split('\n');
  const lcs = lcsPairs(A, B);
  const bc = lcsPairs(B, C);
  if (!lcs || !bc) return null;
  const ab = pairGaps(lcs, A.length, B.length);
  const aOf = new Map<number, number>(ab.map(([a, b]) => [b, a]));
  const cOf = new Map<number, number>(bc.map(([b, c]) => [b, c]));
  const anchors: Array<[number, number, number]> = [];
  for (let b = 0; b < B.length; b++) if (aOf.has(b) && cOf.has(b)) anchors.push([aOf.get(b)!, b, cOf.get(b)!]);
  anchors.push([A.length, B.length, C.length]);
  const out: string[] = [];
  let [pa, pb, pc] = [-1, -1, -1];
  for (const [a, b, c] of anchors) {
    const segB = B.slice(pb + 1, b);
    const segC = C.slice(pc + 1, c);
    out.push(...(same(segB, segC) ? A.slice(pa + 1, a) : segC));
    if (a < A.length) out.push(A[a]);
    [pa, pb, pc] = [a, b, c];
  }
  return out.join('\n');
}

/** The changed document as text, with untouched lines byte for byte as in `original`. */
export function renderDocument(original: string | null, doc: Document): string {
  const opts = detectStyle(original);
  const next = doc.toString(opts);
  if (original === null || original.trim() === '') return next;
  const crlf = original.includes('\r\n');
  const base = crlf ? original.replace(/\r\n/g, '\n') : original;
  const pristine = parseDocument(base);
  if (pristine.errors.length > 0) return next;
  const merged = mergeLines(base, pristine.toString(opts), next);
  if (merged === null) return next;
  const check = parseDocument(merged);
  if (check.errors.length > 0 || !isDeepStrictEqual(check.toJS(), doc.toJS())) return next;
  return crlf ? merged.replace(/\n/g, '\r\n') : merged;
}
