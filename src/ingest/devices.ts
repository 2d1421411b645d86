// The device registry as ingest sees it: a JSON file the user edits, naming devices with their tags,
// service tier and channel specs (unit, valid range, the threshold that makes a reading critical).
import { readFileSync } from "node:fs";

/** Service tier: decides the lane of routine readings. */
export type Tier = "premium" | "standard" | "bulk";

export interface ChannelSpec {
  unit?: string;
  min?: number;
  max?: number;
  /** A reading above or below these is critical: it takes the critical lane. */
  criticalAbove?: number;
  criticalBelow?: number;
}

export interface DeviceSpec {
  tier?: Tier;
  tags?: Record<string, string>;
  channels?: Record<string, ChannelSpec>;
}

/** Devices by id. */
export class DeviceRegistry {
  readonly #devices: Map<string, DeviceSpec>;

  constructor(devices: Record<string, DeviceSpec> = {}) {
    this.#devices = new Map(Object.entries(devices));
  }

  /** Loads `{ "devices": { "<id>": DeviceSpec } }` from a JSON file. */
  static load(file: string): DeviceRegistry {
    const data = JSON.parse(readFileSync(file, "utf8")) as { devices?: Record<string, DeviceSpec> };
    return new DeviceRegistry(data.devices ?? {});
  }

  get(id: string): DeviceSpec | undefined {
    return this.#devices.get(id);
  }

  has(id: string): boolean {
    return this.#devices.has(id);
  }

  entries(): IterableIterator<[string, DeviceSpec]> {
    return this.#devices.entries();
  }
}
