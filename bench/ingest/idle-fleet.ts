// Many mostly idle device connections from one generator: opened at a bounded rate from explicit
// source addresses and ports (127.0.0.2…, ports below the ephemeral range), retried when the server
// answers 503 or a connect fails, each sending one small JSON frame every `sendEveryMs`.
import WebSocket from "ws";
import { deviceName } from "./frames.js";
import type { GeneratorConfig, IdleWorkload } from "./protocol.js";
import { zeroMask, type Tally } from "./ws-connection.js";

/** Sends are spread over this many slots of the interval, so they do not all go at once. */
const SLOT_MS = 100;
const MAX_CONNECT_ATTEMPTS = 8;

interface Device {
  index: number;
  ws: WebSocket | undefined;
  open: boolean;
  attempts: number;
  seq: number;
  /** seq → sent at (ms). */
  pending: Map<number, number>;
}

/** The loopback source address of a slot: 127.0.0.2, 127.0.0.3, … */
function sourceAddress(slot: number, portsPerAddress: number): string {
  const n = 2 + Math.floor(slot / portsPerAddress);
  if (n > 254) throw new Error(`BUG: slot ${slot} needs source address 127.0.0.${n}`);
  return `127.0.0.${n}`;
}

export class IdleFleet {
  readonly failed: Record<string, number> = {};
  readonly #config: GeneratorConfig;
  readonly #w: IdleWorkload;
  readonly #tally: Tally;
  readonly #devices: Device[];
  #toOpen: Device[];
  #open = 0;
  #stopping = false;
  #ramp: NodeJS.Timeout | undefined;
  #ticker: NodeJS.Timeout | undefined;
  #tick = 0;

  constructor(config: GeneratorConfig, w: IdleWorkload, tally: Tally) {
    this.#config = config;
    this.#w = w;
    this.#tally = tally;
    this.#devices = Array.from({ length: config.connections }, (_, i) => ({
      index: config.firstConnection + i,
      ws: undefined,
      open: false,
      attempts: 0,
      seq: 0,
      pending: new Map(),
    }));
    this.#toOpen = [...this.#devices];
  }

  get open(): number {
    return this.#open;
  }

  get unanswered(): number {
    let n = 0;
    for (const d of this.#devices) if (d.open) n += d.pending.size;
    return n;
  }

  start(): void {
    const perTick = Math.max(1, Math.round((this.#w.connectPerSecond * 50) / 1000));
    this.#ramp = setInterval(() => {
      for (const d of this.#toOpen.splice(0, perTick)) this.#connect(d);
      if (this.#toOpen.length === 0 && this.#devices.every((d) => d.open || d.attempts >= MAX_CONNECT_ATTEMPTS)) clearInterval(this.#ramp);
    }, 50);
    const slots = Math.max(1, Math.round(this.#w.sendEveryMs / SLOT_MS));
    this.#ticker = setInterval(() => {
      const slot = this.#tick++ % slots;
      for (let i = slot; i < this.#devices.length; i += slots) {
        const d = this.#devices[i];
        if (d.open && !this.#stopping) this.#send(d);
      }
    }, SLOT_MS);
  }

  #fail(d: Device, reason: string): void {
    this.failed[reason] = (this.failed[reason] ?? 0) + 1;
    if (this.#stopping || d.attempts >= MAX_CONNECT_ATTEMPTS) return;
    setTimeout(() => this.#toOpen.push(d), 500 + 1000 * Math.random());
  }

  #connect(d: Device): void {
    d.attempts++;
    const { firstPort, portsPerAddress, slotStride } = this.#w.sourcePorts;
    const slot = d.index + (d.attempts - 1) * slotStride;
    // libuv binds with SO_REUSEADDR, so a port whose last connection is in TIME_WAIT is usable again.
    const ws = new WebSocket(this.#config.url, {
      perMessageDeflate: false,
      generateMask: zeroMask,
      skipUTF8Validation: true,
      handshakeTimeout: 30_000,
      localAddress: sourceAddress(slot, portsPerAddress),
      localPort: firstPort + (slot % portsPerAddress),
    } as WebSocket.ClientOptions);
    d.ws = ws;
    let failed = false;
    ws.on("open", () => {
      d.open = true;
      this.#open++;
    });
    ws.on("unexpected-response", (_req, res) => {
      failed = true;
      this.#fail(d, `http_${res.statusCode}`);
      res.resume();
      ws.terminate();
    });
    ws.on("error", (err: NodeJS.ErrnoException) => {
      if (!d.open && !failed) {
        failed = true;
        this.#fail(d, err.code ?? err.message.slice(0, 60));
      }
    });
    ws.on("close", () => {
      if (d.open) {
        d.open = false;
        this.#open--;
        if (!this.#stopping) this.#tally.closed++;
      }
    });
    ws.on("message", (data: Buffer) => this.#onAnswer(d, data));
  }

  #send(d: Device): void {
    const seq = ++d.seq;
    const value = Math.round((20 + 10 * Math.sin(seq + d.index)) * 100) / 100;
    const frame = `{"seq":${seq},"readings":[{"device":"${deviceName("idle", d.index, 0)}","channel":"${this.#w.channels[seq % this.#w.channels.length]}","ts":${Date.now() * 1000},"value":${value}}]}`;
    d.pending.set(seq, performance.now());
    d.ws!.send(frame);
  }

  #onAnswer(d: Device, data: Buffer): void {
    let a: { ack: number | null; accepted?: number; error?: { code: string; message: string } };
    try {
      a = JSON.parse(data.toString("utf8"));
    } catch {
      return;
    }
    const tally = this.#tally;
    if (a.ack === null || a.ack === undefined) {
      // One frame in flight at a time: a retry-after refuses it; it is not resent (the next one comes in 10 s).
      if (tally.measuring) {
        if (a.error?.code === "RETRY") tally.retryAnswers++;
        else {
          tally.frameErrors++;
          tally.firstError ??= `${a.error?.code}: ${a.error?.message}`;
        }
      }
      const oldest = Math.min(...d.pending.keys());
      d.pending.delete(oldest);
      return;
    }
    const sentAt = d.pending.get(a.ack);
    if (sentAt === undefined) return;
    d.pending.delete(a.ack);
    tally.totalReadingsAcked += a.accepted ?? 0;
    if (tally.measuring) {
      tally.framesAcked++;
      tally.readingsAcked += a.accepted ?? 0;
      tally.latency.record(performance.now() - sentAt);
    }
  }

  stop(): void {
    this.#stopping = true;
    clearInterval(this.#ramp);
    clearInterval(this.#ticker);
  }

  close(): void {
    for (const d of this.#devices) d.ws?.terminate();
  }
}
