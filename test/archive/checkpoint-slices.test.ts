// A checkpoint of a large fleet seals its heads a few milliseconds at a time, appends going on between
// its slices: what they add is sealed by its final step or stays for the next, and nothing is lost or
// counted twice, before the checkpoint ends, after it, or after a restart.
import { describe, it, expect, afterAll } from "vitest";
import { Archive, createCodec } from "../../src/index.js";
import { TempDirs, T0, SECOND, HOUR } from "../support/archive-fixtures.js";

const temp = new TempDirs();
afterAll(() => temp.removeAll());

/** `devices` × 4 channels, `points` readings each, a second apart from `start`. */
function fleet(devices: number, points: number, start: number) {
  const channels = ["temp", "pressure", "vibration", "current"];
  const n = devices * channels.length * points;
  const device = new Uint32Array(n);
  const channel = new Uint32Array(n);
  const timestamps = new Float64Array(n);
  const values = new Float64Array(n);
  let k = 0;
  for (let p = 0; p < points; p++) {
    for (let d = 0; d < devices; d++) {
      for (let c = 0; c < channels.length; c++, k++) {
        device[k] = d;
        channel[k] = c;
        timestamps[k] = start + p * SECOND;
        values[k] = d + c + p / 10;
      }
    }
  }
  return { devices: Array.from({ length: devices }, (_, d) => `press-${d}`), channels, device, channel, timestamps, values };
}

describe("a checkpoint of many series", () => {
  it("keeps every point of the appends made while it seals", async () => {
    const dir = await temp.make("iotpipe-slices-");
    const archive = await Archive.open(dir, { codec: await createCodec() });
    await archive.append(fleet(5000, 30, T0));
    const q = { channel: "temp", from: T0, to: T0 + HOUR, aggregates: ["count" as const] };
    const count = async (a: Archive) => (await a.query(q)).groups[0].rows[0].values.count;
    const checkpoint = archive.checkpoint();
    await archive.append(fleet(10, 1, T0 + 30 * SECOND));
    expect(await count(archive)).toBe(5000 * 30 + 10);
    await checkpoint;
    await archive.append(fleet(10, 1, T0 + 31 * SECOND));
    expect(await count(archive)).toBe(5000 * 30 + 20);
    await archive.close();
    const reopened = await Archive.open(dir, { codec: await createCodec() });
    expect(await count(reopened)).toBe(5000 * 30 + 20);
    expect((await reopened.verify()).clean).toBe(true);
    await reopened.close();
  });
});
