// A small bounded memo for values derived from a string that repeats request after request (a session's
// metadata.user_id and the hashes made of it, an upstream key's id): made once, then looked up. Memory only, never written anywhere;
// bounded in entries (the oldest insertion out first) and in key length (a longer key is never kept: a client
// cannot fill the memo with megabyte strings).
export class RecentMemo<V> {
  readonly #values = new Map<string, V>();
  readonly maxEntries: number;
  readonly maxKeyLength: number;

  constructor(opts: { maxEntries: number; maxKeyLength: number }) {
    this.maxEntries = opts.maxEntries;
    this.maxKeyLength = opts.maxKeyLength;
  }

  get(key: string, make: (key: string) => V): V {
    if (key.length > this.maxKeyLength) return make(key);
    if (this.#values.has(key)) return this.#values.get(key) as V;
    const value = make(key);
    if (this.#values.size >= this.maxEntries) this.#values.delete(this.#values.keys().next().value as string);
    this.#values.set(key, value);
    return value;
  }

  get size(): number {
    return this.#values.size;
  }
}
