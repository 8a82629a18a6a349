// Admission under saturation: when the event loop is saturated and enough requests are already in the process,
// a connection's next request waits in the kernel's socket buffer, not in the heap.
//
// Why: once the gateway's one thread is busy all the time, letting more requests in does not serve any of them
// sooner; it only keeps more of them half-done in memory. Their state then outlives the young generation's
// collections and is promoted, and every request costs more (measured at 64 streams of 76 KB requests, the
// README's "What changed for issue 11"). Paused, a connection costs nothing: its next request stays in the
// kernel until the gateway can take it.
//
// Rules, all of them cheap to check:
// - a connection is parked (its socket paused) only between requests: when it opens, or when its response has
//   gone out; and only while the loop was saturated (busy at least SATURATED of the last sample window) and
//   `queueAt` or more requests are in flight or other connections are parked already (none overtakes them);
// - parked connections are released in the order they were parked, one each time a request finishes with
//   fewer than `queueAt` left in flight; all of them as soon as the loop is mostly idle again; and any of them
//   after `maxParkMs`, whatever happens (long streams waiting on a slow upstream hold in-flight slots without
//   using the loop);
// - a socket that has a request in flight is never paused (node:http starts pipelined requests before the
//   one ahead of them is answered: they are counted per connection);
// - the clock (a timer sampling the loop) runs only while requests are in flight or parked, and up to one
//   sample after.
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import type { Socket } from 'node:net';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';

/** Busy share of the last window above which the loop counts as saturated. */
export const SATURATED = 0.9;
/** Busy share below which every parked connection is let go. */
export const IDLE = 0.5;
export const SAMPLE_MS = 20;
export const DEFAULT_MAX_PARK_MS = 1000;

export interface AdmissionOptions {
  /** in-flight requests from which connections may be parked; 0 or less: never park */
  queueAt: () => number;
  maxParkMs?: number;
  /** the loop's busy share over the last window (tests drive it); default: performance.eventLoopUtilization */
  busyShare?: () => number;
  /** called each time a connection is parked (metrics) */
  onPark?: () => void;
}

interface Parked { socket: Socket; at: number }

/** Watches one HTTP server's connections and requests; see the rules above. */
export class Admission {
  readonly #opts: AdmissionOptions;
  readonly #maxParkMs: number;
  #inFlight = 0;
  /** parked connections in order; entries of connections let go otherwise (a pipelined request) stay until reached */
  #queue: Parked[] = [];
  #head = 0;
  readonly #parked = new WeakSet<Socket>();
  #waiting = 0;
  /** requests in flight per connection (node:http starts pipelined requests before the one ahead is answered) */
  readonly #active = new WeakMap<Socket, number>();
  #busy = 0;
  #timer: NodeJS.Timeout | undefined;
  #elu: EventLoopUtilization | undefined;
  #closed = false;

  constructor(opts: AdmissionOptions) {
    this.#opts = opts;
    this.#maxParkMs = opts.maxParkMs ?? DEFAULT_MAX_PARK_MS;
  }

  /** Requests in the process now. */
  get inFlight(): number { return this.#inFlight; }
  /** Connections waiting to be read. */
  get parked(): number { return this.#waiting; }
  /** Whether the clock that samples the loop is running (while requests are in flight or parked, and one sample after). */
  get sampling(): boolean { return this.#timer !== undefined; }

  /** Hooks `server`'s connections and requests. */
  attach(server: Server): void {
    server.on('connection', (socket: Socket) => this.connection(socket));
    // prepended: counted before any other listener runs (fastify answers some requests synchronously)
    server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => this.request(req.socket, res));
  }

  /**
   * A new connection is decided on once this tick is over: node:http has queued a resume of its socket (its
   * data listener), which would start reading it again after a pause made now. Nothing of it is read before
   * the next poll, and this runs before that.
   */
  connection(socket: Socket): void {
    setImmediate(() => {
      if (!socket.destroyed && this.#shouldPark()) this.#park(socket);
    });
  }

  request(socket: Socket, res: ServerResponse): void {
    if (this.#parked.has(socket)) this.#letGo(socket); // defensive: a request read anyway is never stalled
    this.#active.set(socket, (this.#active.get(socket) ?? 0) + 1);
    this.#inFlight++;
    this.#startClock();
    let done = false;
    const finished = (): void => {
      if (done) return;
      done = true;
      this.#inFlight--;
      const left = (this.#active.get(socket) ?? 1) - 1;
      if (left > 0) this.#active.set(socket, left);
      else this.#active.delete(socket);
      // behind those already waiting (first come, first read), then the longest waiting goes if there is room;
      // a connection with another request in flight (pipelined) is never paused
      if (left === 0 && !socket.destroyed && this.#shouldPark()) this.#park(socket);
      if (!this.#full()) this.#releaseOne();
    };
    res.once('finish', finished);
    res.once('close', finished);
  }

  /** The in-flight threshold in force now: 0 (none) unless the loop is saturated and the queue is open. */
  #threshold(): number {
    return this.#closed || this.#busy < SATURATED ? 0 : this.#opts.queueAt();
  }

  /** No room for one more request: saturated at the threshold. */
  #full(): boolean {
    const at = this.#threshold();
    return at > 0 && this.#inFlight >= at;
  }

  /** Full, or others are waiting already (a connection never overtakes them). */
  #shouldPark(): boolean {
    const at = this.#threshold();
    return at > 0 && (this.#inFlight >= at || this.#waiting > 0);
  }

  #park(socket: Socket): void {
    if (this.#parked.has(socket)) return;
    this.#parked.add(socket);
    this.#waiting++;
    this.#queue.push({ socket, at: performance.now() });
    socket.pause();
    this.#opts.onPark?.();
  }

  #letGo(socket: Socket): void {
    if (!this.#parked.delete(socket)) return;
    this.#waiting--;
    if (!socket.destroyed) socket.resume();
  }

  #releaseOne(): void {
    while (this.#head < this.#queue.length) {
      const p = this.#queue[this.#head++];
      if (!this.#parked.has(p.socket)) continue; // let go already
      this.#letGo(p.socket);
      if (!p.socket.destroyed) break; // a client gone while it waited does not count as the one let go
    }
    this.#compact();
  }

  #releaseAll(olderThan = Infinity): void {
    while (this.#head < this.#queue.length && this.#queue[this.#head].at <= olderThan) {
      const p = this.#queue[this.#head++];
      this.#letGo(p.socket);
    }
    this.#compact();
  }

  #compact(): void {
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  /** One sample of the loop: saturation for the next decisions, and the releases that do not wait for a request. */
  sample(): void {
    this.#busy = this.#measure();
    if (this.parked === 0) {
      // stopped at a sample, not when the last request finishes: one request at a time does not start and
      // stop a timer each
      if (this.#inFlight === 0) this.#stopClock();
      return;
    }
    if (this.#busy < IDLE || this.#opts.queueAt() <= 0) this.#releaseAll();
    else this.#releaseAll(performance.now() - this.#maxParkMs);
  }

  #measure(): number {
    if (this.#opts.busyShare) return this.#opts.busyShare();
    const now = performance.eventLoopUtilization();
    const share = this.#elu ? performance.eventLoopUtilization(now, this.#elu).utilization : 0;
    this.#elu = now;
    return share;
  }

  #startClock(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#elu = performance.eventLoopUtilization();
    this.#timer = setInterval(() => this.sample(), SAMPLE_MS);
    this.#timer.unref();
  }

  #stopClock(): void {
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#busy = 0;
  }

  /** Lets every parked connection go, parks none from now on and stops the clock (shutdown). */
  close(): void {
    this.#closed = true;
    this.#releaseAll();
    this.#stopClock();
  }
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The admission for a fastify app's server. On close, before fastify closes the idle connections, the parked
 * ones are let go and given two turns of the loop to be read: their requests get an answer (fastify's 503
 * while closing, `return503OnClosing`), not a connection closed under them.
 */
export function installAdmission(app: FastifyInstance, opts: AdmissionOptions): Admission {
  const admission = new Admission(opts);
  admission.attach(app.server);
  app.addHook('preClose', async () => {
    const waiting = admission.parked;
    admission.close();
    if (waiting > 0) {
      await nextTurn();
      await nextTurn();
    }
  });
  return admission;
}

