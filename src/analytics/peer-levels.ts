// The level a series' drift is judged against: its zone peers'. Each series keeps the mean of its first
// readings as its baseline; a group's (zone × channel) common movement is the median of its members'
// latest departure from their baselines; a series' peer level is its baseline plus that movement. Shared
// swings (shift changes) cancel, offsets between machines (ambient, setpoint) do not matter, and one
// silent or faulty peer hardly moves the median.

/** Readings behind a series' baseline: before the health kernel starts its drift baseline. */
export const BASELINE_READINGS = 300;
/** Fewer members with a baseline than this, and a group has no peer level. */
const MIN_PEERS = 3;
const REFRESH_US = 1e6;

/** Peer levels for series slots grouped by the caller (one group per zone × channel). */
export class PeerLevels {
  #latest = new Float64Array(64);
  #baseline = new Float64Array(64);
  #seen = new Float64Array(64);
  #group = new Int32Array(64).fill(-1);
  readonly #members: number[][] = [];
  #movement = new Float64Array(0);
  #touched = new Uint32Array(0);
  #computed = new Float64Array(0);
  #scratch = new Float64Array(64);
  #epoch = 0;

  /** Puts series `slot` in group `group` (a series belongs to one group for good). */
  add(slot: number, group: number): void {
    if (slot >= this.#group.length) this.#grow(slot + 1);
    if (this.#group[slot] >= 0) return;
    this.#group[slot] = group;
    this.#latest[slot] = NaN;
    while (this.#members.length <= group) this.#members.push([]);
    this.#members[group].push(slot);
  }

  #grow(min: number): void {
    const size = Math.max(min, this.#group.length * 2);
    const grow = (a: Float64Array, fill: number) => {
      const b = new Float64Array(size).fill(fill);
      b.set(a);
      return b;
    };
    this.#latest = grow(this.#latest, NaN);
    this.#baseline = grow(this.#baseline, 0);
    this.#seen = grow(this.#seen, 0);
    const group = new Int32Array(size).fill(-1);
    group.set(this.#group);
    this.#group = group;
  }

  /**
   * Takes a batch that arrived at `now` (µs) in, and gives each reading its peer level (NaN where its
   * group has none yet). A group's median is taken again at most once a second: drift moves in minutes.
   */
  levels(slots: Int32Array, values: Float64Array, now: number, out = new Float64Array(values.length)): Float64Array {
    const latest = this.#latest;
    const baseline = this.#baseline;
    const seen = this.#seen;
    const group = this.#group;
    if (this.#movement.length < this.#members.length) {
      this.#movement = new Float64Array(this.#members.length);
      this.#touched = new Uint32Array(this.#members.length);
      this.#computed = new Float64Array(this.#members.length).fill(-Infinity);
    }
    if (this.#members.length === 0) return out.fill(NaN);
    const epoch = ++this.#epoch;
    for (let i = 0; i < values.length; i++) {
      const s = slots[i];
      // A series outside every group has no peer level, now or later (its group is set when its slot is made).
      const g = s < group.length ? group[s] : -1;
      if (g < 0 || !Number.isFinite(values[i])) continue;
      latest[s] = values[i];
      if (seen[s] < BASELINE_READINGS) baseline[s] += (values[i] - baseline[s]) / ++seen[s];
      this.#touched[g] = epoch;
    }
    // Only the groups this batch moved need their median again.
    for (let g = 0; g < this.#members.length; g++) {
      if (this.#touched[g] !== epoch || now - this.#computed[g] < REFRESH_US) continue;
      this.#computed[g] = now;
      const m = this.#members[g];
      if (this.#scratch.length < m.length) this.#scratch = new Float64Array(m.length * 2);
      let k = 0;
      for (const s of m) if (seen[s] >= BASELINE_READINGS) this.#scratch[k++] = latest[s] - baseline[s];
      const d = this.#scratch.subarray(0, k).sort();
      this.#movement[g] = k < MIN_PEERS ? NaN : k % 2 ? d[k >> 1] : (d[k / 2 - 1] + d[k / 2]) / 2;
    }
    for (let i = 0; i < values.length; i++) {
      const s = slots[i];
      const g = s < group.length ? group[s] : -1;
      out[i] = g >= 0 && seen[s] >= BASELINE_READINGS ? baseline[s] + this.#movement[g] : NaN;
    }
    return out;
  }
}
