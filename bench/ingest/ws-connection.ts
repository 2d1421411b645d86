// One pipelining WebSocket connection of a load generator: sends pre-encoded frames while fewer than
// `window` frames (and `windowBytes` bytes) are unanswered, matches acks by seq, and handles
// retry-after answers, which name no frame (`{"ack": null, …}`): it stops sending, waits until every
// other frame in flight is answered (what is left is exactly the refused frames), then resends those.
import WebSocket from "ws";
import type { LatencyHistogram } from "./histogram.js";
import type { FramePool } from "./frames.js";

/** What a generator counts; the window counters move only while `measuring`. */
export interface Tally {
  measuring: boolean;
  framesAcked: number;
  readingsAcked: number;
  readingsRejected: number;
  bytesAcked: number;
  retryAnswers: number;
  resent: number;
  frameErrors: number;
  firstError: string | undefined;
  latency: LatencyHistogram;
  poolWraps: number;
  lagSum: number;
  lagCount: number;
  lagMax: number;
  closed: number;
  /** Readings acknowledged at any time (the drain reports its part). */
  totalReadingsAcked: number;
}

interface InFlight {
  frame: number;
  firstSentAt: number;
  bytes: number;
  attempts: number;
}

interface Ack {
  ack: number | null;
  accepted?: number;
  rejected?: unknown[];
  error?: { code: string; message: string };
  retryAfter?: number;
}

/** Answers that do not come within this long count as lost: the frames are resent. */
const ANSWER_TIMEOUT_MS = 30_000;
/** A frame refused this many times is given up (and counted as an error). */
const MAX_ATTEMPTS = 20;

/**
 * A client must mask its frames, but the key may be zero (RFC 6455 §5.3 only asks that it be
 * unpredictable, for proxies): with a zero key `ws` sends the pre-encoded bytes without copying them,
 * so the client's cost per frame does not grow with its size.
 */
export const zeroMask = (mask: Buffer) => {
  mask.fill(0);
};

export class WsConnection {
  readonly #url: string;
  readonly #pool: FramePool;
  readonly #window: number;
  readonly #windowBytes: number;
  /** Open loop: readings/s; undefined: send whenever the window allows. */
  readonly #rate: number | undefined;
  readonly #tally: Tally;
  #ws: WebSocket | undefined;
  #open = false;
  #running = false;
  #stopped = false;
  #next = 0;
  readonly #inFlight = new Map<number, InFlight>();
  #inFlightBytes = 0;
  /** Null-seq answers (retry-after, or a frame refused whole) not yet matched to frames. */
  #refused = 0;
  #resumeAt = 0;
  #lastAnswer = 0;
  #nextDue = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(url: string, pool: FramePool, window: number, windowBytes: number, rate: number | undefined, tally: Tally) {
    this.#url = url;
    this.#pool = pool;
    this.#window = window;
    this.#windowBytes = windowBytes;
    this.#rate = rate;
    this.#tally = tally;
  }

  get isOpen(): boolean {
    return this.#open;
  }

  get unanswered(): number {
    return this.#inFlight.size;
  }

  connect(): Promise<void> {
    return new Promise((resolve) => {
      const ws = new WebSocket(this.#url, { perMessageDeflate: false, generateMask: zeroMask, skipUTF8Validation: true, handshakeTimeout: 20_000 });
      this.#ws = ws;
      ws.on("open", () => {
        this.#open = true;
        resolve();
      });
      ws.on("message", (data: Buffer) => this.#onAnswer(data));
      ws.on("close", () => {
        if (this.#open && !this.#stopped) this.#tally.closed++;
        this.#open = false;
        resolve();
      });
      ws.on("error", () => undefined);
    });
  }

  start(): void {
    this.#running = true;
    this.#nextDue = performance.now();
    this.#lastAnswer = performance.now();
    this.#pump();
  }

  /** Sends no new frames; refused ones are still resent. */
  stop(): void {
    this.#stopped = true;
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#ws?.terminate();
  }

  #later(ms: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#pump();
    }, Math.max(0, ms));
  }

  #pump(): void {
    if (!this.#open || !this.#running) return;
    const now = performance.now();
    if (this.#refused > 0 || (this.#inFlight.size > 0 && now - this.#lastAnswer > ANSWER_TIMEOUT_MS)) return this.#resolveRefused(now);
    if (this.#stopped) return;
    const { frames, readings } = this.#pool;
    const ws = this.#ws!;
    while (this.#inFlight.size < this.#window) {
      const f = this.#next % frames.length;
      const bytes = frames[f].length;
      if (this.#inFlight.size > 0 && this.#inFlightBytes + bytes > this.#windowBytes) break;
      if (this.#inFlight.has(f + 1)) break; // the pool came round while this frame is still out
      let sentAt = now;
      if (this.#rate !== undefined) {
        sentAt = performance.now();
        if (sentAt < this.#nextDue) {
          this.#later(this.#nextDue - sentAt);
          break;
        }
        const lag = sentAt - this.#nextDue;
        if (this.#tally.measuring) {
          this.#tally.lagSum += lag;
          this.#tally.lagCount++;
          if (lag > this.#tally.lagMax) this.#tally.lagMax = lag;
        }
        this.#nextDue += (readings[f] / this.#rate) * 1000;
      }
      ws.send(frames[f], { binary: !this.#pool.text });
      this.#inFlight.set(f + 1, { frame: f, firstSentAt: sentAt, bytes, attempts: 1 });
      this.#inFlightBytes += bytes;
      this.#next++;
      if (this.#next % frames.length === 0) this.#tally.poolWraps++;
    }
  }

  /** Called about once a second: resends what the server never answered, and what it refused. */
  watchdog(): void {
    if (this.#inFlight.size > 0 && (this.#refused > 0 || performance.now() - this.#lastAnswer > ANSWER_TIMEOUT_MS)) this.#pump();
  }

  /**
   * Every frame in flight gets exactly one answer. Once the answers naming a frame have all come, the
   * frames still in flight are the ones refused: resend them when the server's pause is over.
   */
  #resolveRefused(now: number): void {
    const timedOut = now - this.#lastAnswer > ANSWER_TIMEOUT_MS;
    if (this.#inFlight.size > this.#refused && !timedOut) return; // each answer pumps again
    if (now < this.#resumeAt) return this.#later(this.#resumeAt - now);
    this.#refused = 0;
    this.#lastAnswer = now;
    const ws = this.#ws!;
    for (const [seq, u] of [...this.#inFlight].sort((a, b) => a[0] - b[0])) {
      if (++u.attempts > MAX_ATTEMPTS) {
        this.#forget(seq, u);
        this.#error(`frame ${seq} refused ${MAX_ATTEMPTS} times`);
        continue;
      }
      ws.send(this.#pool.frames[u.frame], { binary: !this.#pool.text });
      if (this.#tally.measuring) this.#tally.resent++;
    }
    this.#pump();
  }

  #forget(seq: number, u: InFlight): void {
    this.#inFlight.delete(seq);
    this.#inFlightBytes -= u.bytes;
  }

  #error(message: string): void {
    if (!this.#tally.measuring) return;
    this.#tally.frameErrors++;
    this.#tally.firstError ??= message;
  }

  #onAnswer(data: Buffer): void {
    const now = performance.now();
    this.#lastAnswer = now;
    let a: Ack;
    try {
      a = JSON.parse(data.toString("utf8")) as Ack;
    } catch {
      this.#error(`unreadable answer ${data.toString("utf8").slice(0, 100)}`);
      return;
    }
    const tally = this.#tally;
    if (a.ack === null || a.ack === undefined) {
      // Names no frame: one of the frames in flight was refused (retry-after, or refused whole).
      this.#refused++;
      if (a.error?.code === "RETRY") {
        if (tally.measuring) tally.retryAnswers++;
        this.#resumeAt = Math.max(this.#resumeAt, now + (a.retryAfter ?? 1) * 1000);
      } else this.#error(`${a.error?.code}: ${a.error?.message}`);
    } else {
      const u = this.#inFlight.get(a.ack);
      if (u) {
        this.#forget(a.ack, u);
        if (a.error) this.#error(`frame ${a.ack}: ${a.error.code}: ${a.error.message}`);
        else {
          const accepted = a.accepted ?? 0;
          tally.totalReadingsAcked += accepted;
          if (tally.measuring) {
            tally.framesAcked++;
            tally.readingsAcked += accepted;
            tally.readingsRejected += a.rejected?.length ?? 0;
            tally.bytesAcked += u.bytes;
            tally.latency.record(now - u.firstSentAt);
            if (a.rejected && a.rejected.length > 0) tally.firstError ??= `rejected readings, e.g. ${JSON.stringify(a.rejected[0])}`;
          }
        }
      }
    }
    this.#pump();
  }
}
