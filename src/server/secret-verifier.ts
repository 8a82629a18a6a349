// Verifies management keys against the bcrypt hash in a worker thread (started on first use; it keeps the
// process up only while a verification waits). At most `limit` verifications are queued or running; tryVerify answers
// null beyond that so the caller can refuse (429) without hashing.
import { Worker } from 'node:worker_threads';
import type { VerifyAnswer } from './bcrypt-worker.ts';

// src/ runs as TypeScript (tests) and dist/ as JavaScript: the worker file has the same extension as this one
const WORKER_URL = new URL(`./bcrypt-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

export class SecretVerifier {
  readonly limit: number;
  #worker: Worker | null = null;
  #next = 1;
  readonly #waiting = new Map<number, (ok: boolean) => void>();

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Verifications queued or running. */
  get pending(): number {
    return this.#waiting.size;
  }

  /** Resolves whether `key` matches `hash`; null (nothing started) when `limit` verifications are under way. */
  tryVerify(key: string, hash: string): Promise<boolean> | null {
    if (this.#waiting.size >= this.limit) return null;
    const worker = this.#start();
    const id = this.#next++;
    if (this.#waiting.size === 0) worker.ref(); // held only while a verification waits
    return new Promise<boolean>((resolve) => {
      this.#waiting.set(id, resolve);
      worker.postMessage({ id, key, hash });
    });
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const w = new Worker(WORKER_URL);
    w.on('message', (m: VerifyAnswer) => {
      const resolve = this.#waiting.get(m.id);
      this.#waiting.delete(m.id);
      if (this.#waiting.size === 0) w.unref();
      resolve?.(m.ok);
    });
    const fail = () => {
      // a worker that died answers nothing: every waiting verification fails closed, the next one starts anew
      if (this.#worker === w) this.#worker = null;
      for (const resolve of this.#waiting.values()) resolve(false);
      this.#waiting.clear();
    };
    w.on('error', fail);
    w.on('exit', fail);
    w.unref(); // after the listeners: adding one refs the worker again
    this.#worker = w;
    return w;
  }

  close(): void {
    const w = this.#worker;
    this.#worker = null;
    void w?.terminate();
  }
}
