// A response's writes joined by event-loop turn. Node corks a response's socket at the first write of a tick and
// uncorks it when the tick ends, but libuv reads a socket until it is empty (up to 64 KB a read) and Node runs each
// read's ticks before the next read: the pieces that the reads of one upstream reply bring in the same turn each
// left in a socket write of their own. Held until setImmediate (the check phase, right after this turn's reads;
// no timer), they leave in one write.
import type { ServerResponse } from 'node:http';

type Piece = string | Buffer;

function flushTurn(w: TurnWrites): void {
  w.flush();
}

export class TurnWrites {
  readonly #res: ServerResponse;
  #pending: Piece[] = [];
  #queued = false;

  constructor(res: ServerResponse) {
    this.#res = res;
  }

  /**
   * Queues `piece` for this turn's write. False when the socket is over its high-water mark: wait for 'drain'
   * before writing more (it comes once this turn's write has left).
   */
  write(piece: Piece): boolean {
    this.#pending.push(piece);
    if (!this.#queued) {
      this.#queued = true;
      setImmediate(flushTurn, this);
    }
    return !this.#res.writableNeedDrain;
  }

  /** Hands what this turn queued to the socket now (runs by itself at the end of the turn). */
  flush(): void {
    this.#queued = false;
    const out = this.#pending;
    if (out.length === 0) return;
    this.#pending = [];
    const res = this.#res;
    if (res.destroyed || res.writableEnded) return;
    if (out.length === 1) res.write(out[0]);
    else if (out.every((p) => typeof p === 'string')) res.write(out.join(''));
    else {
      res.socket?.cork();
      for (const p of out) res.write(p);
      res.socket?.uncork();
    }
  }

  /** Ends the response: what this turn queued and `last` leave in one write with the end of the body. */
  end(last?: Piece): void {
    const out = this.#pending;
    this.#pending = [];
    const res = this.#res;
    if (res.writableEnded) return;
    if (out.length === 0) { if (last === undefined) res.end(); else res.end(last); return; }
    if (last !== undefined) out.push(last);
    if (out.every((p) => typeof p === 'string')) { res.end(out.join('')); return; }
    res.socket?.cork();
    for (const p of out) res.write(p);
    res.end();
  }
}
