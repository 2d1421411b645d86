// What a worker's live analytics remember of each series slot between batches: its names, the
// conditions and anomaly of its last batch, when it was last seen, what was last signalled for it, and
// the events it had lately. Column by column in typed arrays: every reading of every batch updates a
// slot, and a few dense columns are cheaper to touch (and hold) than an object per series.
import { findingNames, type HealthFinding } from "./kernels.js";

/** Per-series analytics state, by slot (0, 1, … in the order series were added). */
export class SeriesStates {
  readonly devices: string[] = [];
  readonly channels: string[] = [];
  /** Conditions (HEALTH bits, events excluded) of the series' last reading. */
  findings = new Uint32Array(64);
  /** Highest anomaly score of its readings in the last batch that had any. */
  anomaly = new Float64Array(64);
  /** Arrival time (µs) of its last batch. */
  lastSeen = new Float64Array(64);
  /** Last signalled: whether its anomaly was at or above the filter's, and its filtered findings. */
  signalledHigh = new Uint8Array(64);
  signalledFindings = new Uint32Array(64);
  /** Events seen lately and when, for the few series that had any. */
  readonly events = new Map<number, Map<HealthFinding, number>>();

  get size(): number {
    return this.devices.length;
  }

  /** A new slot for a series; returns it. */
  add(device: string, channel: string): number {
    const slot = this.devices.length;
    if (slot === this.findings.length) this.#grow(slot * 2);
    this.devices.push(device);
    this.channels.push(channel);
    return slot;
  }

  /** Takes a batch's kernel output (reading i: series `slots[i]`, HEALTH bits, anomaly score) that arrived at `at` (µs); `events` are the bits kept with their time. */
  record(slots: Int32Array, findings: Uint32Array, scores: Float64Array, at: number, events: number): void {
    const { findings: conditions, anomaly, lastSeen } = this;
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i];
      const f = findings[i];
      conditions[s] = f & ~events;
      if (f & events) for (const name of findingNames(f & events)) this.event(s, name, at);
      anomaly[s] = Math.max(scores[i], lastSeen[s] === at ? anomaly[s] : 0);
      lastSeen[s] = at;
    }
  }

  /** Notes event `name` of series `slot` at `at` (µs). */
  event(slot: number, name: HealthFinding, at: number): void {
    let events = this.events.get(slot);
    if (events === undefined) this.events.set(slot, (events = new Map()));
    events.set(name, at);
  }

  #grow(size: number): void {
    const grown = <T extends Uint8Array | Uint32Array | Float64Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(size);
      b.set(a);
      return b;
    };
    this.findings = grown(this.findings);
    this.anomaly = grown(this.anomaly);
    this.lastSeen = grown(this.lastSeen);
    this.signalledHigh = grown(this.signalledHigh);
    this.signalledFindings = grown(this.signalledFindings);
  }
}
