// A worker's live windows: every batch it archives goes through each window definition's kernel (the
// series the definition matches), and the windows that fire come out as results: per series at once,
// per device once the device's watermark passes the window's end (all its channels merged), per zone as
// this worker's part (the pool merges the parts of every worker). Late readings beyond the allowed
// lateness come out as the side output. Group windows take late updates until end + allowed lateness.
import type { ReadingColumns } from "../../archive/batch.js";
import { compileMatch, type SeriesPredicate } from "../series-match.js";
import { WindowKernel, WINDOW_FLAG, type FiredWindow } from "./window-kernel.js";
import { aggregate, type WindowState } from "./window-state.js";
import { groupWindowSpent, type WindowSpec } from "./window-spec.js";
import { ReadingSlots } from "../reading-slots.js";

/** A fired window of a series or a group, with the aggregates its definition asks for. */
export interface WindowResult {
  window: string;
  groupBy: WindowSpec["groupBy"];
  /** The series' or group's device; for a zone group `zone:<zone>`. */
  device: string;
  /** The source channel (series and zone groups); absent for a device group. */
  channel?: string;
  zone?: string;
  start: number;
  end: number;
  /** Fired again after a late reading changed it. */
  update: boolean;
  aggregates: Record<string, number>;
}

/** A reading of the late side output: too late for every window of `window` that could hold it. */
export interface LateReading {
  window: string;
  device: string;
  channel: string;
  ts: number;
  value: number;
}

/** This worker's part of a zone window: its member series merged, complete once `watermark` ≥ end. */
export interface ZonePart {
  window: string;
  zone: string;
  channel: string;
  state: WindowState;
}

/** This worker's watermark for a zone (the lowest of its member devices'). */
export interface ZoneWatermark {
  window: string;
  zone: string;
  watermark: number;
}

/** What a batch or a sweep produced. */
export interface WindowOutput {
  results: WindowResult[];
  late: LateReading[];
  zoneParts: ZonePart[];
  zoneWatermarks: ZoneWatermark[];
}

/** The readings of one group window, by member series slot, until its lateness runs out. */
interface GroupWindow {
  key: string;
  start: number;
  end: number;
  members: Map<number, WindowState>;
  /** Device slots whose watermark decides completeness. */
  devices: Set<number>;
  emitted: boolean;
  changed: boolean;
  /** When (µs, the clock) it was last emitted. */
  emittedAt: number;
}

interface Definition {
  spec: WindowSpec;
  kernel: WindowKernel;
  predicate: SeriesPredicate;
  /** Its slot of each (device, channel) pair (−1: not matched). */
  slots: ReadingSlots;
  series: { device: string; channel: string; deviceSlot: number }[];
  deviceSlots: Map<string, number>;
  groups: Map<string, GroupWindow>;
  /** zone → device slots of this worker in it. */
  zoneDevices: Map<string, Set<number>>;
}

/** The group a series belongs to under a definition, or undefined for per-series windows. */
function groupOf(spec: WindowSpec, device: string, channel: string, zone: string | undefined): string | undefined {
  if (spec.groupBy === "device") return device;
  if (spec.groupBy === "zone") return `${zone}\u0000${channel}`;
  return undefined;
}

/** A fired window's result: the aggregates its definition asks for. */
export function windowResult(spec: WindowSpec, s: WindowState, device: string, channel: string | undefined, zone?: string): WindowResult {
  const aggregates: Record<string, number> = {};
  for (const a of spec.aggregates) aggregates[a] = aggregate(s, a);
  return { window: spec.name, groupBy: spec.groupBy, device, channel, zone, start: s.start, end: s.end, update: s.update, aggregates };
}

/** The live windows of one worker. */
export class StreamWindows {
  readonly #defs: Definition[] = [];
  readonly #tags = new Map<string, Record<string, string>>();

  private constructor() {}

  static async create(specs: readonly WindowSpec[], module?: WebAssembly.Module): Promise<StreamWindows> {
    const windows = new StreamWindows();
    for (const spec of specs) {
      const def: Definition = {
        spec,
        kernel: await WindowKernel.create(spec, module),
        predicate: compileMatch(spec.match),
        slots: new ReadingSlots((device, channel) => windows.#newSlot(def, device, channel)),
        series: [],
        deviceSlots: new Map(),
        groups: new Map(),
        zoneDevices: new Map(),
      };
      windows.#defs.push(def);
    }
    return windows;
  }

  /** Records a device's registry tags (zone, type, …), which window matches read. */
  defineDevice(device: string, tags: Record<string, string>): void {
    this.#tags.set(device, tags);
  }

  /** The definition's slot for a series, or −1 when the definition does not match it. */
  #newSlot(def: Definition, device: string, channel: string): number {
    const tags = this.#tags.get(device);
    const zone = tags?.zone;
    const matches = (!def.predicate.channel || def.predicate.channel(channel)) && def.predicate.device(device, tags) && (def.spec.groupBy !== "zone" || zone !== undefined);
    if (!matches) return -1;
    let deviceSlot = def.deviceSlots.get(device);
    if (deviceSlot === undefined) def.deviceSlots.set(device, (deviceSlot = def.deviceSlots.size));
    if (zone !== undefined && def.spec.groupBy === "zone") {
      let members = def.zoneDevices.get(zone);
      if (!members) def.zoneDevices.set(zone, (members = new Set()));
      members.add(deviceSlot);
    }
    def.series.push({ device, channel, deviceSlot });
    return def.series.length - 1;
  }

  /** Takes a batch that arrived at `arrival` (µs) through every definition. */
  observe(batch: ReadingColumns, arrival: number): WindowOutput {
    const out: WindowOutput = { results: [], late: [], zoneParts: [], zoneWatermarks: [] };
    const n = batch.values.length;
    for (const def of this.#defs) {
      const bySeries = def.slots.of(batch);
      const rows: number[] = [];
      for (let i = 0; i < n; i++) if (bySeries[i] >= 0) rows.push(i);
      if (rows.length === 0) continue;
      const m = rows.length;
      const slots = new Int32Array(m);
      const devices = new Int32Array(m);
      const ts = new Float64Array(m);
      const values = new Float64Array(m);
      for (let j = 0; j < m; j++) {
        const i = rows[j];
        slots[j] = bySeries[i];
        devices[j] = def.series[slots[j]].deviceSlot;
        ts[j] = batch.timestamps[i];
        values[j] = batch.values[i];
      }
      const flags = new Uint8Array(m);
      out.results.push(...this.#fired(def, def.kernel.push(slots, devices, ts, values, arrival, flags)));
      for (let j = 0; j < m; j++) {
        if (flags[j] !== WINDOW_FLAG.LATE) continue;
        const s = def.series[slots[j]];
        out.late.push({ window: def.spec.name, device: s.device, channel: s.channel, ts: ts[j], value: values[j] });
      }
    }
    return out;
  }

  /** Moves idle devices' watermarks on by the clock (`now`, µs), fires what is due, and reports zone parts. */
  sweep(now: number): WindowOutput {
    const out: WindowOutput = { results: [], late: [], zoneParts: [], zoneWatermarks: [] };
    for (const def of this.#defs) {
      out.results.push(...this.#fired(def, def.kernel.sweep(now)));
      this.#emitGroups(def, out, now);
      for (const [zone, members] of def.zoneDevices) out.zoneWatermarks.push({ window: def.spec.name, zone, watermark: this.#lowest(def, members) });
    }
    return out;
  }

  #lowest(def: Definition, devices: Set<number>): number {
    let wm = Infinity;
    for (const d of devices) wm = Math.min(wm, def.kernel.watermark(d));
    return wm;
  }

  /** Per-series results of what fired; group members are kept for the sweep that emits their group. */
  #fired(def: Definition, fired: FiredWindow[]): WindowResult[] {
    const spec = def.spec;
    const results: WindowResult[] = [];
    for (const { slot, state } of fired) {
      const s = def.series[slot];
      const zone = this.#tags.get(s.device)?.zone;
      const group = groupOf(spec, s.device, s.channel, zone);
      if (group === undefined) {
        results.push(windowResult(spec, state, s.device, s.channel, zone));
        continue;
      }
      const key = `${group}\u0000${state.end}`;
      let g = def.groups.get(key);
      if (!g) {
        const devices = spec.groupBy === "zone" ? def.zoneDevices.get(zone!)! : new Set([s.deviceSlot]);
        def.groups.set(key, (g = { key: group, start: state.start, end: state.end, members: new Map(), devices, emitted: false, changed: false, emittedAt: 0 }));
      }
      g.members.set(slot, state);
      g.changed = true;
    }
    return results;
  }

  /**
   * Emits the group windows every member device's watermark has passed (again, after late updates),
   * and forgets those spent (groupWindowSpent): a zone device this worker meets only after emitting a
   * window (as when a worker catches up on a backlog) joins it, and the window is emitted again with
   * every member, not once more with the newcomer alone.
   */
  #emitGroups(def: Definition, out: WindowOutput, now: number): void {
    const spec = def.spec;
    for (const [key, g] of def.groups) {
      const wm = this.#lowest(def, g.devices);
      if (g.changed && wm >= g.end) {
        const merged = def.kernel.merge([...g.members.values()]);
        merged.update = g.emitted;
        if (spec.groupBy === "device") out.results.push(windowResult(spec, merged, g.key, undefined, this.#tags.get(g.key)?.zone));
        else {
          const [zone, channel] = g.key.split("\u0000");
          out.zoneParts.push({ window: spec.name, zone, channel, state: merged });
        }
        g.emitted = true;
        g.changed = false;
        g.emittedAt = now;
      }
      if (g.emitted && groupWindowSpent(spec, g.end, wm, now - g.emittedAt)) def.groups.delete(key);
    }
  }
}
