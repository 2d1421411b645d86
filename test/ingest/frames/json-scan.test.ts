// The WebAssembly JSON scanner reads frames in the plain form and leaves the rest to JSON.parse: whatever
// the frame, decoding with it gives exactly what the JSON.parse path alone gives (readings, dictionaries,
// refusals and errors).
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { BatchBuilder } from "../../../src/ingest/batch-builder.js";
import { decodeJsonFrame } from "../../../src/ingest/frames/json-frame.js";
import { decodeScannedJson } from "../../../src/ingest/frames/json-scan.js";
import { LIMITS } from "./helpers.js";

function outcome(text: string, scan: boolean, limits = LIMITS) {
  const builder = new BatchBuilder();
  try {
    return { decoded: decodeJsonFrame(text, builder, limits, scan), columns: builder.take() };
  } catch (err) {
    return { error: String(err), columns: builder.take() };
  }
}

function expectSameAsJsonParse(text: string, limits = LIMITS): void {
  const scanned = outcome(text, true, limits);
  const parsed = outcome(text, false, limits);
  expect(scanned).toEqual(parsed);
  expect(Buffer.from(scanned.columns.values.buffer).equals(Buffer.from(parsed.columns.values.buffer))).toBe(true);
  expect(Buffer.from(scanned.columns.timestamps.buffer).equals(Buffer.from(parsed.columns.timestamps.buffer))).toBe(true);
}

const space = fc.constantFrom("", "", " ", "\n  ", "\t", "\r\n");
/** Mostly what a device sends, now and then something odd: a frame is scanned only when all of it is plain. */
const mostly = (plain: string[], odd: string[]) => fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...plain) }, { weight: 1, arbitrary: fc.constantFrom(...odd) });
const name = mostly(['"d1"', '"press-17"', '"temp"', '"sp ace"'], ['""', '"dév"', '"a\\"b"', '"x\\u0041"', `"${"n".repeat(129)}"`, '"\u007f"', "null", "7"]);
const seq = mostly(["12", "0", "9007199254740991"], ["-1", "1.0", "1e2", '"12"', "9007199254740992", "01", "-0", "null"]);
const ts = mostly(["1700000000000000", "-5", "0", "-0", "9007199254740991"], ["1.5", "9007199254740993", '"1"', "1e15", "01", "-01", "17000000000000000", "null", "1E3"]);
const value = mostly(
  ["21.5", "-0", "true", "false", "1e-30", "0.1", "-1.5E+3", "5", "2.25e-7", "123456789012345", "0", "-0.0"],
  [
    "1e400", "null", '"x"', '"NaN"', "12345678901234567890", "1.", ".5", "+1", "-", "0.000000000000000001", "tru", "00", "1e", "1e+",
    "-01.5", "truex", "123456789012345678", "0.30000000000000004441", "1.00000000000000011102230246251565404236316680908203125",
    "9007199254740993.5",
  ],
);
/** An object of the given members (each left out now and then) and `extra` ones, in any order. */
const members = (pairs: [string, fc.Arbitrary<string>][], extra: fc.Arbitrary<[string, string][]>) =>
  fc
    .tuple(fc.tuple(...pairs.map(([k, v]) => fc.option(v, { freq: 20 }).map((x) => (x === null ? undefined : ([k, x] as [string, string]))))), extra, space)
    .chain(([picked, more, sp]) => {
      const all = [...picked.filter((p): p is [string, string] => p !== undefined), ...more];
      const object = (list: [string, string][]) => `{${sp}${list.map(([k, v]) => `"${k}"${sp}:${sp}${v}`).join(`,${sp}`)}${sp}}`;
      return fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length }).map(object);
    });
const extraKeys = fc.oneof(
  { weight: 12, arbitrary: fc.constant<[string, string][]>([]) },
  {
    weight: 1,
    arbitrary: fc.array(fc.constantFrom<[string, string]>(["unit", '"C"'], ["time", '"2023-11-14T22:13:20Z"'], ["channel", '"dup"'], ["nested", '{"a":[1,2]}']), {
      minLength: 1,
      maxLength: 1,
    }),
  },
);
const reading = members([["device", name], ["channel", name], ["ts", ts], ["value", value]], extraKeys);
const readings = fc.array(reading, { maxLength: 5 }).map((list) => `[${list.join(",")}]`);
const frame = fc.oneof(
  { weight: 5, arbitrary: members([["seq", seq], ["device", name], ["readings", readings]], fc.constant([])) },
  { weight: 3, arbitrary: members([["seq", seq], ["device", name], ["channel", name], ["ts", ts], ["value", value]], extraKeys) },
  { weight: 1, arbitrary: members([["seq", seq], ["readings", readings], ["channel", name], ["value", value]], fc.constant([])) },
  {
    weight: 1,
    arbitrary: fc.constantFrom("", "{}", "[]", "null", "{", '{"readings":[]}', '{"readings":[{}]}', "garbage", '{"seq":1}x', '{"seq":1,}', '{"readings":[]} x', '{"readings":[]}}', '{"readings":[],"readings":[]}'),
  },
);

describe("JSON frame scanner", () => {
  it("decode any frame exactly as the JSON.parse path does", () => {
    fc.assert(
      fc.property(frame, space, fc.constantFrom(LIMITS, { ...LIMITS, maxReadings: 2 }), (text, around, limits) => {
        expectSameAsJsonParse(`${around}${text}${around}`, limits);
      }),
      { numRuns: 1000 },
    );
  });

  it("scan a gateway's frame of many devices, and decode it as the JSON.parse path does", () => {
    const list = Array.from({ length: 500 }, (_, i) => `{"device":"gw-${i % 50}","channel":"c${i % 4}","ts":${1_700_000_000_000_000 + i},"value":${(i * 37) % 1000}.${i % 10}}`);
    const text = `{"seq":7,"readings":[${list.join(",")}]}`;
    expect(decodeScannedJson(text, new BatchBuilder(), LIMITS)).toEqual({ seq: 7, readings: 500, rejected: [] });
    expectSameAsJsonParse(text);
  });

  it("leave a frame with more readings than one scan holds to the JSON.parse path", () => {
    const list = Array.from({ length: 20_000 }, (_, i) => `{"channel":"t","ts":${i},"value":1}`);
    expectSameAsJsonParse(`{"device":"d","readings":[${list.join(",")}]}`);
  });
});
