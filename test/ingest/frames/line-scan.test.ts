// The WebAssembly scanner reads plain lines and leaves the rest to the char-code parser: whatever the
// body, decoding with it gives exactly what the char-code parser alone gives (readings, dictionaries,
// refusals and errors), across the scanner's output limits too.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { BatchBuilder } from "../../../src/ingest/batch-builder.js";
import { decodeLineProtocol, type LineProtocolOptions } from "../../../src/ingest/frames/index.js";
import { lineScan } from "../../../src/ingest/frames/line-scan.js";
import { LIMITS } from "./helpers.js";

const NOW = 1_234_567;

/** Everything decoding leaves: the builder's columns and dictionaries, the verdicts, or the error. */
function outcome(body: string | Uint8Array, options: LineProtocolOptions, limits = LIMITS) {
  const builder = new BatchBuilder();
  try {
    const decoded = decodeLineProtocol(body, builder, limits, { now: NOW, ...options });
    return { decoded, columns: builder.take() };
  } catch (err) {
    return { error: String(err), columns: builder.take() };
  }
}

function expectSameAsCharCodeParser(body: string | Uint8Array, options: LineProtocolOptions = {}, limits = LIMITS): void {
  const scanned = outcome(body, options, limits);
  const parsed = outcome(body, { ...options, scan: false }, limits);
  expect(scanned).toEqual(parsed);
  // toEqual tells 0 from −0 in arrays of numbers, but check the value bits anyway.
  expect(Buffer.from(scanned.columns.values.buffer).equals(Buffer.from(parsed.columns.values.buffer))).toBe(true);
}

const measurement = fc.constantFrom("m", "cpu", "te\\ mp", "a\\,b", "weather", "x\\");
const tag = fc.tuple(fc.constantFrom("device", "host", "site", "dev\\=ice", "", "device"), fc.constantFrom("d1", "h-2", "s\\ 3", "press-17", "", "a=b", "ü")).map(([k, v]) => `${k}=${v}`);
const fieldKey = fc.constantFrom("value", "temp", "f\\=x", "usage_idle", "a\\ b", "");
const fieldValue = fc.constantFrom(
  "1", "-2.5", "21.75", "3i", "4u", "-5u", "-0", "-0.0", "+7", "true", "F", "FALSE", "tRUE", '"str"',
  '"multi\nline"', '"esc \\" q"', "1e400", "-1e400", "12345678901234567890",
  "123456789012345678901234567890i", "9007199254740993i", "0.1e-30", "1.5E+3", "1e", "abc", "", "nan",
  "1.2.3", ".5", "5.", "12a", "3.5q", "1_000", "7ia",
);
const timestamp = fc.constantFrom(
  "", " 1700000000000000000", " 1700000000000x00000", " 170000000000000000", " 9007199254740991",
  " 9007199254740992", " 9007199254740992000", " -9007199254740992000", " 1700000000000001999", " -5",
  " -1500", " 12a", " 99999999999999999999999", " 1", "  42  ", " 0", " 1700000000\t",
);
const line = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .tuple(measurement, fc.array(tag, { maxLength: 3 }), fc.array(fc.tuple(fieldKey, fieldValue), { minLength: 1, maxLength: 4 }), timestamp)
      .map(([m, tags, fields, ts]) => `${[m, ...tags].join(",")} ${fields.map(([k, v]) => `${k}=${v}`).join(",")}${ts}`),
  },
  { weight: 1, arbitrary: fc.constantFrom("", "   ", "# a comment", "garbage", "m device=x", "m,=v f=1", "m,device=d", "m,device=d  f=1 2 3", "\t m,device=d f=1") },
);
const body = fc.tuple(fc.array(line, { maxLength: 12 }), fc.constantFrom("\n", "\r\n"), fc.boolean()).map(([lines, nl, last]) => lines.join(nl) + (last ? nl : ""));
const options = fc.record({
  precision: fc.constantFrom("ns" as const, "us" as const, "ms" as const, "s" as const),
  deviceTags: fc.constantFrom(undefined, ["host"], ["site", "device"], ["dev=ice", "device"]),
});

/** A Telegraf-like body: `lines` lines of `fields` fields over 50 devices. */
function telegraf(lines: number, fields: number): string {
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const values = Array.from({ length: fields }, (_, f) => `f${f}=${(i * 7 + f) % 1000}.${f}`).join(",");
    out.push(`machine,device=dev-${i % 50},site=plant ${values} ${1_700_000_000_000_000_000n + BigInt(i) * 1_000_000_000n}`);
  }
  return out.join("\n");
}

describe("line protocol scanner", () => {
  it("decode any body exactly as the char-code parser does", () => {
    fc.assert(
      fc.property(body, options, (text, o) => {
        expectSameAsCharCodeParser(text, o);
      }),
      { numRuns: 400 },
    );
  });

  it("scan a Telegraf body to its end, leaving no line to the char-code parser", () => {
    const scan = lineScan();
    const body = new TextEncoder().encode(telegraf(100, 4));
    expect(scan.load(body, [new TextEncoder().encode("device")], "ns", 0)).toBe(true);
    expect(scan.scan(0, 0)).toBe(100);
    expect(scan.stoppedAt).toBe(body.length);
  });

  it("decode a body past its output limits (lines and fields per scan) exactly as the char-code parser does", () => {
    expectSameAsCharCodeParser(telegraf(10_000, 4));
    expectSameAsCharCodeParser(telegraf(5_000, 9));
  });

  it("leave a line with more fields than one scan holds to the char-code parser", () => {
    const wide = `m,device=d ${Array.from({ length: 40_000 }, (_, f) => `f${f}=1`).join(",")} 1\nm,device=e value=2 2`;
    expectSameAsCharCodeParser(wide, {}, { ...LIMITS, maxReadings: 100_000 });
    expect(outcome(wide, {}, { ...LIMITS, maxReadings: 100_000 }).columns.values.length).toBe(40_001);
  });

  it("read every line with the char-code parser when the device tag keys do not fit the scanner's table", () => {
    const tags = Array.from({ length: 300 }, (_, k) => `tag${k}`);
    expectSameAsCharCodeParser("m,tag299=d value=1 1\nm,device=x value=2 2", { deviceTags: tags });
  });

  it("refuse a body over maxReadings exactly as the char-code parser does, wherever the limit falls", () => {
    for (const maxReadings of [0, 1, 3, 4095, 4096, 16_383, 16_384]) expectSameAsCharCodeParser(telegraf(5_000, 4), {}, { ...LIMITS, maxReadings });
  });
});
