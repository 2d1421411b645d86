// append() takes an Arrow RecordBatch in the batch schema of DESIGN.md (device, channel:
// dictionary<utf8>; ts: timestamp[us]; value: float64) and stores exactly what the same readings as
// columns store, however the batch was built.
import { describe, it, expect, beforeAll, afterEach } from "vitest";
import {
  Dictionary,
  Float64,
  Int32,
  Table,
  TimestampMicrosecond,
  TimestampMillisecond,
  Utf8,
  makeBuilder,
  makeData,
  makeVector,
  tableFromArrays,
  tableFromIPC,
  tableToIPC,
  vectorFromArray,
  type RecordBatch,
  type Vector,
} from "apache-arrow";
import { Archive, ArchiveError, createCodec, type Codec, type Query } from "../../src/index.js";
import { TempDirs, T0, SECOND, HOUR, columnsOf, type Reading } from "../support/archive-fixtures.js";
import { ReferenceStore, expectMatchesModel } from "../support/archive-reference.js";

const temp = new TempDirs();
let codec: Codec;
beforeAll(async () => {
  codec = await createCodec();
});
afterEach(() => temp.removeAll());

/** Three devices, two channels, interleaved; a rewritten timestamp (the later row wins) and NaN. */
function readings(): Reading[] {
  const devices = ["press-1", "press-2", "pump-1"];
  const out: Reading[] = [];
  for (let i = 0; i < 600; i++) {
    const device = devices[i % 3];
    out.push({ device, channel: i % 2 === 0 ? "temp" : "rpm", t: T0 + Math.floor(i / 3) * SECOND + (i % 3), v: i % 41 === 0 ? Number.NaN : Math.round(Math.cos(i) * 10000) / 100 });
  }
  out.push({ ...out[10], v: -12.5 });
  return out;
}

const QUERIES: Query[] = ["temp", "rpm"].map((channel) => ({
  channel,
  from: T0,
  to: T0 + HOUR,
  groupBy: "device",
  step: "1m",
  aggregates: ["count", "sum", "min", "max", "avg", "stddev", "first", "last", "rate", "p50", "p99"],
  percentiles: "exact",
}));

/** An exact-µs timestamp[us] vector (the Timestamp builders take milliseconds as JS numbers). */
function microseconds(rs: readonly Reading[]): Vector {
  return makeVector(makeData({ type: new TimestampMicrosecond(), length: rs.length, data: BigInt64Array.from(rs, (r) => BigInt(r.t)) }));
}

function values(rs: readonly Reading[]): Vector {
  return makeVector(makeData({ type: new Float64(), length: rs.length, data: Float64Array.from(rs, (r) => r.v) }));
}

/** A dictionary<utf8> vector built by hand, with index buffers exactly as long as the column. */
function exactDictionary(words: readonly string[]): Vector {
  const dictionary: string[] = [];
  const ids = new Map<string, number>();
  const indices = Int32Array.from(words, (w) => {
    let id = ids.get(w);
    if (id === undefined) ids.set(w, (id = dictionary.push(w) - 1));
    return id;
  });
  const type = new Dictionary(new Utf8(), new Int32());
  return makeVector(makeData({ type, length: words.length, data: indices, dictionary: vectorFromArray(dictionary, new Utf8()) }));
}

/** An exported table's readings as [device, µs, value] rows, in series then time order. */
function exportedRows(table: Table): [string, number, number][] {
  const device = table.getChild("device")!.toArray() as string[];
  const ts = table.getChild("ts")!.toArray() as BigInt64Array;
  const value = table.getChild("value")!.toArray() as Float64Array;
  const rows = Array.from(device, (d, i): [string, number, number] => [d, Number(ts[i]), value[i]]);
  return rows.sort((x, y) => x[0].localeCompare(y[0]) || x[1] - y[1]);
}

function byKey<G extends { key: Record<string, string> }>(groups: readonly G[]): G[] {
  return [...groups].sort((a, b) => JSON.stringify(a.key).localeCompare(JSON.stringify(b.key)));
}

function batchOf(columns: Record<string, Vector>): RecordBatch {
  const table = new Table(columns);
  expect(table.batches).toHaveLength(1);
  return table.batches[0];
}

/** Appends `batch` to one archive and the same readings as columns to another; both must agree with the model. */
async function expectStoredLikeColumns(batch: RecordBatch, rs: readonly Reading[]): Promise<void> {
  const viaArrow = await Archive.open(await temp.make("iotpipe-arrow-"), { codec });
  const viaColumns = await Archive.open(await temp.make("iotpipe-columns-"), { codec });
  try {
    expect(await viaArrow.append(batch)).toMatchObject({ points: rs.length, late: 0 });
    await viaColumns.append(columnsOf(rs));
    const model = new ReferenceStore();
    model.write(rs);
    for (const q of QUERIES) {
      const arrow = await viaArrow.query(q);
      expectMatchesModel(arrow, model.query(q), q, `${q.channel}: `);
      // Group order follows the order devices were first registered, which dictionaries may change.
      expect(byKey(arrow.groups)).toEqual(byKey((await viaColumns.query(q)).groups));
    }
    // Point for point: the same raw readings come back out.
    const selection = { channel: "temp", from: T0, to: T0 + HOUR };
    const a = await viaArrow.exportTable(selection);
    const b = await viaColumns.exportTable(selection);
    expect(exportedRows(a)).toEqual(exportedRows(b));
  } finally {
    await viaArrow.close();
    await viaColumns.close();
  }
}

describe("Arrow record batches", () => {
  it("are stored like columns when the dictionaries are built by vectorFromArray with an explicit dictionary type", async () => {
    const rs = readings();
    const type = () => new Dictionary(new Utf8(), new Int32());
    const batch = batchOf({
      device: vectorFromArray(rs.map((r) => r.device), type()),
      channel: vectorFromArray(rs.map((r) => r.channel), type()),
      ts: microseconds(rs),
      value: vectorFromArray(rs.map((r) => r.v), new Float64()),
    });
    await expectStoredLikeColumns(batch, rs);
  });

  it("are stored like columns when the dictionaries come from a dictionary builder", async () => {
    const rs = readings();
    const build = (words: string[]) => {
      const builder = makeBuilder({ type: new Dictionary(new Utf8(), new Int32()) });
      for (const w of words) builder.append(w);
      return builder.finish().toVector();
    };
    const batch = batchOf({ device: build(rs.map((r) => r.device)), channel: build(rs.map((r) => r.channel)), ts: microseconds(rs), value: values(rs) });
    await expectStoredLikeColumns(batch, rs);
  });

  it("are stored like columns when built with tableFromArrays (strings become dictionary<utf8>)", async () => {
    const rs = readings();
    const names = tableFromArrays({ device: rs.map((r) => r.device), channel: rs.map((r) => r.channel), value: Float64Array.from(rs, (r) => r.v) });
    expect(String(names.getChild("device")!.type)).toBe("Dictionary<Int32, Utf8>");
    const batch = batchOf({ device: names.getChild("device")!, channel: names.getChild("channel")!, ts: microseconds(rs), value: names.getChild("value")! });
    await expectStoredLikeColumns(batch, rs);
  });

  it("are stored like columns when the dictionary indices are exactly as long as the batch", async () => {
    const rs = readings();
    const batch = batchOf({ device: exactDictionary(rs.map((r) => r.device)), channel: exactDictionary(rs.map((r) => r.channel)), ts: microseconds(rs), value: values(rs) });
    await expectStoredLikeColumns(batch, rs);
  });

  it("are stored like columns after a round trip through Arrow IPC, as they arrive from the bus", async () => {
    const rs = readings();
    const table = new Table({ device: exactDictionary(rs.map((r) => r.device)), channel: exactDictionary(rs.map((r) => r.channel)), ts: microseconds(rs), value: values(rs) });
    const received = tableFromIPC(tableToIPC(table, "stream"));
    expect(received.batches).toHaveLength(1);
    await expectStoredLikeColumns(received.batches[0], rs);
  });

  it("store only their own rows when they are a slice of a larger batch", async () => {
    const rs = readings();
    const whole = batchOf({ device: exactDictionary(rs.map((r) => r.device)), channel: exactDictionary(rs.map((r) => r.channel)), ts: microseconds(rs), value: values(rs) });
    await expectStoredLikeColumns(whole.slice(100, 350), rs.slice(100, 350));
  });

  it("accept plain utf8 device and channel columns", async () => {
    const rs = readings();
    const batch = batchOf({
      device: vectorFromArray(rs.map((r) => r.device), new Utf8()),
      channel: vectorFromArray(rs.map((r) => r.channel), new Utf8()),
      ts: microseconds(rs),
      value: values(rs),
    });
    await expectStoredLikeColumns(batch, rs);
  });

  it("without one of the four columns give BAD_BATCH", async () => {
    const rs = readings();
    const archive = await Archive.open(await temp.make(), { codec });
    try {
      const batch = batchOf({ device: exactDictionary(rs.map((r) => r.device)), channel: exactDictionary(rs.map((r) => r.channel)), value: values(rs) });
      const error = await archive.append(batch).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ArchiveError);
      expect(error).toMatchObject({ code: "BAD_BATCH" });
    } finally {
      await archive.close();
    }
  });

  it("with a timestamp column in milliseconds are converted to µs or refused, never read as µs", async () => {
    const rs = readings().slice(0, 30).map((r, i) => ({ ...r, t: T0 + i * SECOND }));
    const archive = await Archive.open(await temp.make(), { codec });
    try {
      const ms = makeVector(makeData({ type: new TimestampMillisecond(), length: rs.length, data: BigInt64Array.from(rs, (r) => BigInt(r.t / 1000)) }));
      const batch = batchOf({ device: exactDictionary(rs.map((r) => r.device)), channel: exactDictionary(rs.map((r) => r.channel)), ts: ms, value: values(rs) });
      const outcome = await archive.append(batch).catch((e: unknown) => e);
      if (outcome instanceof ArchiveError) {
        expect(outcome.code).toBe("BAD_BATCH");
      } else {
        const model = new ReferenceStore();
        model.write(rs);
        for (const q of QUERIES) expectMatchesModel(await archive.query(q), model.query(q), q, `${q.channel}: `);
      }
    } finally {
      await archive.close();
    }
  });

  it("with a null value are refused or leave that reading out, never store it as 0", async () => {
    const rs = readings().slice(0, 30);
    const archive = await Archive.open(await temp.make(), { codec });
    try {
      const withNull = vectorFromArray(rs.map((r, i) => (i === 4 ? null : r.v)), new Float64());
      expect(withNull.nullCount).toBe(1);
      const batch = batchOf({ device: exactDictionary(rs.map((r) => r.device)), channel: exactDictionary(rs.map((r) => r.channel)), ts: microseconds(rs), value: withNull });
      const outcome = await archive.append(batch).catch((e: unknown) => e);
      if (outcome instanceof ArchiveError) {
        expect(outcome.code).toBe("BAD_BATCH");
      } else {
        const at = rs[4];
        const r = await archive.query({ devices: [at.device], channel: at.channel, from: at.t, to: at.t + 1, aggregates: ["count", "min"] });
        expect(r.groups[0].rows.map((row) => row.values)).toEqual([]);
      }
    } finally {
      await archive.close();
    }
  });
});
