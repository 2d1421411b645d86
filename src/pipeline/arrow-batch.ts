// A batch of flagged readings as one Arrow RecordBatch and as Arrow IPC stream bytes: the unit that
// moves between threads and through Redis Streams (DESIGN.md, Scale-out). Columns are handed to Arrow
// as they are and read back as views, so a trip costs a few copies of the batch, never an object per
// reading.
import {
  Dictionary,
  Field,
  Float64,
  Int32,
  makeData,
  makeVector,
  RecordBatch,
  RecordBatchReader,
  RecordBatchStreamWriter,
  Schema,
  Struct,
  TimestampMicrosecond,
  Type,
  TimeUnit,
  Uint8,
  Utf8,
  type Data,
  type Timestamp,
} from "apache-arrow";
import type { FlaggedColumns } from "../ingest/batch-builder.js";
import { plausibleStream } from "./arrow-stream-check.js";
import { IpcStreamLayout, typedView, type StreamContent } from "./ipc-stream.js";
import { offsetsInOrder, stringsAt, utf8Buffers, utf8Data, utf8Strings } from "./utf8-column.js";

/** Why a batch could not be turned into Arrow, or Arrow bytes into a batch. */
export type ArrowBatchErrorCode = "BAD_BATCH" | "BAD_IPC" | "BAD_SCHEMA" | "TIMESTAMP_RANGE";

/** Bad input on either side of the Arrow conversion, with the column and reading involved. */
export class ArrowBatchError extends Error {
  override readonly name = "ArrowBatchError";
  /** Machine-readable reason. */
  readonly code: ArrowBatchErrorCode;
  /** The reading (row) the problem was found at, when there is one. */
  readonly at: number | undefined;

  constructor(code: ArrowBatchErrorCode, message: string, at?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.at = at;
  }
}

// Dictionary ids are fixed so two encodings of the same batch are the same bytes. Int32 indices (not
// Uint32) because signed indices are what every Arrow reader accepts; ids below 2^31 share their bits.
const DEVICE = new Dictionary(new Utf8(), new Int32(), 0);
const CHANNEL = new Dictionary(new Utf8(), new Int32(), 1);
const TS = new TimestampMicrosecond();
const VALUE = new Float64();
const FLAGS = new Uint8();
const FIELDS = [
  new Field("device", DEVICE, false),
  new Field("channel", CHANNEL, false),
  new Field("ts", TS, false),
  new Field("value", VALUE, false),
  new Field("flags", FLAGS, false),
];
/** The schema of a batch (DESIGN.md, Data model). */
export const BATCH_SCHEMA = new Schema(FIELDS);
const ROW = new Struct(FIELDS);

// The fast timestamp paths write and read int64 as two 32-bit words, which is only right on a
// little-endian host (Arrow JS assumes one too); anything else takes the BigInt paths.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const TWO_32 = 4294967296;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The batch as one Arrow RecordBatch; the value, flag and index columns are shared, not copied. */
export function batchToRecordBatch(batch: FlaggedColumns): RecordBatch {
  const n = rowsOf(batch);
  const device = dictionaryData(DEVICE, batch.device, checkedDictionary("device", batch.device, batch.devices));
  const channel = dictionaryData(CHANNEL, batch.channel, checkedDictionary("channel", batch.channel, batch.channels));
  const ts = makeData({ type: TS, length: n, nullCount: 0, data: timestampsOut(batch.timestamps) });
  const value = makeData({ type: VALUE, length: n, nullCount: 0, data: batch.values });
  const flags = makeData({ type: FLAGS, length: n, nullCount: 0, data: batch.flags });
  return new RecordBatch(BATCH_SCHEMA, makeData({ type: ROW, length: n, nullCount: 0, children: [device, channel, ts, value, flags] }));
}

/** Bytes per row of each column in the stream: device and channel indices (int32), ts (int64), value, flags. */
const WIDTHS = [4, 4, 8, 8, 1];

/**
 * @internal The direct writer and reader of this schema's streams (ipc-stream.ts), learned from the bytes
 * Arrow's writer makes for a small batch; undefined (Arrow's writer and reader for everything) when
 * they do not check out.
 */
export const LAYOUT = IpcStreamLayout.learn(
  RecordBatchStreamWriter.writeAll([
    batchToRecordBatch({
      devices: ["a", "bc"],
      channels: ["t"],
      device: Uint32Array.of(0, 1, 1),
      channel: Uint32Array.of(0, 0, 0),
      timestamps: Float64Array.of(1, 2, 3),
      values: Float64Array.of(0.5, 1.5, 2.5),
      flags: Uint8Array.of(0, 1, 0),
    }),
  ]).toUint8Array(true),
  2,
  WIDTHS,
);

/** Arrow IPC stream bytes (schema, two dictionaries, one record batch, end-of-stream marker) of a batch. */
export function batchToIPC(batch: FlaggedColumns): Uint8Array {
  const n = rowsOf(batch);
  if (!LAYOUT || !LITTLE_ENDIAN || n === 0) return RecordBatchStreamWriter.writeAll([batchToRecordBatch(batch)]).toUint8Array(true);
  const devices = utf8Buffers(checkedDictionary("device", batch.device, batch.devices));
  const channels = utf8Buffers(checkedDictionary("channel", batch.channel, batch.channels));
  const columns = [batch.device, batch.channel, timestampsOut(batch.timestamps), batch.values, batch.flags].map((c) => new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
  return LAYOUT.write({ dictionaries: [devices, channels], columns, rows: n });
}

function rowsOf(batch: FlaggedColumns): number {
  const n = batch.timestamps.length;
  if (batch.values.length !== n || batch.device.length !== n || batch.channel.length !== n || batch.flags.length !== n) {
    throw new ArrowBatchError(
      "BAD_BATCH",
      `columns differ in length: ts ${n}, value ${batch.values.length}, device ${batch.device.length}, channel ${batch.channel.length}, flags ${batch.flags.length}`,
    );
  }
  return n;
}

function timestampsOut(ts: Float64Array): BigInt64Array {
  return LITTLE_ENDIAN ? timestampsToInt64(ts) : timestampsToInt64Slow(ts);
}

/**
 * The batch held in Arrow IPC stream bytes (exactly one record batch). The value and flag columns (and
 * the device/channel indices) are views into `bytes` when it is suitably aligned: do not reuse it.
 */
export function batchFromIPC(bytes: Uint8Array): FlaggedColumns {
  // A stream with the batch schema (every stream iotpipe writes) is read directly or refused: Arrow's
  // reader trusts the lengths in the bytes, and a damaged one can make it allocate without bound.
  if (LAYOUT && LITTLE_ENDIAN && LAYOUT.hasSchemaOf(bytes)) {
    const content = LAYOUT.read(bytes);
    if (!content) throw new ArrowBatchError("BAD_IPC", `an Arrow IPC stream of the batch schema (${bytes.byteLength} bytes) is cut short, damaged or holds other than one record batch without nulls`);
    return batchFromContent(content);
  }
  if (!plausibleStream(bytes)) throw new ArrowBatchError("BAD_IPC", `not an Arrow IPC stream (${bytes.byteLength} bytes): its framing or metadata leaves the bytes`);
  try {
    const batches = RecordBatchReader.from(bytes).readAll();
    if (batches.length !== 1) throw new ArrowBatchError("BAD_IPC", `expected one record batch in ${bytes.byteLength} bytes, found ${batches.length}`);
    // A stream cut after its schema or dictionaries reads as an empty placeholder batch (a subclass),
    // which would silently lose the readings.
    if (Object.getPrototypeOf(batches[0]) !== RecordBatch.prototype) throw new ArrowBatchError("BAD_IPC", `the stream ends before its record batch (${bytes.byteLength} bytes)`);
    return batchFromRecordBatch(batches[0]);
  } catch (err) {
    if (err instanceof ArrowBatchError) throw err;
    // Arrow's reader trusts the lengths in the bytes: damaged bytes fail in many places inside it.
    throw new ArrowBatchError("BAD_IPC", `not an Arrow IPC stream of a batch (${bytes.byteLength} bytes): ${(err as Error)?.message ?? String(err)}`, undefined, { cause: err });
  }
}

/** The columns of an Arrow RecordBatch with the batch schema (any integer dictionary index type). */
export function batchFromRecordBatch(rb: RecordBatch): FlaggedColumns {
  const column = (name: string): Data => {
    const i = rb.schema.fields.findIndex((f) => f.name === name);
    // Through the column's vector: a batch made from vectors keeps dictionaries there, not in rb.data.
    const data = i < 0 ? undefined : rb.getChildAt(i)?.data[0];
    if (!data) throw new ArrowBatchError("BAD_SCHEMA", `the batch has no column ${name} (columns: ${rb.schema.fields.map((f) => f.name).join(", ")})`);
    if (data.nullCount > 0) throw new ArrowBatchError("BAD_BATCH", `column ${name} holds ${data.nullCount} nulls`);
    return data;
  };
  const [devices, device] = dictionaryColumn(column("device"), "device");
  const [channels, channel] = dictionaryColumn(column("channel"), "channel");
  const ts = column("ts");
  if (ts.type.typeId !== Type.Timestamp || (ts.type as Timestamp).unit !== TimeUnit.MICROSECOND) {
    throw new ArrowBatchError("BAD_SCHEMA", `column ts is ${ts.type}, expected Timestamp<MICROSECOND>`);
  }
  const value = column("value");
  if (value.type.typeId !== Type.Float || !(value.values instanceof Float64Array)) throw new ArrowBatchError("BAD_SCHEMA", `column value is ${value.type}, expected Float64`);
  const flags = column("flags");
  if (flags.type.typeId !== Type.Int || !(flags.values instanceof Uint8Array)) throw new ArrowBatchError("BAD_SCHEMA", `column flags is ${flags.type}, expected Uint8`);
  const raw = (ts.values as BigInt64Array).subarray(ts.offset, ts.offset + ts.length);
  const out: FlaggedColumns = {
    devices,
    channels,
    device,
    channel,
    timestamps: LITTLE_ENDIAN ? int64ToTimestamps(raw) : int64ToTimestampsSlow(raw),
    values: (value.values as Float64Array).subarray(value.offset, value.offset + value.length),
    flags: (flags.values as Uint8Array).subarray(flags.offset, flags.offset + flags.length),
  };
  // Views stop at the end of their buffers: a buffer shorter than the batch's length shows up here.
  const n = rb.numRows;
  if (out.device.length !== n || out.channel.length !== n || out.timestamps.length !== n || out.values.length !== n || out.flags.length !== n) {
    throw new ArrowBatchError(
      "BAD_BATCH",
      `the batch has ${n} rows but its columns hold device ${out.device.length}, channel ${out.channel.length}, ts ${out.timestamps.length}, value ${out.values.length}, flags ${out.flags.length}`,
    );
  }
  return out;
}

/** The columns of a stream the direct reader took: views into its bytes where aligned, copies where not. */
function batchFromContent({ dictionaries, columns, rows }: StreamContent): FlaggedColumns {
  const devices = stringsAt(dictionaries[0].offsets, dictionaries[0].data, dictionaries[0].offsets.length - 1);
  const channels = stringsAt(dictionaries[1].offsets, dictionaries[1].data, dictionaries[1].offsets.length - 1);
  const device = typedView(columns[0], Int32Array, rows);
  const channel = typedView(columns[1], Int32Array, rows);
  const out = {
    devices,
    channels,
    device: new Uint32Array(device.buffer, device.byteOffset, rows),
    channel: new Uint32Array(channel.buffer, channel.byteOffset, rows),
    timestamps: int64ToTimestamps(typedView(columns[2], BigInt64Array, rows)),
    values: typedView(columns[3], Float64Array, rows),
    flags: columns[4],
  };
  checkIndices("device", out.device, devices.length, device);
  checkIndices("channel", out.channel, channels.length, channel);
  return out;
}

/** Refuses an index outside its dictionary, naming it as the stream holds it (`shown`: signed, say). */
function checkIndices(name: string, index: Uint32Array, size: number, shown: ArrayLike<number> = index): void {
  for (let i = 0; i < index.length; i++) {
    if (index[i] >= size) throw new ArrowBatchError("BAD_BATCH", `reading ${i} refers to ${name} ${shown[i]} of a dictionary of ${size}`, i);
  }
}

/** The dictionary's words, once every index is inside it and every word can be written as UTF-8. */
function checkedDictionary(name: string, index: Uint32Array, words: readonly string[]): readonly string[] {
  const size = words.length;
  checkIndices(name, index, size);
  for (let i = 0; i < size; i++) {
    // UTF-8 cannot carry a lone surrogate: it would come back as U+FFFD, a different name.
    if (LONE_SURROGATE.test(words[i])) throw new ArrowBatchError("BAD_BATCH", `${name} name ${i} (${JSON.stringify(words[i])}) is not well-formed UTF-16`);
  }
  return words;
}

function dictionaryData(type: Dictionary<Utf8, Int32>, index: Uint32Array, words: readonly string[]): Data {
  const dictionary = makeVector(utf8Data(words));
  const indices = new Int32Array(index.buffer, index.byteOffset, index.length);
  return makeData({ type, length: index.length, nullCount: 0, data: indices, dictionary });
}

function dictionaryColumn(data: Data, name: string): [string[], Uint32Array] {
  if (data.type.typeId !== Type.Dictionary) {
    if (data.type.typeId === Type.Utf8) return dictionaryOfStrings(data);
    throw new ArrowBatchError("BAD_SCHEMA", `column ${name} is ${data.type}, expected Dictionary<Int32, Utf8>`);
  }
  const dictionary = data.dictionary;
  if (!dictionary || dictionary.type.typeId !== Type.Utf8) throw new ArrowBatchError("BAD_SCHEMA", `column ${name} is ${data.type}, expected a dictionary of Utf8`);
  const chunk = dictionary.data.length === 1 ? (dictionary.data[0] as Data<Utf8>) : undefined;
  // Arrow hands the offsets over as the bytes had them.
  if (chunk && !offsetsInOrder(chunk.valueOffsets, chunk.length, chunk.values.length)) throw new ArrowBatchError("BAD_BATCH", `the ${name} dictionary's offsets are out of order or leave its bytes`);
  const words = (chunk ? utf8Strings(chunk) : undefined) ?? (dictionary.toArray() as (string | null)[]);
  for (let i = 0; i < words.length; i++) {
    if (typeof words[i] !== "string") throw new ArrowBatchError("BAD_BATCH", `${name} dictionary entry ${i} is null`);
  }
  const values = data.values as Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array;
  const raw = values.subarray(data.offset, data.offset + data.length);
  // 32-bit indices are reinterpreted in place; narrower ones (another writer's choice) are widened.
  const index = raw instanceof Int32Array || raw instanceof Uint32Array ? new Uint32Array(raw.buffer, raw.byteOffset, raw.length) : Uint32Array.from(raw);
  checkIndices(name, index, words.length, raw);
  return [words as string[], index];
}

/** The slow path for a plain Utf8 column from another writer: builds the dictionary row by row. */
function dictionaryOfStrings(data: Data): [string[], Uint32Array] {
  const words: string[] = [];
  const ids = new Map<string, number>();
  const index = new Uint32Array(data.length);
  const vector = makeVector(data as Data<Utf8>);
  for (let i = 0; i < data.length; i++) {
    const word = vector.get(i)!;
    let id = ids.get(word);
    if (id === undefined) ids.set(word, (id = words.push(word) - 1));
    index[i] = id;
  }
  return [words, index];
}

/**
 * @internal Integral µs as int64 words, written as two 32-bit halves (no BigInt per reading).
 * Refuses what int64 µs cannot hold exactly: fractions, NaN, ±∞ and magnitudes beyond 2^53 − 1.
 */
export function timestampsToInt64(ts: Float64Array): BigInt64Array {
  const n = ts.length;
  const out = new BigInt64Array(n);
  const words = new Uint32Array(out.buffer);
  for (let i = 0; i < n; i++) {
    const t = ts[i];
    if (!Number.isSafeInteger(t)) throw badTimestamp(t, i);
    const high = Math.floor(t / TWO_32);
    words[2 * i] = t - high * TWO_32;
    words[2 * i + 1] = high; // stored modulo 2^32: two's complement for negative times
  }
  return out;
}

/** @internal The reference for timestampsToInt64 (and the path of big-endian hosts). */
export function timestampsToInt64Slow(ts: Float64Array): BigInt64Array {
  const out = new BigInt64Array(ts.length);
  for (let i = 0; i < ts.length; i++) {
    if (!Number.isSafeInteger(ts[i])) throw badTimestamp(ts[i], i);
    out[i] = BigInt(ts[i]);
  }
  return out;
}

/** @internal int64 µs as doubles from their 32-bit halves; refuses times a double cannot hold exactly. */
export function int64ToTimestamps(raw: BigInt64Array): Float64Array {
  const n = raw.length;
  const out = new Float64Array(n);
  const low = new Uint32Array(raw.buffer, raw.byteOffset, 2 * n);
  const high = new Int32Array(raw.buffer, raw.byteOffset, 2 * n);
  for (let i = 0; i < n; i++) {
    const t = high[2 * i + 1] * TWO_32 + low[2 * i];
    if (t > Number.MAX_SAFE_INTEGER || t < -Number.MAX_SAFE_INTEGER) throw badTimestamp(raw[i], i);
    out[i] = t;
  }
  return out;
}

/** @internal The reference for int64ToTimestamps (and the path of big-endian hosts). */
export function int64ToTimestampsSlow(raw: BigInt64Array): Float64Array {
  const out = new Float64Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const t = Number(raw[i]);
    if (!Number.isSafeInteger(t)) throw badTimestamp(raw[i], i);
    out[i] = t;
  }
  return out;
}

function badTimestamp(t: number | bigint, i: number): ArrowBatchError {
  return new ArrowBatchError("TIMESTAMP_RANGE", `reading ${i} has timestamp ${t}: not an integral number of µs within ±(2^53 − 1)`, i);
}
