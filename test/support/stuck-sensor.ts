// The stuck-sensor fleet the health tests send: two pumps at 1 Hz for 15 minutes, pump-1's temperature
// stuck at 41.5 for the last two and a half (from second 750), pump-2's noisy throughout.
import { encodeBinaryFrame } from "../../src/ingest/frames/binary-encode.js";

export const STUCK_SENSOR_DEVICES = ["pump-1", "pump-2"];
export const STUCK_SENSOR_SECONDS = 900;

/** The binary frame (sequence second + 1) of second `second`, event time from `t0` (µs). */
export function stuckSensorFrame(t0: number, second: number): Uint8Array {
  const devices = STUCK_SENSOR_DEVICES;
  const noisy = (d: number) => Math.round((40 + d + Math.sin(second * 1.7) + Math.cos(second * 0.37)) * 100) / 100;
  return encodeBinaryFrame(second + 1, {
    devices,
    channels: ["temperature"],
    device: Uint32Array.of(0, 1),
    channel: new Uint32Array(2),
    timestamps: new Float64Array(2).fill(t0 + second * 1e6),
    values: Float64Array.from(devices, (_, d) => (d === 0 && second >= 750 ? 41.5 : noisy(d))),
  });
}
