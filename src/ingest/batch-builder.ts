// Collects readings decoded from frames into dictionary-encoded columns, the shape the rest of the
// pipeline moves (ReadingColumns, or an Arrow RecordBatch built from it). One builder per connection
// or per frame; `take()` hands the columns over and starts afresh. No object per reading.
import type { ReadingColumns } from "../archive/batch.js";

/** Quality bits carried with each reading (DESIGN.md: flags uint8). */
export const FLAG_LATE = 1;
export const FLAG_CRITICAL = 2;
export const FLAG_QUESTIONABLE = 4;

/** Readings plus their flags. */
export interface FlaggedColumns extends ReadingColumns {
  flags: Uint8Array;
}

export class BatchBuilder {
  #devices: string[] = [];
  #deviceIds = new Map<string, number>();
  #channels: string[] = [];
  #channelIds = new Map<string, number>();
  #device = new Uint32Array(256);
  #channel = new Uint32Array(256);
  #ts = new Float64Array(256);
  #values = new Float64Array(256);
  #flags = new Uint8Array(256);
  #length = 0;

  /** Readings collected so far. */
  get length(): number {
    return this.#length;
  }

  /** The dictionary id of a device name (interned once per builder). */
  deviceId(name: string): number {
    let id = this.#deviceIds.get(name);
    if (id === undefined) this.#deviceIds.set(name, (id = this.#devices.push(name) - 1));
    return id;
  }

  /** The dictionary id of a channel name. */
  channelId(name: string): number {
    let id = this.#channelIds.get(name);
    if (id === undefined) this.#channelIds.set(name, (id = this.#channels.push(name) - 1));
    return id;
  }

  /** Adds one reading by dictionary ids (the fast path for binary frames). */
  add(device: number, channel: number, ts: number, value: number, flags = 0): void {
    if (this.#length === this.#ts.length) this.#grow();
    const i = this.#length++;
    this.#device[i] = device;
    this.#channel[i] = channel;
    this.#ts[i] = ts;
    this.#values[i] = value;
    this.#flags[i] = flags;
  }

  /** Drops readings from index `length` on (a frame that turned out bad is rolled back). */
  truncate(length: number): void {
    if (length < this.#length) this.#length = length;
  }

  /** Hands over the collected columns (exact length) and starts afresh. */
  take(): FlaggedColumns {
    const n = this.#length;
    const out: FlaggedColumns = {
      devices: this.#devices,
      channels: this.#channels,
      device: this.#device.slice(0, n),
      channel: this.#channel.slice(0, n),
      timestamps: this.#ts.slice(0, n),
      values: this.#values.slice(0, n),
      flags: this.#flags.slice(0, n),
    };
    this.#devices = [];
    this.#deviceIds = new Map();
    this.#channels = [];
    this.#channelIds = new Map();
    this.#length = 0;
    return out;
  }

  #grow(): void {
    const size = this.#ts.length * 2;
    const grow = <T extends Uint32Array | Float64Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(size);
      b.set(a);
      return b;
    };
    this.#device = grow(this.#device, (n) => new Uint32Array(n));
    this.#channel = grow(this.#channel, (n) => new Uint32Array(n));
    this.#ts = grow(this.#ts, (n) => new Float64Array(n));
    this.#values = grow(this.#values, (n) => new Float64Array(n));
    this.#flags = grow(this.#flags, (n) => new Uint8Array(n));
  }
}
