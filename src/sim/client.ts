// One simulated connection (a device, or a gateway speaking for many): sends numbered frames over a
// real WebSocket, keeps every frame until its acknowledgement arrives, resends the unacknowledged ones
// after a reconnect, and backs off (with jitter) while the server is away or asks it to retry.
import WebSocket from "ws";

export interface ClientStats {
  framesSent: number;
  framesAcked: number;
  readingsAcked: number;
  rejected: number;
  resent: number;
  reconnects: number;
  /** Frames given up after too many unanswered sends (the server could not read them). */
  abandoned: number;
  ackLatencies: number[];
}

export class SimClient {
  readonly stats: ClientStats = { framesSent: 0, framesAcked: 0, readingsAcked: 0, rejected: 0, resent: 0, reconnects: 0, abandoned: 0, ackLatencies: [] };
  readonly #url: string;
  readonly #unacked = new Map<number, { frame: Uint8Array | string; sentAt: number; attempts: number }>();
  #socket: WebSocket | undefined;
  #open = false;
  #stopped = false;
  #backoff = 200;

  constructor(url: string) {
    this.#url = url;
    this.#connect();
  }

  get connected(): boolean {
    return this.#open;
  }

  /** Frames sent but not yet acknowledged. */
  get pending(): number {
    return this.#unacked.size;
  }

  /** Sends frame `seq` now if connected; it is kept for resending until acknowledged. */
  send(seq: number, frame: Uint8Array | string): void {
    this.#unacked.set(seq, { frame, sentAt: performance.now(), attempts: 1 });
    if (this.#open) {
      this.#socket!.send(frame);
      this.stats.framesSent++;
    }
  }

  /** Sends bytes that are not a numbered frame (a corrupt frame, on purpose). */
  sendRaw(frame: Uint8Array | string): void {
    if (this.#open) this.#socket!.send(frame);
  }

  /** Drops the connection (as a device losing its link would); it reconnects by itself. */
  drop(): void {
    this.#socket?.terminate();
  }

  close(): void {
    this.#stopped = true;
    this.#socket?.close();
  }

  #connect(): void {
    if (this.#stopped) return;
    const socket = new WebSocket(this.#url);
    this.#socket = socket;
    socket.on("open", () => {
      this.#open = true;
      this.#backoff = 200;
      for (const [, u] of this.#unacked) {
        socket.send(u.frame);
        this.stats.resent++;
      }
    });
    socket.on("message", (data) => this.#onAck(String(data)));
    socket.on("close", () => {
      this.#open = false;
      if (this.#stopped) return;
      this.stats.reconnects++;
      const wait = this.#backoff * (0.5 + Math.random());
      this.#backoff = Math.min(this.#backoff * 2, 10_000);
      setTimeout(() => this.#connect(), wait);
    });
    socket.on("error", () => undefined);
  }

  #onAck(text: string): void {
    let ack: { ack: number | null; accepted?: number; rejected?: unknown[]; error?: { code: string } };
    try {
      ack = JSON.parse(text);
    } catch {
      return;
    }
    if (ack.ack === null || ack.ack === undefined) return;
    const sent = this.#unacked.get(ack.ack);
    if (!sent) return;
    if (ack.error?.code === "RETRY") return; // kept: resent after the next reconnect or retry pass
    this.#unacked.delete(ack.ack);
    this.stats.framesAcked++;
    this.stats.readingsAcked += ack.accepted ?? 0;
    this.stats.rejected += ack.rejected?.length ?? 0;
    this.stats.ackLatencies.push(performance.now() - sent.sentAt);
    if (this.stats.ackLatencies.length > 10_000) this.stats.ackLatencies.splice(0, 5_000);
  }

  /** Resends frames unacknowledged for longer than `olderThanMs` (retry-after answers, lost acks). */
  resendStale(olderThanMs: number): void {
    if (!this.#open) return;
    const now = performance.now();
    for (const [seq, u] of this.#unacked) {
      if (now - u.sentAt < olderThanMs) continue;
      if (++u.attempts > 8) {
        this.#unacked.delete(seq);
        this.stats.abandoned++;
        continue;
      }
      u.sentAt = now;
      this.#socket!.send(u.frame);
      this.stats.resent++;
    }
  }
}
