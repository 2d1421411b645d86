// Export of a time range as Arrow IPC (stream format) or Parquet, in the batch schema of DESIGN.md
// (device, channel: dictionary<utf8>; ts: timestamp[us]; value: float64), so DuckDB, Spark and pandas
// read the archive.
import { tableToIPC, Table, vectorFromArray, makeVector, makeData, Dictionary, Utf8, Int32, TimestampMicrosecond, Float64 } from "apache-arrow";
import { Table as ParquetTable, writeParquet, WriterPropertiesBuilder, Compression } from "parquet-wasm";
import type { SeriesPoints } from "../query/raw.js";

/** Builds one Arrow table from series points. */
export function pointsTable(series: readonly SeriesPoints[]): Table {
  const n = series.reduce((s, p) => s + p.timestamps.length, 0);
  const devices: string[] = new Array(n);
  const channels: string[] = new Array(n);
  const ts = new BigInt64Array(n);
  const values = new Float64Array(n);
  let at = 0;
  for (const s of series) {
    for (let i = 0; i < s.timestamps.length; i++, at++) {
      devices[at] = s.device;
      channels[at] = s.channel;
      ts[at] = BigInt(s.timestamps[i]);
      values[at] = s.values[i];
    }
  }
  return new Table({
    device: vectorFromArray(devices, new Dictionary(new Utf8(), new Int32())),
    channel: vectorFromArray(channels, new Dictionary(new Utf8(), new Int32())),
    ts: makeVector(makeData({ type: new TimestampMicrosecond(), length: n, data: ts })),
    value: makeVector(makeData({ type: new Float64(), length: n, data: values })),
  });
}

/** Arrow IPC stream bytes of a table. */
export function toArrowIPC(table: Table): Uint8Array {
  return tableToIPC(table, "stream");
}

/** Parquet bytes (zstd) of a table. */
export function toParquet(table: Table): Uint8Array {
  const props = new WriterPropertiesBuilder().setCompression(Compression.ZSTD).build();
  return writeParquet(ParquetTable.fromIPCStream(tableToIPC(table, "stream")), props);
}
