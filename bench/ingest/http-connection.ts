// One keep-alive HTTP connection posting pre-encoded line-protocol bodies one after another, as
// Telegraf's outputs.influxdb does: 204 is an acknowledgement, 503 a retry-after (the same body is
// posted again after the pause it names), anything else refuses the body.
import http from "node:http";
import type { FramePool } from "./frames.js";
import type { Tally } from "./ws-connection.js";

export class HttpConnection {
  readonly #url: URL;
  readonly #pool: FramePool;
  readonly #tally: Tally;
  /** One socket per connection, kept open between requests. */
  readonly #agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  #stopped = false;
  #busy = false;
  #next = 0;

  constructor(url: string, pool: FramePool, tally: Tally) {
    this.#url = new URL(url);
    this.#pool = pool;
    this.#tally = tally;
  }

  get isOpen(): boolean {
    return true;
  }

  get unanswered(): number {
    return this.#busy ? 1 : 0;
  }

  start(): void {
    void this.#loop();
  }

  stop(): void {
    this.#stopped = true;
  }

  close(): void {
    this.#agent.destroy();
  }

  async #loop(): Promise<void> {
    const { frames, readings } = this.#pool;
    const tally = this.#tally;
    const shifted = new Float64Array(frames.length);
    while (!this.#stopped) {
      const f = this.#next % frames.length;
      const pass = Math.floor(this.#next / frames.length);
      this.#next++;
      if (this.#next % frames.length === 0) tally.poolWraps++;
      // A body is only rewritten once its previous request has been answered (one request at a time).
      const shift = pass * (this.#pool.spanUs ?? 0);
      if (this.#pool.restamp && shifted[f] !== shift) {
        this.#pool.restamp(f, shift);
        shifted[f] = shift;
      }
      this.#busy = true;
      const started = performance.now();
      for (let attempt = 1; ; attempt++) {
        const { status, body, retryAfter } = await this.#post(frames[f]);
        if (status === 204 || status === 200) {
          tally.totalReadingsAcked += readings[f];
          if (tally.measuring) {
            tally.framesAcked++;
            tally.readingsAcked += readings[f];
            tally.bytesAcked += frames[f].length;
            tally.latency.record(performance.now() - started);
          }
          break;
        }
        if (status === 503 && attempt < 20) {
          if (tally.measuring) {
            tally.retryAnswers++;
            tally.resent++;
          }
          await new Promise((r) => setTimeout(r, retryAfter * 1000));
          continue;
        }
        if (tally.measuring) {
          tally.frameErrors++;
          tally.firstError ??= `HTTP ${status}: ${body.slice(0, 300)}`;
        }
        break;
      }
      this.#busy = false;
    }
  }

  #post(body: Buffer): Promise<{ status: number; body: string; retryAfter: number }> {
    return new Promise((resolve) => {
      const req = http.request(
        this.#url,
        { method: "POST", agent: this.#agent, headers: { "content-type": "text/plain; charset=utf-8", "content-length": body.length } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), retryAfter: Number(res.headers["retry-after"] ?? 1) || 1 }),
          );
        },
      );
      req.on("error", (err) => resolve({ status: 0, body: err.message, retryAfter: 1 }));
      req.end(body);
    });
  }
}
