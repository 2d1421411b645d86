// WAL records: format 4 numbers series per WAL file (a key is written once per file, not once per
// record), replays into the same runs, forgets definitions cut off after a failed write, refuses
// damaged records with a typed error, and format 3 records written by earlier versions still replay.
import { beforeAll, describe, expect, it } from "vitest";
import { createCodec, CodecError, type Codec } from "../../src/codec/index.js";
import { splitBySeries, type ReadingColumns } from "../../src/archive/batch.js";
import { decodeWalRecord, encodeWalRecord } from "../../src/archive/wal-record.js";
import { WalDictionary } from "../../src/archive/wal-dictionary.js";
import { ArchiveError } from "../../src/archive/errors.js";
import type { SeriesName } from "../../src/archive/series-key.js";

const T0 = 1_700_000_000_000_000;

/** A gateway batch: `devices` devices × two channels, one reading each, at tick `tick`. */
function gatewayBatch(devices: number, tick: number): ReadingColumns {
  const names = Array.from({ length: devices }, (_, d) => `press-${d}`);
  const n = devices * 2;
  const cols: ReadingColumns = {
    devices: names,
    channels: ["temp", "rpm"],
    device: new Uint32Array(n),
    channel: new Uint32Array(n),
    timestamps: new Float64Array(n),
    values: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    cols.device[i] = i >> 1;
    cols.channel[i] = i & 1;
    cols.timestamps[i] = T0 + tick * 1_000_000 + (i >> 1);
    cols.values[i] = Math.round((20 + Math.sin(i + tick)) * 100) / 100;
  }
  return cols;
}

function keyOf(s: SeriesName): string {
  return s.key;
}

let codec: Codec;
beforeAll(async () => {
  codec = await createCodec();
});

describe("WAL records", () => {
  it("write each series' key once per WAL file: a later record of the same series names them by number", () => {
    const names = new WalDictionary();
    const first = encodeWalRecord(codec, splitBySeries(gatewayBatch(500, 0)), [], names);
    expect(first.defines).toHaveLength(1000);
    names.define(first.defines, 0);
    const second = encodeWalRecord(codec, splitBySeries(gatewayBatch(500, 1)), [], names);
    expect(second.defines).toHaveLength(0);
    expect(new TextDecoder().decode(second.payload)).not.toContain("press-");
    // 1 000 one-reading runs: a few bytes each, where a key per run cost over 20.
    expect(second.payload.length).toBeLessThan(first.payload.length / 3);
    expect(second.payload.length / 1000).toBeLessThan(8);
  });

  it("replay in file order into the same runs, series and readings", () => {
    const names = new WalDictionary();
    const replayed: SeriesName[] = [];
    for (let tick = 0; tick < 3; tick++) {
      const runs = splitBySeries(gatewayBatch(50 + tick * 10, tick));
      const record = encodeWalRecord(codec, runs, [], names);
      names.define(record.defines, tick * 1000);
      const back = decodeWalRecord(codec, record.payload, "test.wal", replayed).runs;
      expect(back.series.map(keyOf)).toEqual(runs.series.map(keyOf));
      expect(back.series).toEqual(runs.series);
      expect([...back.starts]).toEqual([...runs.starts]);
      expect([...back.timestamps]).toEqual([...runs.timestamps]);
      expect([...back.values]).toEqual([...runs.values]);
    }
    expect(replayed).toHaveLength(names.size);
  });

  it("forget the series defined by records cut off after a failed write, so the next record defines them again", () => {
    const names = new WalDictionary();
    const a = encodeWalRecord(codec, splitBySeries(gatewayBatch(10, 0)), [], names);
    names.define(a.defines, 0);
    const b = encodeWalRecord(codec, splitBySeries(gatewayBatch(20, 1)), [], names);
    expect(b.defines).toHaveLength(20);
    names.define(b.defines, 500);
    names.cutBack(500);
    expect(names.size).toBe(20);
    const again = encodeWalRecord(codec, splitBySeries(gatewayBatch(20, 1)), [], names);
    expect(again.defines.map(keyOf)).toEqual(b.defines.map(keyOf));
  });

  it("refuse a record naming a series its file never defined with CORRUPT_WAL", () => {
    const names = new WalDictionary();
    const a = encodeWalRecord(codec, splitBySeries(gatewayBatch(5, 0)), [], names);
    names.define(a.defines, 0);
    const b = encodeWalRecord(codec, splitBySeries(gatewayBatch(5, 1)), [], names);
    // Replayed without the record before it, as if the file had lost it.
    expect(() => decodeWalRecord(codec, b.payload, "test.wal", [])).toThrow(/names series 0, but the file has defined 0/);
    try {
      decodeWalRecord(codec, b.payload, "test.wal", []);
    } catch (err) {
      expect((err as ArchiveError).code).toBe("CORRUPT_WAL");
    }
  });

  it("refuse every truncation and every byte changed in the record's framing with a typed error, never anything else", () => {
    const names = new WalDictionary();
    const { payload } = encodeWalRecord(codec, splitBySeries(gatewayBatch(40, 0)), [], names);
    const typed = (bytes: Uint8Array) => {
      try {
        decodeWalRecord(codec, bytes, "test.wal", []);
      } catch (err) {
        if (err instanceof ArchiveError || err instanceof CodecError) return;
        throw err;
      }
    };
    for (let cut = 0; cut < payload.length; cut++) {
      expect(() => decodeWalRecord(codec, payload.subarray(0, cut), "test.wal", [])).toThrow();
      typed(payload.subarray(0, cut));
    }
    for (let at = 0; at < Math.min(payload.length, 400); at++) {
      for (const value of [0x00, 0x7f, 0x80, 0xff]) {
        const damaged = payload.slice();
        damaged[at] = value;
        typed(damaged);
      }
    }
  });

  it("replay format 3 records, written before series were numbered, as ever", () => {
    const runs = splitBySeries(gatewayBatch(3, 0));
    const encoder = new TextEncoder();
    const keys = runs.series.map((s) => encoder.encode(s.key));
    const block = codec.encode(runs.timestamps, runs.values);
    const size = 1 + 4 + keys.reduce((n, k) => n + 2 + k.length + 4, 0) + 4 + 4 + block.length + 4;
    const payload = new Uint8Array(size);
    const view = new DataView(payload.buffer);
    payload[0] = 3;
    view.setUint32(1, keys.length, true);
    let at = 5;
    keys.forEach((k, i) => {
      view.setUint16(at, k.length, true);
      payload.set(k, at + 2);
      at += 2 + k.length;
      view.setUint32(at, runs.starts[i + 1] - runs.starts[i], true);
      at += 4;
    });
    view.setUint32(at, 1, true);
    view.setUint32(at + 4, block.length, true);
    payload.set(block, at + 8);
    view.setUint32(at + 8 + block.length, 0, true);
    const back = decodeWalRecord(codec, payload, "old.wal", []);
    expect(back.runs.series).toEqual(runs.series);
    expect([...back.runs.values]).toEqual([...runs.values]);
    expect(back.edge).toEqual([]);
  });
});
