// The device registry: tags for selecting devices (zone, type, …) and, per channel, a history of
// versions (unit, value type) with the time each took effect. A firmware update that changes a unit
// adds a version; stored points are never rewritten, queries convert. Saved as registry.json.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "./atomic-file.js";
import { ArchiveError, ioError } from "./errors.js";
import { isKnownUnit } from "../query/units.js";

/**
 * The versions of every channel first seen in data (no unit, float64 from the start), shared: a fleet
 * has hundreds of thousands of such series. defineChannel copies it before changing a channel.
 */
const SEEN_IN_DATA: ChannelVersion[] = [{ version: 1, since: -Number.MAX_SAFE_INTEGER, valueType: "float64" }];

function seenInData(versions: ChannelVersion[]): boolean {
  const [v] = versions;
  return versions.length === 1 && v.version === 1 && v.since === -Number.MAX_SAFE_INTEGER && v.unit === undefined && v.valueType === "float64";
}

/** How a channel's values are to be read. */
export type ValueType = "float64" | "int64" | "bool";

/** One version of a channel's schema, in force from `since` (µs) until the next version. */
export interface ChannelVersion {
  version: number;
  since: number;
  unit?: string;
  valueType: ValueType;
}

/** A device as the registry knows it. */
export interface DeviceInfo {
  id: string;
  tags: Record<string, string>;
  channels: Record<string, ChannelVersion[]>;
}

interface RegistryFile {
  format: 1;
  version: number;
  devices: Record<string, { tags: Record<string, string>; channels: Record<string, ChannelVersion[]> }>;
}

export const REGISTRY_FILE = "registry.json";

/** Devices, their tags and channel versions. Changes are saved with save(). */
export class Registry {
  #data: RegistryFile;
  #dirty = false;
  readonly #file: string;

  private constructor(file: string, data: RegistryFile) {
    this.#file = file;
    this.#data = data;
  }

  static async load(dir: string): Promise<Registry> {
    const file = join(dir, REGISTRY_FILE);
    try {
      const data = JSON.parse(await readFile(file, "utf8")) as RegistryFile;
      if (data.format !== 1 || typeof data.devices !== "object") throw new Error("unexpected shape");
      for (const d of Object.values(data.devices)) {
        for (const [channel, versions] of Object.entries(d.channels ?? {})) if (seenInData(versions)) d.channels[channel] = SEEN_IN_DATA;
      }
      return new Registry(file, data);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return new Registry(file, { format: 1, version: 0, devices: {} });
      if (err instanceof SyntaxError || (err as Error).message === "unexpected shape") {
        throw new ArchiveError("CORRUPT_MANIFEST", `${file} is not a valid registry: ${(err as Error).message}`, file);
      }
      throw ioError(err, "reading", file);
    }
  }

  /** Registry version: bumped by every change. */
  get version(): number {
    return this.#data.version;
  }

  get dirty(): boolean {
    return this.#dirty;
  }

  /** Sets a device's tags (merged over existing ones). */
  defineDevice(id: string, tags: Record<string, string> = {}): void {
    const d = this.#device(id);
    d.tags = { ...d.tags, ...tags };
    this.#touch();
  }

  /**
   * Records a channel's unit and value type from `since` (µs; default: the beginning of time for a
   * first version). A change adds a version; the same definition again is a no-op.
   */
  defineChannel(device: string, channel: string, spec: { unit?: string; valueType?: ValueType; since?: number }): ChannelVersion {
    if (spec.unit !== undefined && !isKnownUnit(spec.unit)) {
      throw new ArchiveError("BAD_BATCH", `unknown unit ${JSON.stringify(spec.unit)} for ${device}/${channel}`);
    }
    const channels = this.#device(device).channels;
    // A channel seen in data shares its one version with every other such channel until defined here.
    if (channels[channel] === SEEN_IN_DATA) channels[channel] = [{ ...SEEN_IN_DATA[0] }];
    const versions = (channels[channel] ??= []);
    const last = versions[versions.length - 1];
    const valueType = spec.valueType ?? last?.valueType ?? "float64";
    if (last && last.unit === spec.unit && last.valueType === valueType) return last;
    if (last && last.unit === undefined && spec.since === undefined && versions.length === 1) {
      // A series first seen in data, with no unit yet: this names the unit it always had.
      last.unit = spec.unit;
      last.valueType = valueType;
      this.#touch();
      return last;
    }
    const since = spec.since ?? (last ? Date.now() * 1000 : -Number.MAX_SAFE_INTEGER);
    if (last && since <= last.since) {
      throw new ArchiveError("BAD_BATCH", `${device}/${channel}: a new version must start after ${last.since}, got ${since}`);
    }
    const v: ChannelVersion = { version: (last?.version ?? 0) + 1, since, unit: spec.unit, valueType };
    versions.push(v);
    this.#touch();
    return v;
  }

  /** Registers a series seen in data, if new (no unit, float64). Returns true when it was new. */
  observe(device: string, channel: string): boolean {
    const d = this.#data.devices[device];
    if (d?.channels[channel]) return false;
    this.#device(device).channels[channel] = SEEN_IN_DATA;
    this.#touch();
    return true;
  }

  device(id: string): DeviceInfo | undefined {
    const d = this.#data.devices[id];
    return d && { id, tags: d.tags, channels: d.channels };
  }

  devices(): DeviceInfo[] {
    return Object.entries(this.#data.devices).map(([id, d]) => ({ id, tags: d.tags, channels: d.channels }));
  }

  /** The channel's versions, oldest first (empty if unknown). */
  versions(device: string, channel: string): ChannelVersion[] {
    return this.#data.devices[device]?.channels[channel] ?? [];
  }

  async save(): Promise<void> {
    if (!this.#dirty) return;
    this.#dirty = false;
    try {
      await writeFileAtomic(this.#file, JSON.stringify(this.#data));
    } catch (err) {
      this.#dirty = true;
      throw err;
    }
  }

  #device(id: string) {
    return (this.#data.devices[id] ??= { tags: {}, channels: {} });
  }

  #touch(): void {
    this.#data.version++;
    this.#dirty = true;
  }
}
