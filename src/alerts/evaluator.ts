// Rules against the stream. Reading rules (threshold, rate of change, the registry's critical limits,
// absence) are evaluated on arrival, batch by batch, before the batch waits for the archive: that is
// the ingest triage, so a critical reading's alert never queues behind routine traffic. Kernel rules
// (anomaly score, health findings) are evaluated on the workers' per-series signals. Which rules watch
// a series is worked out once per series; a batch costs one table lookup per reading for channels no
// rule names, and a comparison per rule otherwise.
import type { SeriesSignal, SignalFilter } from "../analytics/stream-analytics.js";
import type { AlertBook, Track } from "./lifecycle.js";
import type { AlertRule } from "./rules.js";
import { compileMatch, type SeriesPredicate } from "../analytics/series-match.js";
import { REGISTRY_CRITICAL } from "./rules.js";

export type { SeriesSignal, SignalFilter } from "../analytics/stream-analytics.js";

/** The columns of a batch of accepted readings (as intake holds them). */
export interface ReadingBatch {
  devices: readonly string[];
  channels: readonly string[];
  device: Uint32Array;
  channel: Uint32Array;
  timestamps: Float64Array;
  values: Float64Array;
  flags: Uint8Array;
}

/** What the evaluator needs to know of devices (the registry's view). */
export interface DeviceFacts {
  tags(device: string): Record<string, string> | undefined;
  /** Whether the registry gives the series critical limits. */
  hasCriticalLimits(device: string, channel: string): boolean;
  /** Channels the registry gives critical limits on any device. */
  criticalChannels: ReadonlySet<string>;
  /** The flag bit validation sets on a reading beyond its critical limits. */
  criticalFlag: number;
}

interface CompiledRule extends SeriesPredicate {
  rule: AlertRule;
}

function compile(rule: AlertRule): CompiledRule {
  return { rule, ...compileMatch(rule.match) };
}

/** A series some reading rule watches: its tracks and what rate of change and absence need. */
interface Watched {
  tracks: Track[];
  /** Its absence rules' tracks, cleared when it reports. */
  absent: Track[];
  prevTs: number;
  prevValue: number;
  /** Wall time (µs) of its last reading. */
  lastArrival: number;
}

/** Batches with up to this many (device, channel) cells look series up in a table, larger ones in a map. */
const TABLE_CELLS = 1 << 18;

const READING_KINDS = new Set(["threshold", "rate", "absence", "critical"]);

export class RuleEvaluator {
  readonly #book: AlertBook;
  readonly #facts: DeviceFacts;
  readonly #readingRules: CompiledRule[];
  readonly #signalRules: CompiledRule[];
  readonly #byChannel = new Map<string, CompiledRule[] | null>();
  readonly #watched = new Map<string, Map<string, Watched | null>>();
  readonly #signalTracks = new Map<string, Map<string, Track[] | null>>();
  readonly #absence: { track: Track; series: Watched }[] = [];
  /** Tracks of the registry's critical limits that are breached, pending or firing. */
  readonly #criticalActive = new Set<Track>();
  readonly filter: SignalFilter;

  /** `now`: wall time (µs) the series that absence rules name exactly start being waited for. */
  constructor(rules: AlertRule[], registryCritical: boolean, facts: DeviceFacts, book: AlertBook, now: number) {
    this.#book = book;
    this.#facts = facts;
    const all = (registryCritical ? [REGISTRY_CRITICAL, ...rules] : rules).map(compile);
    this.#readingRules = all.filter((r) => READING_KINDS.has(r.rule.condition.kind));
    this.#signalRules = all.filter((r) => !READING_KINDS.has(r.rule.condition.kind));
    let anomalyAbove = Infinity;
    let findings = 0;
    for (const { rule } of this.#signalRules) {
      if (rule.condition.kind === "anomaly") anomalyAbove = Math.min(anomalyAbove, rule.condition.above);
      if (rule.condition.kind === "health") findings |= rule.condition.mask;
    }
    this.filter = { anomalyAbove, findings };
    // Absence of a series named exactly is waited for from the start, even if it never reports.
    for (const { rule } of this.#readingRules) {
      const { devices, channels } = rule.match;
      if (rule.condition.kind !== "absence" || !devices || !channels) continue;
      for (const d of devices) for (const c of channels) if (!d.includes("*") && !c.includes("*")) this.#series(d, c, now);
    }
  }

  /** How many (rule, series) pairs are watched. */
  get tracks(): number {
    let n = 0;
    for (const channels of this.#watched.values()) for (const w of channels.values()) n += w ? w.tracks.length + w.absent.length : 0;
    for (const channels of this.#signalTracks.values()) for (const t of channels.values()) n += t ? t.length : 0;
    return n;
  }

  #channelRules(channel: string): CompiledRule[] | null {
    let rules = this.#byChannel.get(channel);
    if (rules === undefined) {
      const critical = this.#facts.criticalChannels.has(channel);
      const matching = this.#readingRules.filter((r) => (!r.channel || r.channel(channel)) && (r.rule.condition.kind !== "critical" || critical));
      this.#byChannel.set(channel, (rules = matching.length ? matching : null));
    }
    return rules;
  }

  #series(device: string, channel: string, now: number): Watched | null {
    let channels = this.#watched.get(device);
    if (!channels) this.#watched.set(device, (channels = new Map()));
    let w = channels.get(channel);
    if (w !== undefined) return w;
    const tags = this.#facts.tags(device);
    const tracks: Track[] = [];
    for (const r of this.#channelRules(channel) ?? []) {
      if (!r.device(device, tags)) continue;
      if (r.rule.condition.kind === "critical" && !this.#facts.hasCriticalLimits(device, channel)) continue;
      tracks.push(this.#book.track(r.rule, device, channel));
    }
    const absent = tracks.filter((t) => t.rule.condition.kind === "absence");
    w = tracks.length ? { tracks: tracks.filter((t) => t.rule.condition.kind !== "absence"), absent, prevTs: -Infinity, prevValue: 0, lastArrival: now } : null;
    if (w) for (const t of absent) this.#absence.push({ track: t, series: w });
    channels.set(channel, w);
    return w;
  }

  /** Evaluates the reading rules on a batch that arrived at wall time `now` (µs). */
  observe(batch: ReadingBatch, now: number): void {
    const rules = batch.channels.map((c) => this.#channelRules(c));
    if (rules.every((r) => r === null)) return;
    // Channels only the registry's critical limits watch: while no such alert is open or pending, only
    // readings flagged critical need looking at.
    const criticalOnly = rules.map((r) => r !== null && r.every((x) => x.rule.condition.kind === "critical"));
    const width = batch.channels.length;
    const cells = batch.devices.length * width;
    // Per (device, channel) of the batch: 0 not looked up yet, −1 watched by no rule, k + 1 for watched[k].
    const table = cells <= TABLE_CELLS ? new Int32Array(cells) : undefined;
    const far = table ? undefined : new Map<number, number>();
    const watched: Watched[] = [];
    const critical = this.#facts.criticalFlag;
    for (let i = 0; i < batch.values.length; i++) {
      const c = batch.channel[i];
      if (rules[c] === null || (criticalOnly[c] && this.#criticalActive.size === 0 && !(batch.flags[i] & critical))) continue;
      const key = batch.device[i] * width + c;
      let k = table ? table[key] : (far!.get(key) ?? 0);
      if (k === 0) {
        const w = this.#series(batch.devices[batch.device[i]], batch.channels[c], now);
        k = w ? watched.push(w) : -1;
        if (table) table[key] = k;
        else far!.set(key, k);
        if (w) {
          w.lastArrival = now;
          // A series that reported ends its absence.
          for (const t of w.absent) if (t.breaches > 0 || t.alert) this.#book.clear(t, now);
        }
      }
      if (k < 0) continue;
      const w = watched[k - 1];
      const v = batch.values[i];
      const ts = batch.timestamps[i];
      const tracks = w.tracks;
      for (let j = 0; j < tracks.length; j++) {
        const t = tracks[j];
        const cond = t.rule.condition;
        let breached: boolean;
        let value = v;
        if (cond.kind === "threshold") breached = v > (cond.above ?? Infinity) || v < (cond.below ?? -Infinity);
        else if (cond.kind === "critical") breached = (batch.flags[i] & critical) !== 0;
        else if (cond.kind === "rate") {
          if (!(ts > w.prevTs)) continue;
          value = ((v - w.prevValue) / (ts - w.prevTs)) * 1e6 * cond.perSeconds;
          breached = value > (cond.above ?? Infinity) || value < (cond.below ?? -Infinity);
        } else continue;
        if (breached) this.#book.breach(t, value, ts, now);
        else if (t.breaches > 0 || t.alert) this.#book.clear(t, now);
        if (cond.kind === "critical") {
          if (t.breaches > 0 || t.alert) this.#criticalActive.add(t);
          else this.#criticalActive.delete(t);
        }
      }
      if (ts > w.prevTs) {
        w.prevTs = ts;
        w.prevValue = v;
      }
    }
  }

  /** Evaluates the anomaly and health rules on the workers' signals, received at wall time `now`. */
  signals(list: SeriesSignal[], now: number): void {
    if (this.#signalRules.length === 0) return;
    for (const s of list) {
      let channels = this.#signalTracks.get(s.device);
      if (!channels) this.#signalTracks.set(s.device, (channels = new Map()));
      let tracks = channels.get(s.channel);
      if (tracks === undefined) {
        const tags = this.#facts.tags(s.device);
        const found = this.#signalRules.filter((r) => (!r.channel || r.channel(s.channel)) && r.device(s.device, tags)).map((r) => this.#book.track(r.rule, s.device, s.channel));
        channels.set(s.channel, (tracks = found.length ? found : null));
      }
      for (const t of tracks ?? []) {
        const cond = t.rule.condition;
        const value = cond.kind === "anomaly" ? s.anomaly : s.findings;
        const breached = cond.kind === "anomaly" ? s.anomaly >= cond.above : cond.kind === "health" && (s.findings & cond.mask) !== 0;
        if (breached) this.#book.breach(t, value, s.at, now);
        else if (t.breaches > 0 || t.alert) this.#book.clear(t, now);
      }
    }
  }

  /** Breaches absence rules of series silent too long by wall time `now` (µs); run it every second or so. */
  sweep(now: number): void {
    for (const { track, series } of this.#absence) {
      const cond = track.rule.condition;
      if (cond.kind !== "absence") continue;
      const silent = (now - series.lastArrival) / 1e6;
      if (silent > cond.seconds) this.#book.breach(track, silent, now, now);
    }
  }
}
