// Validation and normalisation of decoded readings against the registry and the clock: every refused
// reading gets a reason, the good ones in the same frame are kept, critical ones are flagged.
import { FLAG_CRITICAL, type FlaggedColumns } from "./batch-builder.js";
import type { DeviceRegistry } from "./devices.js";
import type { Validation } from "../config.js";
import { keptBlocks } from "../pipeline/edge-blocks.js";

/** Why validation refused a reading. */
export type ValidationReason = "bad_value" | "future_timestamp" | "too_old" | "unknown_device" | "out_of_range" | "unauthorized_device" | "rate_limited";

export interface ValidationRejection {
  index: number;
  reason: ValidationReason;
}

/**
 * Keeps the readings that pass, flags critical ones, and lists the refused ones by index. `gate`
 * refuses a whole device (not authorised for this token, over its rate) before any other check; it
 * gets the device and its index in the dictionary.
 */
export function validate(
  cols: FlaggedColumns,
  registry: DeviceRegistry,
  rules: Validation,
  now: number,
  gate: (device: string, index: number) => ValidationReason | undefined,
): { kept: FlaggedColumns; rejected: ValidationRejection[] } {
  const n = cols.timestamps.length;
  const rejected: ValidationRejection[] = [];
  const keep = new Uint8Array(n);
  const gated = cols.devices.map((d, i) => gate(d, i));
  const known = cols.devices.map((d) => rules.unknownDevices === "accept" || registry.has(d));
  const specs = cols.devices.map((d) => registry.get(d)?.channels);
  let kept = 0;
  for (let i = 0; i < n; i++) {
    const d = cols.device[i];
    const v = cols.values[i];
    const t = cols.timestamps[i];
    let reason: ValidationReason | undefined;
    if (gated[d]) reason = gated[d];
    else if (!known[d]) reason = "unknown_device";
    else if (!Number.isFinite(v) && rules.nonFinite === "reject") reason = "bad_value";
    else if (t > now + rules.futureSkew) reason = "future_timestamp";
    else if (t < now - rules.backfillLimit) reason = "too_old";
    else {
      const spec = specs[d]?.[cols.channels[cols.channel[i]]];
      if (spec) {
        if ((spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max)) reason = "out_of_range";
        else if ((spec.criticalAbove !== undefined && v > spec.criticalAbove) || (spec.criticalBelow !== undefined && v < spec.criticalBelow)) {
          cols.flags[i] |= FLAG_CRITICAL;
        }
      }
    }
    if (reason) rejected.push({ index: i, reason });
    else {
      keep[i] = 1;
      kept++;
    }
  }
  if (kept === n) return { kept: cols, rejected };
  const pick = <T extends Float64Array | Uint32Array | Uint8Array>(a: T, make: (k: number) => T): T => {
    const out = make(kept);
    let j = 0;
    for (let i = 0; i < n; i++) if (keep[i]) out[j++] = a[i];
    return out;
  };
  return {
    kept: {
      devices: cols.devices,
      channels: cols.channels,
      device: pick(cols.device, (k) => new Uint32Array(k)),
      channel: pick(cols.channel, (k) => new Uint32Array(k)),
      timestamps: pick(cols.timestamps, (k) => new Float64Array(k)),
      values: pick(cols.values, (k) => new Float64Array(k)),
      flags: pick(cols.flags, (k) => new Uint8Array(k)),
      blocks: cols.blocks && keptBlocks(cols.blocks, renumbering(keep)),
    },
    rejected,
  };
}

/** Each row's index among the kept rows, or −1 for a refused one. */
function renumbering(keep: Uint8Array): Int32Array {
  const to = new Int32Array(keep.length);
  let next = 0;
  for (let i = 0; i < keep.length; i++) to[i] = keep[i] ? next++ : -1;
  return to;
}
