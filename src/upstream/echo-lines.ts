// Finds, in a Responses stream's bytes, the data lines of the events whose response object echoes the request
// (response.created, in_progress, completed, incomplete, failed, queued) and hands each on with the echo cut out
// (echoed-request.ts); every other byte passes through as it came, in order, without a copy. It runs before the
// bytes are decoded: the ~70 KB a Claude Code request's tools take in each of those events is never made a string.
//
// The stream's head (response.queued, created, in_progress) goes further: the consumers of the cut bytes (the
// Anthropic and Chat Completions translators) read only those events' type, so a head line worth cutting is
// skipped as it arrives, never held nor walked, and handed on as `data: {"type":"response.<name>"}` once it ends.
// The terminal events keep their response object (the usage, the status, the error), with the echo cut.
//
// Such a line is `data: {"type":"response.<name>"` at a line's start, the API's compact JSON with `type` first,
// up to the line's end (compact JSON has no raw line break). A line in another shape passes through whole and is
// parsed whole, and so does a terminal event that is not the last event of its chunk (#inHead). A line is held
// (or skipped) until it ends; one longer than `maxLineBytes` is passed on uncut as it grows, or, when skipped,
// marks the stream `overlong`.
import { cutEchoedRequest } from './echoed-request.ts';

const MARK = Buffer.from('data: {"type":"response.');
/** where the JSON starts in such a line */
const JSON_START = 'data: '.length;
/** the events whose data carries a response object: the head's (skipped) and the terminal ones (cut) */
const EVENTS = [['created', 'head'], ['in_progress', 'head'], ['completed', 'end'], ['incomplete', 'end'], ['failed', 'end'], ['queued', 'head']] as const;
/** their names after MARK, each with its closing quote */
const NAMES = EVENTS.map(([name]) => Buffer.from(`${name}"`));
/** for each of NAMES, the data line a skipped head line becomes (null: a terminal event, cut but kept) */
const HEAD_LINES = EVENTS.map(([name, kind]) => (kind === 'head' ? Buffer.from(`data: {"type":"response.${name}"}`) : null));
/** bytes needed after a line's start to tell whether it is such a line */
const DECIDE = MARK.length + Math.max(...NAMES.map((n) => n.length));
const LF = 0x0a;
const CR = 0x0d;
const CR_BYTE = Buffer.from([CR]);
const UNKNOWN = -2;
/**
 * A line shorter than this that ends in its chunk is not cut: it costs less to parse whole than to split the chunk
 * around it (the mock's response objects without an echo are ~0.7 KB, one that echoes a single small tool ~1.5).
 */
const WORTH_CUTTING = 2048;

export class EchoLines {
  readonly #maxLineBytes: number;
  /** a line's start too short to tell yet, kept until the next chunk */
  #partial: Buffer | null = null;
  /** a line (from its `data:`) is being collected */
  #holding = false;
  /** its bytes so far, when it began in an earlier chunk: a scratch buffer of the pool (below), lent until it ends */
  #scratch: Buffer | null = null;
  #lineBytes = 0;
  /** the last byte passed on or held ended a line: the next chunk's first byte starts one */
  #atLineStart = true;
  /**
   * Still in the stream's head (response.queued, created, in_progress), where every line is looked at. After the
   * first other event, a response object comes only with the terminal event, the reply's last: each chunk's last
   * line that can be one is looked at (one search from the end instead of one per delta).
   */
  #inHead = true;
  /** a head line is being skipped: what it becomes once it ends */
  #skipping: Buffer | null = null;
  #skippedBytes = 0;
  /** the last byte skipped was a CR (a CRLF split between chunks keeps its CR) */
  #skippedCr = false;
  #overlong = false;

  constructor(maxLineBytes: number) {
    this.#maxLineBytes = maxLineBytes;
  }

  /** A skipped head line grew past `maxLineBytes` without ending: the stream is broken (nothing was passed on for it). */
  get overlong(): boolean {
    return this.#overlong;
  }

  /** The bytes to decode, in order, for one chunk: its own, with each finished echo line cut. */
  push(chunk: Buffer): Buffer[] {
    let buf = chunk;
    if (this.#partial !== null) {
      buf = Buffer.concat([this.#partial, chunk]);
      this.#partial = null;
    }
    // buf's first byte starts a line: a kept line start leads it, or the previous chunk ended a line
    const startsLine = buf !== chunk || this.#atLineStart;
    const out: Buffer[] = [];
    let pass = 0; // bytes from here on are not yet passed on or held
    let pos = 0;
    /** where the line a skip starts at `pos` ends (-1: not in buf), when already searched for */
    let knownLf = UNKNOWN;
    while (pos < buf.length) {
      if (this.#skipping !== null) {
        const lf = knownLf !== UNKNOWN ? knownLf : buf.indexOf(LF, pos);
        knownLf = UNKNOWN;
        if (lf === -1) {
          this.#skip(buf, pos, buf.length);
          pass = buf.length;
          break;
        }
        const end = lf > pos && buf[lf - 1] === CR ? lf - 1 : lf;
        this.#skip(buf, pos, end);
        out.push(this.#skippedCr && end === pos ? Buffer.concat([this.#skipping, CR_BYTE]) : this.#skipping);
        this.#skipping = null;
        pass = end;
        pos = lf + 1;
        continue;
      }
      if (this.#holding) {
        const lf = buf.indexOf(LF, pos);
        if (lf === -1) {
          this.#hold(buf.subarray(pos), out);
          pass = buf.length;
          break;
        }
        const end = lf > pos && buf[lf - 1] === CR ? lf - 1 : lf;
        this.#finish(buf.subarray(pos, end), out);
        pass = end;
        pos = lf + 1;
        continue;
      }
      // in the stream's head every event is looked at; after it, only each chunk's last (a terminal event)
      const m = this.#inHead ? buf.indexOf(MARK, pos) : buf.lastIndexOf(MARK);
      if (m < pos) break;
      const lineStart = m === 0 ? startsLine : buf[m - 1] === LF || buf[m - 1] === CR;
      if (!lineStart) {
        if (!this.#inHead) break;
        pos = m + 1;
        continue;
      }
      if (buf.length - m < DECIDE && !this.#decided(buf, m)) {
        // too few bytes to tell: pass what comes before, keep the line's start for the next chunk
        if (m > pass) out.push(buf.subarray(pass, m));
        this.#partial = Buffer.from(buf.subarray(m));
        pass = buf.length;
        break;
      }
      const name = this.#nameAt(buf, m);
      if (name < 0) {
        if (!this.#inHead) break;
        this.#inHead = false; // the first event of the reply itself: the head is over
        pos = m + MARK.length;
        continue;
      }
      const lf = buf.indexOf(LF, m);
      if (lf !== -1 && lf - m < WORTH_CUTTING) {
        // a whole line too short to echo much (nothing asked for, or a relay that echoes nothing): it passes on
        // with the bytes around it, as one piece
        pos = lf + 1;
        continue;
      }
      if (m > pass) out.push(buf.subarray(pass, m));
      const head = HEAD_LINES[name];
      if (head !== null) {
        this.#skipping = head;
        this.#skippedBytes = 0;
        this.#skippedCr = false;
        knownLf = lf;
      } else {
        this.#holding = true;
        this.#lineBytes = 0;
      }
      pass = m;
      pos = m;
    }
    if (pass < buf.length && this.#skipping === null) {
      // a last line cut short that may begin a MARK line: keep it (the rest passes)
      const tailStart = !this.#holding ? shortTailStart(buf, pass, startsLine) : -1;
      if (tailStart >= 0) {
        if (tailStart > pass) out.push(buf.subarray(pass, tailStart));
        this.#partial = Buffer.from(buf.subarray(tailStart));
      } else out.push(buf.subarray(pass));
    }
    const last = out.length > 0 ? out[out.length - 1] : null;
    if (this.#partial === null && !this.#holding && this.#skipping === null && last !== null && last.length > 0) this.#atLineStart = last[last.length - 1] === LF || last[last.length - 1] === CR;
    return out;
  }

  /** The body ended: what is held, uncut (a line without its end is an event cut short). */
  end(): Buffer[] {
    const out: Buffer[] = [];
    if (this.#holding && this.#lineBytes > 0) out.push(Buffer.from(this.#scratch!.subarray(0, this.#lineBytes)));
    if (this.#partial !== null) out.push(this.#partial);
    // a head line being skipped was cut short: nothing of it (a decoder drops an event the body's end cut off)
    this.#skipping = null;
    this.#release();
    this.#partial = null;
    return out;
  }

  #decided(buf: Buffer, m: number): boolean {
    // the bytes there are already tell the name apart from every NAME
    return !couldBeName(buf, m + MARK.length);
  }

  /** Which of NAMES follows the MARK at `m`, or -1. */
  #nameAt(buf: Buffer, m: number): number {
    const after = m + MARK.length;
    for (let k = 0; k < NAMES.length; k++) {
      const name = NAMES[k];
      if (buf.length - after >= name.length && sameBytes(buf, after, name, name.length)) return k;
    }
    return -1;
  }

  /** buf[from, to) of a head line is skipped (counted; past maxLineBytes the stream is overlong) */
  #skip(buf: Buffer, from: number, to: number): void {
    if (to > from) this.#skippedCr = buf[to - 1] === CR;
    this.#skippedBytes += to - from;
    if (this.#skippedBytes > this.#maxLineBytes) this.#overlong = true;
  }

  #hold(piece: Buffer, out: Buffer[]): void {
    const n = this.#lineBytes + piece.length;
    if (n > this.#maxLineBytes) {
      // too long to hold: it goes on uncut, the rest of it too
      if (this.#lineBytes > 0) out.push(Buffer.from(this.#scratch!.subarray(0, this.#lineBytes)));
      out.push(piece);
      this.#release();
      this.#atLineStart = false;
      return;
    }
    this.#scratch = room(this.#scratch, this.#lineBytes, n);
    piece.copy(this.#scratch, this.#lineBytes);
    this.#lineBytes = n;
  }

  /** The held line's last piece arrived: the whole line (without its line break) to `out`, cut; never the scratch. */
  #finish(lastPiece: Buffer, out: Buffer[]): void {
    if (this.#lineBytes === 0) {
      // the line is within one chunk: cut it where it is (what comes back is the chunk's own bytes or a new Buffer)
      this.#holding = false;
      out.push(cutEchoedRequest(lastPiece, JSON_START));
      return;
    }
    this.#hold(lastPiece, out);
    if (!this.#holding) return; // too long: #hold passed it on uncut
    const whole = this.#scratch!.subarray(0, this.#lineBytes);
    const cut = cutEchoedRequest(whole, JSON_START);
    out.push(cut === whole ? Buffer.from(whole) : cut); // cut: a new Buffer of the kept parts
    this.#release();
  }

  #release(): void {
    if (this.#scratch !== null) giveBack(this.#scratch);
    this.#scratch = null;
    this.#holding = false;
    this.#lineBytes = 0;
  }
}

// Scratch buffers for lines that span chunks, lent to one EchoLines at a time (lines from several replies can be
// held at once, between their chunks): a held line is copied into one instead of each piece kept and the whole
// concatenated into a new Buffer, which at ~230 KB a reply was a tenth of its CPU, and external memory that
// brought V8's full collections on sooner.
const pool: Buffer[] = [];
const POOL_MAX = 8;
const SCRATCH_MIN = 128 * 1024;
/** larger ones are not kept for reuse (a 16 MB line is a rare one) */
const SCRATCH_KEEP_MAX = 1024 * 1024;

/** A buffer of at least `need` bytes holding the first `used` bytes of `buf` (buf itself when it has the room). */
function room(buf: Buffer | null, used: number, need: number): Buffer {
  if (buf !== null && buf.length >= need) return buf;
  if (buf === null) {
    const pooled = pool.pop();
    if (pooled !== undefined) {
      if (pooled.length >= need) return pooled;
      pool.push(pooled);
    }
  }
  let size = SCRATCH_MIN;
  while (size < need) size *= 2;
  const next = Buffer.allocUnsafeSlow(size);
  if (buf !== null) {
    buf.copy(next, 0, 0, used);
    giveBack(buf);
  }
  return next;
}

function giveBack(buf: Buffer): void {
  if (pool.length < POOL_MAX && buf.length <= SCRATCH_KEEP_MAX) pool.push(buf);
}

/**
 * Where the last, unended line of buf[from..] starts when it is short enough to still become a MARK line (so it
 * is kept for the next chunk); -1 when there is none such. startsLine: buf's first byte starts a line.
 */
function shortTailStart(buf: Buffer, from: number, startsLine: boolean): number {
  // the last line break within DECIDE bytes of the end (a longer last line is already told apart)
  let start = buf.length;
  while (start > 0 && buf.length - start < DECIDE && buf[start - 1] !== LF && buf[start - 1] !== CR) start--;
  if (buf.length - start >= DECIDE || start < from || start === buf.length || (start === 0 && !startsLine)) return -1;
  const n = buf.length - start;
  if (!sameBytes(buf, start, MARK, Math.min(n, MARK.length))) return -1;
  if (n <= MARK.length) return start;
  // past MARK: only a line that can still be one of NAMES (a delta's line start is passed on, not kept)
  return couldBeName(buf, start + MARK.length) ? start : -1;
}

/** The bytes from `after` to buf's end begin one of NAMES, or are all of one (as far as they go). */
function couldBeName(buf: Buffer, after: number): boolean {
  for (const name of NAMES) if (sameBytes(buf, after, name, Math.min(name.length, buf.length - after))) return true;
  return false;
}

/** buf[at, at + n) equals pattern[0, n) (a loop: Buffer.compare's native call costs more than these few bytes) */
function sameBytes(buf: Buffer, at: number, pattern: Buffer, n: number): boolean {
  for (let k = 0; k < n; k++) if (buf[at + k] !== pattern[k]) return false;
  return true;
}
