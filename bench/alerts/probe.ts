// The probe of the alert-latency bench: one device on its own connection that sends a reading beyond
// its registry critical limit, then one back within it, every `everyMs`; and a WS /v1/alerts
// subscriber that times each firing alert against the moment its breaching reading was sent. The
// frames' acknowledgements (durable) are timed too, to show alerts do not wait for the archive.
import WebSocket from "ws";
import { encodeBinaryFrame } from "../../src/ingest/frames/binary-encode.js";
import { LatencyHistogram } from "../ingest/histogram.js";

export const PROBE_DEVICE = "probe-1";
export const PROBE_CHANNEL = "pressure";
export const PROBE_LIMIT = 100;

export interface ProbeResult {
  breachesSent: number;
  alertsReceived: number;
  alert: LatencyHistogram;
  ack: LatencyHistogram;
}

const opened = (ws: WebSocket) => new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
const nowUs = () => Math.round((performance.timeOrigin + performance.now()) * 1000);

export class AlertProbe {
  readonly #device: WebSocket;
  readonly #alerts: WebSocket;
  readonly #sent = new Map<number, number>();
  readonly #acks = new Map<number, number>();
  readonly #result: ProbeResult = { breachesSent: 0, alertsReceived: 0, alert: new LatencyHistogram(), ack: new LatencyHistogram() };
  #timer: NodeJS.Timeout | undefined;
  #seq = 0;
  #measuring = false;

  private constructor(device: WebSocket, alerts: WebSocket) {
    this.#device = device;
    this.#alerts = alerts;
    alerts.on("message", (m) => {
      const e = JSON.parse(String(m)) as { type: string; alert?: { device: string; since: number } };
      if (e.type !== "firing" || e.alert?.device !== PROBE_DEVICE) return;
      const sentAt = this.#sent.get(e.alert.since);
      if (sentAt === undefined) return;
      this.#sent.delete(e.alert.since);
      this.#result.alertsReceived++;
      this.#result.alert.record(performance.now() - sentAt);
    });
    device.on("message", (m) => {
      const ack = (JSON.parse(String(m)) as { ack: number | null }).ack;
      const sentAt = ack === null ? undefined : this.#acks.get(ack);
      if (sentAt === undefined) return;
      this.#acks.delete(ack!);
      this.#result.ack.record(performance.now() - sentAt);
    });
  }

  static async connect(port: number): Promise<AlertProbe> {
    const device = new WebSocket(`ws://127.0.0.1:${port}/v1/ingest`);
    const alerts = new WebSocket(`ws://127.0.0.1:${port}/v1/alerts`);
    await Promise.all([opened(device), opened(alerts)]);
    return new AlertProbe(device, alerts);
  }

  #send(value: number): number {
    const ts = nowUs();
    const seq = ++this.#seq;
    this.#device.send(
      encodeBinaryFrame(seq, { devices: [PROBE_DEVICE], channels: [PROBE_CHANNEL], device: new Uint32Array(1), channel: new Uint32Array(1), timestamps: Float64Array.of(ts), values: Float64Array.of(value) }),
    );
    if (this.#measuring) this.#acks.set(seq, performance.now());
    return ts;
  }

  /** Starts the breach / clear cycle; breaches sent while measuring are timed. */
  start(everyMs: number): void {
    let breach = true;
    this.#timer = setInterval(() => {
      if (breach) {
        const ts = this.#send(PROBE_LIMIT * 1.5);
        if (this.#measuring) {
          this.#sent.set(ts, performance.now());
          this.#result.breachesSent++;
        }
      } else this.#send(PROBE_LIMIT / 2);
      breach = !breach;
    }, everyMs / 2);
  }

  measure(on: boolean): void {
    this.#measuring = on;
  }

  /** Stops sending, waits `graceMs` for late alerts, and gives what was measured. */
  async stop(graceMs: number): Promise<ProbeResult> {
    clearInterval(this.#timer);
    await new Promise((r) => setTimeout(r, graceMs));
    this.#device.close();
    this.#alerts.close();
    return this.#result;
  }
}
