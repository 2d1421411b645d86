// JSON text frames: the single and batch forms, ISO-8601 times, booleans, gateways naming the device
// per reading, every rejection reason, and the frame-level faults that refuse a whole frame.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { BatchBuilder } from "../../../src/ingest/batch-builder.js";
import { decodeJsonFrame } from "../../../src/ingest/frames/index.js";
import { isoMicros } from "../../../src/ingest/frames/iso-time.js";
import { LIMITS, frameErrorOf, rowsOf } from "./helpers.js";

const T0 = 1_700_000_000_000_000;

function decode(frame: unknown) {
  const builder = new BatchBuilder();
  const result = decodeJsonFrame(typeof frame === "string" ? frame : JSON.stringify(frame), builder, LIMITS);
  return { ...result, rows: rowsOf(builder) };
}

describe("JSON frames", () => {
  it("read a single reading with a seq", () => {
    const out = decode('{"seq":12,"device":"d1","channel":"temp","ts":1700000000000000,"value":21.5}');
    expect(out).toEqual({ seq: 12, readings: 1, rejected: [], rows: [{ device: "d1", channel: "temp", ts: T0, value: 21.5 }] });
  });

  it("read a batch whose device is named once for the frame, or per reading by a gateway", () => {
    const out = decode({
      seq: 0,
      device: "d1",
      readings: [
        { channel: "temp", ts: T0, value: 21.5 },
        { device: "d2", channel: "temp", ts: T0 + 1, value: 22 },
        { channel: "hum", ts: T0 + 2, value: 40 },
      ],
    });
    expect(out.seq).toBe(0);
    expect(out.rows).toEqual([
      { device: "d1", channel: "temp", ts: T0, value: 21.5 },
      { device: "d2", channel: "temp", ts: T0 + 1, value: 22 },
      { device: "d1", channel: "hum", ts: T0 + 2, value: 40 },
    ]);
  });

  it("read frames without a seq, from UTF-8 bytes too, and ignore fields it does not know", () => {
    const text = '{"device":"dé","channel":"t","ts":5,"value":1,"unit":"°C","quality":{"ok":true}}';
    const builder = new BatchBuilder();
    expect(decodeJsonFrame(new TextEncoder().encode(text), builder, LIMITS)).toEqual({ seq: undefined, readings: 1, rejected: [] });
    expect(rowsOf(builder)).toEqual([{ device: "dé", channel: "t", ts: 5, value: 1 }]);
  });

  it("turn booleans into 1 and 0 and keep integral timestamps written with an exponent", () => {
    const out = decode({ device: "d", readings: [{ channel: "on", ts: 1.7e15, value: true }, { channel: "on", ts: 1.7e15 + 1, value: false }] });
    expect(out.rows.map((r) => [r.ts, r.value])).toEqual([[T0, 1], [T0 + 1, 0]]);
  });

  it("read ISO-8601 times to the microsecond, in any zone", () => {
    const times = [
      ["2023-11-14T22:13:20Z", T0],
      ["2023-11-14T22:13:20.000001Z", T0 + 1],
      ["2023-11-14T22:13:20.1234567Z", T0 + 123456],
      ["2023-11-15T00:13:20+02:00", T0],
      ["2023-11-14T20:43:20-0130", T0],
      ["2023-11-14 22:13:20.5z", T0 + 500_000],
      ["2023-11-14T23:13+01", T0 - 20_000_000],
      ["1969-12-31T23:59:59.999999Z", -1],
      ["2016-12-31T23:59:60Z", Date.UTC(2017, 0, 1) * 1000],
    ] as const;
    for (const [time, us] of times) {
      expect(decode({ device: "d", channel: "c", time, value: 1 }).rows[0]?.ts, time).toBe(us);
    }
  });

  it("agree with Date on every millisecond time", () => {
    fc.assert(
      fc.property(fc.date({ min: new Date(-9e12), max: new Date(9e12), noInvalidDate: true }), (date) => {
        expect(isoMicros(date.toISOString())).toBe(date.getTime() * 1000);
      }),
      { numRuns: 2000 },
    );
  });

  it("prefer ts when a reading has both ts and time", () => {
    expect(decode({ device: "d", channel: "c", ts: 7, time: "2023-11-14T22:13:20Z", value: 1 }).rows[0].ts).toBe(7);
  });

  it("reject each bad reading with its reason and keep the rest", () => {
    const good = { channel: "c", ts: T0, value: 1 };
    const readings: unknown[] = [
      good,
      { ...good, value: null },
      { ...good, value: "NaN" },
      { ...good, value: "21.5" },
      { ...good, value: [1] },
      { channel: "c", ts: T0 },
      { ...good, ts: 1.5 },
      { ...good, ts: "1700000000000000" },
      { ...good, ts: 2 ** 53 },
      { channel: "c", time: "2023-11-14T22:13:20", value: 1 },
      { channel: "c", time: "2023-02-30T00:00:00Z", value: 1 },
      { channel: "c", time: 1700000000, value: 1 },
      { channel: "c", value: 1 },
      { ts: T0, value: 1 },
      { ...good, channel: "" },
      { ...good, channel: "a\nb" },
      { ...good, channel: 7 },
      { ...good, device: "x".repeat(129) },
      { ...good, device: "\ud800" },
      42,
      null,
      [good],
      good,
    ];
    const out = decode({ device: "d", readings });
    expect(out.rejected.map((r) => [r.index, r.reason])).toEqual([
      [1, "bad_value"],
      [2, "bad_value"],
      [3, "non_numeric"],
      [4, "non_numeric"],
      [5, "missing_field"],
      [6, "bad_timestamp"],
      [7, "bad_timestamp"],
      [8, "bad_timestamp"],
      [9, "bad_timestamp"],
      [10, "bad_timestamp"],
      [11, "bad_timestamp"],
      [12, "missing_field"],
      [13, "missing_field"],
      [14, "bad_name"],
      [15, "bad_name"],
      [16, "bad_name"],
      [17, "bad_name"],
      [18, "bad_name"],
      [19, "malformed"],
      [20, "malformed"],
      [21, "malformed"],
    ]);
    expect(out.rows).toEqual([{ device: "d", ...good }, { device: "d", ...good }]);
    expect(out.rejected[8].detail).toBe('time "2023-11-14T22:13:20": no zone (Z or ±hh:mm)');
    expect(out.rejected[9].detail).toContain("day outside 01..28");
    expect(out.rejected[16].detail).toContain("129 characters, more than 128");
  });

  it("reject a value too large for a double, and a reading with no device anywhere", () => {
    const out = decode('{"readings":[{"device":"d","channel":"c","ts":1,"value":1e999},{"channel":"c","ts":1,"value":1}]}');
    expect(out.rejected).toEqual([
      { index: 0, reason: "bad_value", detail: "value Infinity" },
      { index: 1, reason: "missing_field", detail: "no device" },
    ]);
  });

  it("refuse text that is not JSON, saying where", () => {
    const err = frameErrorOf(() => decode('{"seq":1,"device":"d",}'), "BAD_JSON");
    expect(err.message).toContain("23 characters");
    expect(err.at).toBe(22);
    frameErrorOf(() => decodeJsonFrame(Uint8Array.of(0x7b, 0xff, 0x7d), new BatchBuilder(), LIMITS), "BAD_JSON");
    frameErrorOf(() => decode(""), "BAD_JSON");
  });

  it("refuse a frame that is not an object, a bad seq, or readings that are not an array", () => {
    for (const frame of ["[]", "42", "null", '"x"']) frameErrorOf(() => decode(frame), "BAD_FIELD");
    for (const seq of [-1, 1.5, "1", null, 2 ** 53]) frameErrorOf(() => decode({ seq, device: "d", channel: "c", ts: 1, value: 1 }), "BAD_FIELD");
    frameErrorOf(() => decode({ device: "d", readings: { channel: "c" } }), "BAD_FIELD");
  });

  it("refuse a batch longer than maxReadings", () => {
    const readings = Array.from({ length: 11 }, () => ({ channel: "c", ts: 1, value: 1 }));
    const builder = new BatchBuilder();
    frameErrorOf(() => decodeJsonFrame(JSON.stringify({ device: "d", readings }), builder, { ...LIMITS, maxReadings: 10 }), "TOO_LARGE");
    expect(builder.length).toBe(0);
  });
});
