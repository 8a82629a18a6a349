// Deterministic filler text for benchmark requests: prose, lists and code-ish lines from a seeded PRNG.
// Own words only (no client prompt text); a wide vocabulary so the tokenizer sees varied pieces.

/** mulberry32: small, fast, seeded. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const COMMON = (
  'the a to of and in is it that for you with on as be this are use not or when by from if can your an at ' +
  'file tool command output should must only any each do run user task code read write change first before after ' +
  'path line result value new test check call return error value working directory project request reply text ' +
  'always never prefer instead unless other more than then which what how where why about into over under'
).split(' ');

const SYLLABLES = 'ka lo mi ren tor vas pel dri qua zen bro lin cut mar sel fen gra hop jut nek'.split(' ');

const CODE = [
  'const {0} = await read{1}(path);',
  'if ({0}.length > {2}) return {1};',
  'git {0} --{1} {2}',
  'npm run {0} -- --{1}={2}',
  '- `{0}`: {1} the {2} first',
  '{0}({1}, {2})',
  '# {0} {1}',
  'export function {0}({1}: string): number {',
];

export class TextGen {
  readonly #r: () => number;
  readonly #vocab: string[];

  constructor(seed: number) {
    this.#r = rng(seed);
    const r = this.#r;
    const made: string[] = [];
    for (let i = 0; i < 1500; i++) {
      const n = 1 + Math.floor(r() * 3);
      let w = '';
      for (let j = 0; j < n; j++) w += SYLLABLES[Math.floor(r() * SYLLABLES.length)];
      made.push(w);
    }
    this.#vocab = made;
  }

  word(): string {
    const r = this.#r();
    // Zipf-ish: common words most of the time, the long tail otherwise
    if (r < 0.6) return COMMON[Math.floor(this.#r() * COMMON.length)];
    return this.#vocab[Math.floor(this.#r() ** 2 * this.#vocab.length)];
  }

  sentence(): string {
    const n = 6 + Math.floor(this.#r() * 14);
    const words: string[] = [];
    for (let i = 0; i < n; i++) words.push(this.word());
    const s = words.join(' ');
    return s[0].toUpperCase() + s.slice(1) + (this.#r() < 0.15 ? ':' : '.');
  }

  codeLine(): string {
    const tpl = CODE[Math.floor(this.#r() * CODE.length)];
    return tpl.replace('{0}', this.word()).replace('{1}', this.word()).replace('{2}', String(Math.floor(this.#r() * 500)));
  }

  /** About `chars` characters of paragraphs, bullet lists and code lines. */
  text(chars: number): string {
    let out = '';
    while (out.length < chars) {
      const k = this.#r();
      if (k < 0.55) {
        out += this.sentence() + ' ' + this.sentence() + '\n\n';
      } else if (k < 0.8) {
        out += `- ${this.sentence()}\n- ${this.sentence()}\n\n`;
      } else {
        out += '```\n' + this.codeLine() + '\n' + this.codeLine() + '\n```\n\n';
      }
    }
    return out.slice(0, chars);
  }

  identifier(): string {
    return this.word().replace(/[^a-z]/g, '') + '_' + this.word().replace(/[^a-z]/g, '');
  }

  int(max: number): number {
    return Math.floor(this.#r() * max);
  }
}
