// Influx line protocol as Telegraf writes it: tags, several typed fields, escaping, precisions,
// comments and \r\n; channel naming after VictoriaMetrics; every rejection reason, one per bad line.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { BatchBuilder } from "../../../src/ingest/batch-builder.js";
import { decodeLineProtocol, type LineProtocolOptions } from "../../../src/ingest/frames/index.js";
import { fieldValue } from "../../../src/ingest/frames/line-values.js";
import { LIMITS, frameErrorOf, rowsOf } from "./helpers.js";

const T0 = 1_700_000_000_000_000;
const NOW = 1_234_567;

function decode(body: string, options: LineProtocolOptions = {}) {
  const builder = new BatchBuilder();
  const result = decodeLineProtocol(body, builder, LIMITS, { now: NOW, ...options });
  return { ...result, rows: rowsOf(builder) };
}

describe("line protocol", () => {
  it("read a simple line: channel = measurement for a field named value, device = the device tag", () => {
    const out = decode("temp,device=press-17 value=21.5 1700000000000000000");
    expect(out).toEqual({ seq: undefined, readings: 1, rejected: [], rows: [{ device: "press-17", channel: "temp", ts: T0, value: 21.5 }] });
  });

  it("read Telegraf's lines: many tags, several fields of every type, measurement_field channels", () => {
    const out = decode('cpu,cpu=cpu-total,host=h1 usage_idle=99.5,usage_user=3i,uptime=1234u,up=true,state="running" 1700000000000001999');
    expect(out.rows).toEqual([
      { device: "h1", channel: "cpu_usage_idle", ts: T0 + 1, value: 99.5 },
      { device: "h1", channel: "cpu_usage_user", ts: T0 + 1, value: 3 },
      { device: "h1", channel: "cpu_uptime", ts: T0 + 1, value: 1234 },
      { device: "h1", channel: "cpu_up", ts: T0 + 1, value: 1 },
    ]);
    expect(out.rejected).toEqual([{ index: 0, reason: "non_numeric", detail: 'field "state" is a string' }]);
  });

  it("take the device from the first configured tag key present, whatever the tag order", () => {
    const body = "m,host=h,device=d value=1 0\nm,host=h value=2 0\nm,site=s,host=h value=3 0";
    expect(decode(body).rows.map((r) => r.device)).toEqual(["d", "h", "h"]);
    expect(decode(body, { deviceTags: ["site", "host"] }).rows.map((r) => r.device)).toEqual(["h", "h", "s"]);
    const none = decode(body, { deviceTags: ["machine"] });
    expect(none.rejected).toEqual([0, 1, 2].map((index) => ({ index, reason: "missing_field", detail: "no machine tag" })));
  });

  it("read timestamps in every precision, nanoseconds rounded toward the past, and use now when there is none", () => {
    const line = (ts: string) => `m,device=d value=1 ${ts}`;
    expect(decode(line("1700000000000000999")).rows[0].ts).toBe(T0);
    expect(decode(line("-1")).rows[0].ts).toBe(-1);
    expect(decode(line("-1000")).rows[0].ts).toBe(-1);
    expect(decode(line("-1001")).rows[0].ts).toBe(-2);
    expect(decode(line("999")).rows[0].ts).toBe(0);
    expect(decode(line("1700000000000000"), { precision: "us" }).rows[0].ts).toBe(T0);
    expect(decode(line("1700000000000"), { precision: "ms" }).rows[0].ts).toBe(T0);
    expect(decode(line("1700000000"), { precision: "s" }).rows[0].ts).toBe(T0);
    expect(decode("m,device=d value=1").rows[0].ts).toBe(NOW);
    expect(decode("m,device=d value=1   \r\n").rows[0].ts).toBe(NOW);
  });

  it("unescape measurements, tag values and field keys, and read strings with escaped quotes and newlines", () => {
    const body = [
      'my\\ meas\\,ure,device=a\\ b\\,c\\=d,x=1 f\\ 1=1,f\\=2=2,s="say \\"hi\\"\\\\, then\nbye" 0',
      "next,device=d\\\\e value=3 0",
      "back\\slash,device=d value=4 0",
    ].join("\n");
    const out = decode(body);
    expect(out.rows).toEqual([
      { device: "a b,c=d", channel: "my meas,ure_f 1", ts: 0, value: 1 },
      { device: "a b,c=d", channel: "my meas,ure_f=2", ts: 0, value: 2 },
      { device: "d\\e", channel: "next", ts: 0, value: 3 },
      { device: "d", channel: "back\\slash", ts: 0, value: 4 },
    ]);
    // The string's newline counts as a line: "next" is line 2.
    expect(out.rejected).toEqual([{ index: 0, reason: "non_numeric", detail: 'field "s" is a string' }]);
    expect(decode(body.replace("next,device", "next,nodevice")).rejected[1]).toMatchObject({ index: 2, reason: "missing_field" });
  });

  it("skip comments and blank lines, tolerate \\r\\n and blanks, and count every line", () => {
    const body = "# header\r\n\r\n  temp,device=d value=1 0\r\n\t\n# temp,device=d value=9 0\nbroken\r\ntemp,device=d value=2 0  \r\n";
    const out = decode(body);
    expect(out.rows.map((r) => r.value)).toEqual([1, 2]);
    const at = body.indexOf("broken\r\n") + 7;
    expect(out.rejected).toEqual([{ index: 5, reason: "malformed", detail: `no fields at byte ${at}; line starts "broken\\r"` }]);
  });

  it("give each line the channels of its own names when it changes the shape of the line before", () => {
    // Lines compared with the one before: same length, other bytes; other field order; more fields;
    // an escaped key; a string field in the shape; a line after a malformed one.
    const body = [
      "m,device=d a=1,b=2 0",
      "n,device=d a=3,b=4 0",
      "n,device=d b=5,a=6 0",
      "n,device=d b=7,a=8,c=9 0",
      "n,device=d b\\ x=10,a=11 0",
      'n,device=d s="x",a=12 0',
      'n,device=d s="y",a=13 0',
      "n,device=d a=",
      "n,device=d a=14,b=15 0",
    ].join("\n");
    const out = decode(body);
    expect(out.rows.map((r) => `${r.channel}=${r.value}`)).toEqual([
      "m_a=1", "m_b=2", "n_a=3", "n_b=4", "n_b=5", "n_a=6", "n_b=7", "n_a=8", "n_c=9", "n_b x=10", "n_a=11", "n_a=12", "n_a=13", "n_a=14", "n_b=15",
    ]);
    expect(out.rejected.map((r) => `${r.index} ${r.reason}`)).toEqual(["5 non_numeric", "6 non_numeric", "7 malformed"]);
  });

  it("read booleans in all their spellings and integers of both kinds", () => {
    const spellings = ["t", "T", "true", "True", "TRUE", "f", "F", "false", "False", "FALSE"];
    const out = decode(spellings.map((b, i) => `m,device=d value=${b} ${i}`).join("\n"));
    expect(out.rows.map((r) => r.value)).toEqual([1, 1, 1, 1, 1, 0, 0, 0, 0, 0]);
    const ints = decode("m,device=d a=-12i,b=0u,c=18446744073709551615u,d=9223372036854775807i,e=-9223372036854775808i,f=-0i 0");
    expect(ints.rejected).toEqual([]);
    expect(ints.rows.map((r) => r.value)).toEqual([-12, 0, 18446744073709551615, 9223372036854775807, -9223372036854775808, 0]);
    expect(Object.is(ints.rows[5].value, 0)).toBe(true);
  });

  it("read floats in every form exactly as parseFloat does", () => {
    const forms = ["1e3", "-1.5E-3", ".5", "-.5", "1.", "+2", "0012.50", "9007199254740993", "1e-400", "1.7976931348623157e308", "5e-324", "-0", "0.1", "123456789012345678901234567890"];
    const out = decode(`m,device=d ${forms.map((f, i) => `f${i}=${f}`).join(",")} 0`);
    expect(out.rejected).toEqual([]);
    out.rows.forEach((r, i) => expect(Object.is(r.value, Number.parseFloat(forms[i])), forms[i]).toBe(true));
  });

  it("agree with parseFloat on any double written by String, toExponential or toFixed", () => {
    const bytes = (s: string) => new TextEncoder().encode(s);
    const out = new Float64Array(1);
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: 0, max: 20 }), (x, digits) => {
        for (const text of [String(x), x.toExponential(digits), Math.abs(x) < 1e21 ? x.toFixed(digits) : String(x)]) {
          const b = bytes(text);
          fieldValue(b, 0, b.length, out, 0);
          if (!Object.is(out[0], Number.parseFloat(text))) expect.fail(`${text}: ${out[0]}`);
        }
      }),
      { numRuns: 20_000 },
    );
  });

  it("reject a malformed line as one rejection with its line number and keep the other lines", () => {
    const bad = [
      ",device=d value=1 0", // no measurement
      "m,device=d", // no fields
      "m,device value=1 0", // tag without =
      "m,device= value=1 0", // empty tag value
      "m,device=d value 0", // field without =
      "m,device=d value= 0", // no value
      'm,device=d s="x"y 0', // bytes after a string
      "m,device=d value=1 0 extra", // bytes after the timestamp
      "m,device=d value=1 12.5", // timestamp not an integer
      "m,device=d value=abc 0", // not a number
      "m,device=d value=1.5i 0", // integer with a point
      "m,device=d value=-3u 0", // negative unsigned
      "m,device=d value=tRUE 0", // not a boolean spelling
      "m,device=d value=NaN 0", // no NaN in line protocol
    ];
    const body = ["m,device=d value=1 0", ...bad, "m,device=d value=2 0"].join("\n");
    const out = decode(body);
    expect(out.rows.map((r) => r.value)).toEqual([1, 2]);
    expect(out.rejected.map((r) => [r.index, r.reason])).toEqual(bad.map((_, i) => [i + 1, "malformed"]));
    expect(out.rejected[9].detail).toMatch(/^field value "abc" is not a number, integer, boolean or string at byte \d+; line starts "m,device=d value=abc 0"$/);
  });

  it("reject a string that never closes as one malformed line, though it may span lines", () => {
    const out = decode('m,device=d value=1 0\nm,device=d s="open 0\nm,device=d value=2 0');
    expect(out.rows.map((r) => r.value)).toEqual([1]);
    expect(out.rejected).toEqual([{ index: 1, reason: "malformed", detail: expect.stringContaining("a string field has no closing quote") }]);
  });

  it("reject bad names, values and timestamps with their reasons", () => {
    const long = "x".repeat(129);
    const body = [
      `m,device=${long} value=1 0`, // device too long: the whole line
      `${"y".repeat(120)},device=d value=1,long_field_name=2 0`, // the channel of the second field is too long
      "m,device=d big=1e999,ok=1 0", // a float past float64
      "m,device=d big=9223372036854775808i 0", // past int64
      "m,device=d value=1 99999999999999999999999999", // past ±2^53 µs
      "m,device=d\\\u0001 value=1 0", // a control character in the device
    ].join("\n");
    const out = decode(body);
    expect(out.rejected.map((r) => [r.index, r.reason])).toEqual([
      [0, "bad_name"],
      [1, "bad_name"],
      [2, "bad_value"],
      [3, "bad_value"],
      [4, "bad_timestamp"],
      [5, "bad_name"],
    ]);
    expect(out.rows.map((r) => r.channel)).toEqual(["y".repeat(120), "m_ok"]);
    expect(decode("m,device=d value=1 1700000000", { precision: "s" }).rejected).toEqual([]);
    expect(decode("m,device=d value=1 10000000000", { precision: "s" }).rejected[0].reason).toBe("bad_timestamp");
  });

  it("check a device name against each body's own limit, however often earlier bodies sent it", () => {
    const body = "m,device=press-17\\ east value=1 0";
    for (let k = 0; k < 3; k++) expect(decode(body).rows).toEqual([{ device: "press-17 east", channel: "m", ts: 0, value: 1 }]);
    const strict = new BatchBuilder();
    const out = decodeLineProtocol(body, strict, { ...LIMITS, maxNameLength: 8 }, { now: NOW });
    expect(out.rejected.map((r) => r.reason)).toEqual(["bad_name"]);
    expect(rowsOf(strict)).toEqual([]);
  });

  it("read bytes as it reads text, and take non-ASCII names", () => {
    const body = "température,device=presse-é value=1 0\n温度,device=機械 value=2 0";
    const builder = new BatchBuilder();
    decodeLineProtocol(new TextEncoder().encode(body), builder, LIMITS, { now: NOW });
    expect(rowsOf(builder)).toEqual(decode(body).rows);
    expect(decode(body).rows.map((r) => [r.device, r.channel])).toEqual([["presse-é", "température"], ["機械", "温度"]]);
  });

  it("refuse a body with more readings and refusals than maxReadings, leaving the builder as it was", () => {
    const builder = new BatchBuilder();
    const body = Array.from({ length: 6 }, (_, i) => `m,device=d value=${i} 0`).join("\n");
    const err = frameErrorOf(() => decodeLineProtocol(body, builder, { ...LIMITS, maxReadings: 5 }, { now: NOW }), "TOO_LARGE");
    expect(err.message).toContain("line 5");
    expect(builder.length).toBe(0);
  });

  it("refuse options that are not configuration it knows", () => {
    expect(() => decode("m,device=d value=1", { precision: "h" as "s" })).toThrow(TypeError);
    expect(() => decode("m,device=d value=1", { now: 1.5 })).toThrow(TypeError);
  });
});
