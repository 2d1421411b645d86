// A worker's live analytics: every batch it archives is scored (anomaly) and judged (health) per series,
// against zone peers, and folded into a per-device health view that `GET /v1/health` serves. Series
// get kernel slots as they are first seen; a device's zone comes from the registry tags. A series first
// seen on a device that has reported for a while is a schema change (SCHEMA), found here, not in a kernel.
import { ReadingSlots } from "./reading-slots.js";
import type { ReadingColumns } from "../archive/batch.js";
import { AnalyticsKernels, HEALTH, findingNames, type HealthFinding } from "./kernels.js";
import { PeerLevels } from "./peer-levels.js";
import { SeriesStates } from "./series-states.js";

/** How bad each finding is, and what it means to the operator. */
const FINDINGS: Record<HealthFinding, { severity: "critical" | "warning" | "info"; penalty: number; explanation: string }> = {
  SPIKE: { severity: "warning", penalty: 5, explanation: "a reading far outside the usual spread that came straight back" },
  STUCK: { severity: "critical", penalty: 40, explanation: "the value has repeated for longer than this sensor ever repeats" },
  GAP: { severity: "warning", penalty: 15, explanation: "nothing arrived for several times the learned reporting interval" },
  RATE: { severity: "info", penalty: 10, explanation: "readings arrive at a different rate than learned" },
  DRIFT: { severity: "critical", penalty: 30, explanation: "a slow bias against the zone's peers (or the series' own start) beyond anything seen while learning" },
  OUT_OF_RANGE: { severity: "critical", penalty: 30, explanation: "readings outside the registry's valid range" },
  SKEW: { severity: "warning", penalty: 15, explanation: "the device clock differs from arrival time beyond the tolerance" },
  DUPLICATE: { severity: "info", penalty: 0, explanation: "a timestamp repeated" },
  LATE: { severity: "info", penalty: 0, explanation: "a timestamp older than the one before" },
  REPLAY: { severity: "info", penalty: 0, explanation: "a backlog being replayed after an outage, faster than it was taken" },
  SCHEMA: { severity: "info", penalty: 5, explanation: "a channel new to a device that had been reporting its channels for a while (a firmware update or a reconfiguration)" },
};
const EVENTS = HEALTH.SPIKE | HEALTH.GAP | HEALTH.DUPLICATE | HEALTH.LATE | HEALTH.SCHEMA;
/**
 * How long after a device's first reading its channels may still appear without being a schema change
 * (µs): a device's channels can come in different batches while it starts, and a gateway's in turn.
 */
const SCHEMA_SETTLE_US = 5 * 60e6;
/** How long an event counts against a device's health score, µs. */
const EVENT_MEMORY_US = 15 * 60e6;

/** One finding on one of a device's channels. */
export interface HealthIssue {
  channel: string;
  finding: HealthFinding;
  severity: "critical" | "warning" | "info";
  explanation: string;
  /** When it was last seen (µs, arrival time); conditions are in force now, events happened then. */
  at: number;
}

/** A device's health: 100 = nothing found, lower the more and the worse its findings. */
export interface DeviceHealth {
  device: string;
  zone?: string;
  score: number;
  issues: HealthIssue[];
  /** The highest anomaly score of its readings in the last batch that had any. */
  anomaly: number;
  lastSeen: number;
}

/** What the analytics saw of one series in one batch, sent on to alert rules when it matters to them. */
export interface SeriesSignal {
  device: string;
  channel: string;
  /** Highest anomaly score of the batch's readings. */
  anomaly: number;
  /** Health findings (HEALTH bits) of the batch's readings, together. */
  findings: number;
  /** Event time (µs) of the series' last reading in the batch (for a silence: the sweep's time). */
  at: number;
}

/** Which series' signals alert rules need: anomaly from `anomalyAbove` up, and changes of the `findings` bits. */
export interface SignalFilter {
  anomalyAbove: number;
  findings: number;
}

/** No rule needs anything. */
export const NO_SIGNALS: SignalFilter = { anomalyAbove: Infinity, findings: 0 };

/** The live analytics of one worker. */
export class StreamAnalytics {
  readonly #kernels: AnalyticsKernels;
  readonly #peers = new PeerLevels();
  readonly #slots = new ReadingSlots((device, channel) => this.#newSlot(device, channel));
  readonly #series = new SeriesStates();
  readonly #zones = new Map<string, string>();
  readonly #groups = new Map<string, number>();
  /** Per device: arrival time (µs) of the batch that brought its first series. */
  readonly #since = new Map<string, number>();
  #filter: SignalFilter = NO_SIGNALS;

  private constructor(kernels: AnalyticsKernels) {
    this.#kernels = kernels;
  }

  static async create(module?: WebAssembly.Module): Promise<StreamAnalytics> {
    return new StreamAnalytics(await AnalyticsKernels.create({ learnReadings: 600, suppressReadings: 40, module }));
  }

  /** Records a device's zone (registry tags), whose peers its drift is judged against. */
  defineDevice(device: string, tags: Record<string, string>): void {
    if (tags.zone !== undefined) this.#zones.set(device, tags.zone);
  }

  #newSlot(device: string, channel: string): number {
    const slot = this.#series.add(device, channel);
    const zone = this.#zones.get(device);
    if (zone !== undefined) {
      const groupKey = `${zone}\u0000${channel}`;
      let group = this.#groups.get(groupKey);
      if (group === undefined) this.#groups.set(groupKey, (group = this.#groups.size));
      this.#peers.add(slot, group);
    }
    return slot;
  }

  /** Sets what observe() and sweep() signal (alert rules' needs). */
  setSignalFilter(filter: SignalFilter): void {
    this.#filter = filter;
  }

  /** Scores and judges a batch that arrived at `arrival` (µs); returns the signals the filter asks for. */
  observe(batch: ReadingColumns, arrival: number): SeriesSignal[] {
    const n = batch.values.length;
    if (n === 0) return [];
    const known = this.#series.size;
    const slots = this.#slots.of(batch);
    const scores = new Float64Array(n);
    const findings = new Uint32Array(n);
    const reference = this.#peers.levels(slots, batch.values, arrival);
    this.#kernels.analyze(slots, batch.timestamps, new Float64Array(n).fill(arrival), batch.values, reference, scores, findings);
    if (this.#series.size > known) this.#markSchemaChanges(slots, findings, known, arrival);
    this.#series.record(slots, findings, scores, arrival, EVENTS);
    return this.#signals(slots, scores, findings, batch.timestamps);
  }

  /**
   * For the series this batch brought (slots from `known` on): notes when each device was first seen,
   * and adds SCHEMA to the first reading of a series new to a device seen long enough before.
   */
  #markSchemaChanges(slots: Int32Array, findings: Uint32Array, known: number, arrival: number): void {
    const seen = new Set<number>();
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i];
      if (slot < known || seen.has(slot)) continue;
      seen.add(slot);
      const device = this.#series.devices[slot];
      const since = this.#since.get(device);
      if (since === undefined) this.#since.set(device, arrival);
      else if (arrival - since >= SCHEMA_SETTLE_US) findings[i] |= HEALTH.SCHEMA;
    }
  }

  /** Per series of the batch: its signal, when the anomaly reaches the filter's (or just fell below it) or its filtered findings changed. */
  #signals(slots: Int32Array, scores: Float64Array, findings: Uint32Array, timestamps: Float64Array): SeriesSignal[] {
    const { anomalyAbove, findings: mask } = this.#filter;
    if (anomalyAbove === Infinity && mask === 0) return [];
    const seen = new Map<number, SeriesSignal>();
    for (let i = 0; i < slots.length; i++) {
      let sig = seen.get(slots[i]);
      if (!sig) seen.set(slots[i], (sig = { device: this.#series.devices[slots[i]], channel: this.#series.channels[slots[i]], anomaly: 0, findings: 0, at: timestamps[i] }));
      sig.anomaly = Math.max(sig.anomaly, scores[i]);
      sig.findings |= findings[i];
      sig.at = timestamps[i];
    }
    const out: SeriesSignal[] = [];
    for (const [slot, sig] of seen) if (this.#changed(slot, sig)) out.push(sig);
    return out;
  }

  #changed(slot: number, sig: SeriesSignal): boolean {
    const high = sig.anomaly >= this.#filter.anomalyAbove;
    const f = sig.findings & this.#filter.findings;
    const s = this.#series;
    const changed = high || s.signalledHigh[slot] === 1 || f !== s.signalledFindings[slot];
    s.signalledHigh[slot] = high ? 1 : 0;
    s.signalledFindings[slot] = f;
    return changed;
  }

  /** Looks for series gone silent by `now` (µs); run it every second or so. Returns the signals the filter asks for. */
  sweep(now: number): SeriesSignal[] {
    const silent = this.#kernels.sweepSilence(now);
    const out: SeriesSignal[] = [];
    for (let slot = 0; slot < silent.length; slot++) {
      if (!(silent[slot] & HEALTH.GAP)) continue;
      this.#series.event(slot, "GAP", now);
      const sig = { device: this.#series.devices[slot], channel: this.#series.channels[slot], anomaly: 0, findings: HEALTH.GAP, at: now };
      if (this.#filter.findings & HEALTH.GAP && this.#changed(slot, sig)) out.push(sig);
    }
    return out;
  }

  /** Every device this worker has heard from, least healthy first. */
  health(now: number): DeviceHealth[] {
    const devices = new Map<string, DeviceHealth>();
    const s = this.#series;
    for (let slot = 0; slot < s.size; slot++) {
      const device = s.devices[slot];
      let d = devices.get(device);
      if (!d) devices.set(device, (d = { device, zone: this.#zones.get(device), score: 100, issues: [], anomaly: 0, lastSeen: 0 }));
      d.anomaly = Math.max(d.anomaly, s.anomaly[slot]);
      d.lastSeen = Math.max(d.lastSeen, s.lastSeen[slot]);
      const issue = (finding: HealthFinding, at: number): HealthIssue => {
        const { severity, explanation } = FINDINGS[finding];
        return { channel: s.channels[slot], finding, severity, explanation, at };
      };
      for (const f of findingNames(s.findings[slot])) d.issues.push(issue(f, s.lastSeen[slot]));
      const events = s.events.get(slot);
      if (!events) continue;
      for (const [f, at] of events) {
        if (now - at > EVENT_MEMORY_US) events.delete(f);
        else d.issues.push(issue(f, at));
      }
      if (events.size === 0) s.events.delete(slot);
    }
    for (const d of devices.values()) d.score = Math.max(0, 100 - d.issues.reduce((sum, i) => sum + FINDINGS[i.finding].penalty, 0));
    return [...devices.values()].sort((a, b) => a.score - b.score || a.device.localeCompare(b.device));
  }
}
