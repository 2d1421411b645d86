// A virtual fleet over real WebSockets: devices (or gateways speaking for many devices) whose machines
// follow their zone's shifts, with chaos injected and recorded as ground truth. Deterministic for a
// seed (except for network timing).
import { encodeBinaryFrame } from "../ingest/frames/binary-encode.js";
import { SimClient } from "./client.js";
import { Machine, CHANNELS } from "./physics.js";
import { Random } from "./random.js";
import { SensorChaos, DEFAULT_CHAOS, type ChaosRates, type GroundTruth } from "./chaos.js";

export interface FleetOptions {
  /** ws://host:port/v1/ingest (with ?token=… when tokens are on). */
  url: string;
  devices: number;
  /** Devices per connection: 1 = each device its own socket; more = gateways. */
  devicesPerConnection: number;
  /** Readings per channel per second. */
  rateHz: number;
  format: "binary" | "json";
  seed: number;
  chaos: ChaosRates;
  /** Zones the devices are spread over (shifts start an hour apart per zone). */
  zones: number;
}

export const DEFAULT_FLEET: Omit<FleetOptions, "url"> = {
  devices: 200,
  devicesPerConnection: 20,
  rateHz: 1,
  format: "binary",
  seed: 42,
  chaos: DEFAULT_CHAOS,
  zones: 4,
};

interface SimDevice {
  id: string;
  zone: string;
  machine: Machine;
  chaos: SensorChaos;
  /** Clock skew (µs) this device's clock runs ahead by. */
  skew: number;
}

interface Connection {
  client: SimClient;
  devices: SimDevice[];
  seq: number;
  /** A frame held back to be sent after the next one (out of order). */
  held: { seq: number; frame: Uint8Array | string } | undefined;
}

/** Totals across the fleet. */
export interface FleetStats {
  connections: number;
  connected: number;
  readingsSent: number;
  readingsAcked: number;
  framesPending: number;
  rejected: number;
  resent: number;
  reconnects: number;
  ackP99Ms: number;
}

export class Fleet {
  readonly truth: GroundTruth[] = [];
  readonly #connections: Connection[] = [];
  readonly #options: FleetOptions;
  readonly #random: Random;
  #timer: NodeJS.Timeout | undefined;
  #readingsSent = 0;

  constructor(options: FleetOptions) {
    this.#options = options;
    this.#random = new Random(options.seed);
    const devices: SimDevice[] = [];
    for (let d = 0; d < options.devices; d++) {
      const r = this.#random.fork(d);
      const zone = d % options.zones;
      const id = `machine-${String(d).padStart(5, "0")}`;
      devices.push({ id, zone: `zone-${zone}`, machine: new Machine(r, zone), chaos: new SensorChaos(id, r, options.chaos, this.truth), skew: 0 });
    }
    for (let i = 0; i < devices.length; i += options.devicesPerConnection) {
      this.#connections.push({ client: new SimClient(options.url), devices: devices.slice(i, i + options.devicesPerConnection), seq: 0, held: undefined });
    }
  }

  /** Device ids and zones (for registering the fleet's tags). */
  devices(): { id: string; zone: string }[] {
    return this.#connections.flatMap((c) => c.devices.map((d) => ({ id: d.id, zone: d.zone })));
  }

  /** Starts sending: one frame per connection per tick. */
  start(): void {
    const intervalMs = 1000 / this.#options.rateHz;
    let last = Date.now() * 1000;
    this.#timer = setInterval(() => {
      const now = Date.now() * 1000;
      const dt = (now - last) / 1e6;
      last = now;
      for (const c of this.#connections) this.#tick(c, now, dt);
    }, intervalMs);
  }

  #tick(c: Connection, now: number, dt: number): void {
    const chaos = this.#options.chaos;
    const r = this.#random;
    c.client.resendStale(5000);
    const devices: string[] = [];
    const deviceIds: number[] = [];
    const channelIds: number[] = [];
    const ts: number[] = [];
    const values: number[] = [];
    for (const d of c.devices) {
      if (r.chance(chaos.skew)) {
        // Whole µs: frames carry integral timestamps, and the encoder refuses any other.
        d.skew = (r.chance(0.5) ? 1 : -1) * Math.round((30 + r.next() * 600) * 1e6);
        this.truth.push({ device: d.id, kind: "skew", from: now, to: now + 3.6e9 });
      }
      const reading = d.machine.step(now, dt);
      const di = devices.push(d.id) - 1;
      CHANNELS.forEach((ch, ci) => {
        deviceIds.push(di);
        channelIds.push(ci);
        ts.push(now + d.skew);
        values.push(d.chaos.apply(ch, now, reading[ch]));
      });
    }
    const seq = ++c.seq;
    const frame = this.#encode(seq, devices, deviceIds, channelIds, ts, values);
    this.#readingsSent += values.length;
    if (r.chance(chaos.disconnect)) {
      for (const d of c.devices) this.truth.push({ device: d.id, kind: "disconnect", from: now, to: now + 1e6 });
      c.client.drop();
    }
    if (r.chance(chaos.corrupt)) {
      const bad = typeof frame === "string" ? frame.slice(0, frame.length >> 1) : frame.slice(0, frame.length >> 1);
      c.client.sendRaw(bad);
      for (const d of c.devices) this.truth.push({ device: d.id, kind: "corrupt", from: now, to: now });
    }
    if (r.chance(chaos.loss)) {
      for (const d of c.devices) this.truth.push({ device: d.id, kind: "loss", from: now, to: now });
      return;
    }
    if (c.held) {
      c.client.send(seq, frame);
      c.client.send(c.held.seq, c.held.frame);
      c.held = undefined;
      return;
    }
    if (r.chance(chaos.out_of_order)) {
      c.held = { seq, frame };
      return;
    }
    c.client.send(seq, frame);
    if (r.chance(chaos.duplicate)) c.client.sendRaw(frame);
  }

  #encode(seq: number, devices: string[], device: number[], channel: number[], ts: number[], values: number[]): Uint8Array | string {
    if (this.#options.format === "json") {
      return JSON.stringify({
        seq,
        readings: values.map((v, i) => ({ device: devices[device[i]], channel: CHANNELS[channel[i]], ts: ts[i], value: v })),
      });
    }
    return encodeBinaryFrame(seq, {
      devices,
      channels: [...CHANNELS],
      device: Uint32Array.from(device),
      channel: Uint32Array.from(channel),
      timestamps: Float64Array.from(ts),
      values: Float64Array.from(values),
    });
  }

  stats(): FleetStats {
    const s: FleetStats = { connections: this.#connections.length, connected: 0, readingsSent: this.#readingsSent, readingsAcked: 0, framesPending: 0, rejected: 0, resent: 0, reconnects: 0, ackP99Ms: 0 };
    const latencies: number[] = [];
    for (const c of this.#connections) {
      const cs = c.client.stats;
      if (c.client.connected) s.connected++;
      s.readingsAcked += cs.readingsAcked;
      s.framesPending += c.client.pending;
      s.rejected += cs.rejected;
      s.resent += cs.resent;
      s.reconnects += cs.reconnects;
      latencies.push(...cs.ackLatencies);
    }
    latencies.sort((a, b) => a - b);
    s.ackP99Ms = latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))] : 0;
    return s;
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    for (const c of this.#connections) c.client.close();
  }
}
