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
    send(res, out, false);
  }

  /** Ends the response: what this turn queued and `last` leave in one write with the end of the body. */
  end(last?: Piece): void {
    const out = this.#pending;
    this.#pending = [];
    if (this.#res.writableEnded) return;
    if (last !== undefined) out.push(last);
    send(this.#res, out, true);
  }
}

/** `pieces` in one socket write (strings joined; Buffers corked together), and the end of the body if `ending`. */
function send(res: ServerResponse, pieces: Piece[], ending: boolean): void {
  if (pieces.length <= 1 || pieces.every((p) => typeof p === 'string')) {
    const chunk = pieces.length === 1 ? pieces[0] : pieces.join('');
    if (ending) res.end(chunk);
    else res.write(chunk);
    return;
  }
  res.socket?.cork();
  for (const p of pieces) res.write(p);
  // end() uncorks the socket fully
  if (ending) res.end();
  else res.socket?.uncork();
}
