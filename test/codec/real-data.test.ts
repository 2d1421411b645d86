// Real series come back bit for bit through the auto codec: every NAB CSV (5-minute and irregular
// clocks, printed decimals) and every ALP sample (float shapes from sensors, prices, coordinates).
import { describe, it, expect } from "vitest";
import { createCodec } from "../../src/codec/index.js";
import { bitDifference } from "../support/bits.js";
import { alpFiles, loadAlpSample, loadNabSeries, nabFiles } from "../support/datasets.js";

const codec = await createCodec();
const NAB = nabFiles();
const ALP = alpFiles();

function expectRoundTrip(timestamps: Float64Array, values: Float64Array): void {
  const block = codec.encode(timestamps, values);
  const back = codec.decode(block);
  expect(bitDifference(back.values, values), "values").toBeUndefined();
  expect(bitDifference(back.timestamps, timestamps), "timestamps").toBeUndefined();
  expect(codec.summary(block).valueBytes).toBeLessThanOrEqual(8 * values.length);
}

it("finds the shared NAB series and ALP samples beside the repository", () => {
  expect(NAB.length).toBeGreaterThan(0);
  expect(ALP.length).toBeGreaterThan(0);
});

describe("NAB series", () => {
  it.each(NAB)("round-trips %s bit for bit", (file) => {
    const { timestamps, values } = loadNabSeries(file);
    expect(values.length).toBeGreaterThan(0);
    expectRoundTrip(timestamps, values);
  });
});

describe("ALP samples as 1 Hz series", () => {
  it.each(ALP)("round-trips %s bit for bit", (file) => {
    const values = loadAlpSample(file);
    expect(values.length).toBeGreaterThan(0);
    const timestamps = Float64Array.from(values, (_, i) => 1_700_000_000_000_000 + i * 1_000_000);
    expectRoundTrip(timestamps, values);
  });
});
