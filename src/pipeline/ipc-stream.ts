// Arrow IPC stream bytes of one fixed schema (dictionaries of Utf8, columns of fixed width, no nulls),
// written and read directly instead of through Arrow's generic writer and reader, whose per-batch
// machinery (visitors, builders, message objects) was most of what a scale-out ingest server spent
// writing batches to Redis and a scale-out worker spent reading them.
//
// The writer learns the layout from a sample that Arrow's own writer made: the schema message as it is,
// and for each later message its metadata with the places of the numbers that change from batch to
// batch (row counts, buffer offsets and lengths, body length). A FlatBuffers table's layout does not
// depend on those numbers, so patching them gives the bytes Arrow would write. The layout is checked
// once by writing the sample again: any difference (another Arrow version) turns the direct writer off.
// The reader accepts exactly the streams such a writer makes (any FlatBuffers layout of them) and
// answers undefined for anything else. It checks every length and offset against the bytes, which
// Arrow JS's reader does not: a damaged length there can make it allocate without bound.
import { FlatTable, int64At } from "./flat-table.js";
import { BUFFER_BYTES, DICTIONARY_BATCH, FIELD_NODE_BYTES, RECORD_BATCH, SCHEMA, bufferRegions, ipcMessage, viewOf, type IpcMessage } from "./ipc-message.js";
import { offsetsInOrder } from "./utf8-column.js";

const METADATA_V5 = 4;
const EOS = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0);

/** A Utf8 column: count + 1 byte offsets into its data. */
export interface Utf8Buffers {
  offsets: Int32Array;
  data: Uint8Array;
}

/** What one stream carries: its dictionaries (by id, from 0), each column's values, and the row count. */
export interface StreamContent {
  dictionaries: Utf8Buffers[];
  /** Per column: its data buffer (rows × the column's width bytes). */
  columns: Uint8Array[];
  rows: number;
}

/** A message of the sample: its framing and metadata, and where the numbers that change go. */
interface Template {
  bytes: Uint8Array;
  bodyLength: number;
  rows: number;
  nodes: number;
  buffers: number;
}

/** The layout of a stream of one record batch whose columns have these byte widths, learned from Arrow's writer. */
export class IpcStreamLayout {
  readonly #schema: Uint8Array;
  readonly #dictionaries: Template[];
  readonly #batch: Template;
  readonly #widths: readonly number[];

  private constructor(schema: Uint8Array, dictionaries: Template[], batch: Template, widths: readonly number[]) {
    this.#schema = schema;
    this.#dictionaries = dictionaries;
    this.#batch = batch;
    this.#widths = widths;
  }

  /**
   * The layout of `sample` (Arrow's writer's bytes for a batch of at least one row, with non-empty
   * dictionaries): undefined when the sample is not of the expected shape or writing its content again
   * does not give its bytes.
   */
  static learn(sample: Uint8Array, dictionaries: number, widths: readonly number[]): IpcStreamLayout | undefined {
    const view = viewOf(sample);
    let at = message(view, 0);
    if (!at || at.type !== SCHEMA) return undefined;
    const schema = sample.slice(0, at.next);
    const templates: Template[] = [];
    for (let d = 0; d <= dictionaries; d++) {
      const m = message(view, at.next);
      const wanted = d < dictionaries ? DICTIONARY_BATCH : RECORD_BATCH;
      if (!m || m.type !== wanted) return undefined;
      const batch = wanted === RECORD_BATCH ? m.header : m.header.table(1, m.metadataStart);
      const template = batch && templateOf(sample, m, batch);
      if (!template) return undefined;
      templates.push(template);
      at = m;
    }
    const layout = new IpcStreamLayout(schema, templates.slice(0, dictionaries), templates[dictionaries], widths);
    const content = layout.read(sample);
    if (!content || !sameBytes(layout.write(content), sample)) return undefined;
    return layout;
  }

  /** The stream's bytes: schema, dictionaries, record batch, end-of-stream marker. */
  write({ dictionaries, columns, rows }: StreamContent): Uint8Array {
    let size = this.#schema.length + EOS.length;
    dictionaries.forEach((d, i) => (size += this.#dictionaries[i].bytes.length + pad(d.offsets.byteLength) + pad(d.data.length)));
    size += this.#batch.bytes.length;
    for (const c of columns) size += pad(c.length);
    const out = new Uint8Array(size);
    const view = new DataView(out.buffer);
    out.set(this.#schema, 0);
    let at = this.#schema.length;
    dictionaries.forEach((d, i) => {
      const offsets = new Uint8Array(d.offsets.buffer, d.offsets.byteOffset, d.offsets.byteLength);
      at = writeMessage(out, view, at, this.#dictionaries[i], d.offsets.length - 1, [offsets, d.data], 2);
    });
    at = writeMessage(out, view, at, this.#batch, rows, columns, 1);
    out.set(EOS, at);
    return out;
  }

  /** Whether `bytes` start with this layout's schema message (another writer's schema: Arrow's reader). */
  hasSchemaOf(bytes: Uint8Array): boolean {
    return bytes.length >= this.#schema.length && sameBytes(bytes.subarray(0, this.#schema.length), this.#schema);
  }

  /**
   * The content of a stream of exactly this layout's shape, its buffers views into `bytes`; undefined
   * for any other stream (another schema, nulls, compression, more batches, damaged or cut bytes).
   */
  read(bytes: Uint8Array): StreamContent | undefined {
    if (!this.hasSchemaOf(bytes)) return undefined;
    const view = viewOf(bytes);
    let at = this.#schema.length;
    const dictionaries: Utf8Buffers[] = [];
    for (let d = 0; d < this.#dictionaries.length; d++) {
      const m = message(view, at);
      if (!m || m.type !== DICTIONARY_BATCH || m.header.int64(0, 0) !== d || m.header.uint8(2, 0) !== 0) return undefined;
      const batch = m.header.table(1, m.metadataStart);
      const buffers = batch && bodyBuffers(view, m, batch, 1, 3);
      if (!buffers) return undefined;
      const count = buffers.rows;
      const offsets = buffers.at[1];
      const data = buffers.at[2];
      if (offsets.length < 4 * (count + 1)) return undefined;
      const table = typedView(bytes.subarray(offsets.start), Int32Array, count + 1);
      if (!offsetsInOrder(table, count, data.length)) return undefined;
      dictionaries.push({ offsets: table, data: bytes.subarray(data.start, data.start + data.length) });
      at = m.next;
    }
    const m = message(view, at);
    if (!m || m.type !== RECORD_BATCH) return undefined;
    const widths = this.#widths;
    const buffers = bodyBuffers(view, m, m.header, widths.length, 2 * widths.length);
    if (!buffers) return undefined;
    const rows = buffers.rows;
    const columns: Uint8Array[] = [];
    for (let c = 0; c < widths.length; c++) {
      const data = buffers.at[2 * c + 1];
      if (data.length < rows * widths[c]) return undefined;
      columns.push(bytes.subarray(data.start, data.start + rows * widths[c]));
    }
    // Nothing but (part of) the end-of-stream marker may follow: a second batch is not this shape.
    for (let i = m.next; i < bytes.length; i++) if (i - m.next >= EOS.length || bytes[i] !== EOS[i - m.next]) return undefined;
    return { dictionaries, columns, rows };
  }
}

function pad(n: number): number {
  return (n + 7) & ~7;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The message at `at` as Arrow's writer frames it here (version V5, metadata padded to 8 bytes), or undefined. */
function message(view: DataView, at: number): IpcMessage | undefined {
  const m = ipcMessage(view, at);
  return m && m.version === METADATA_V5 && ((m.body - m.metadataStart) & 7) === 0 ? m : undefined;
}

/** A record batch's row count and buffers (start in the bytes, length), checked against its body; no nulls, no compression. */
function bodyBuffers(view: DataView, m: IpcMessage, batch: FlatTable, nodeCount: number, bufferCount: number): { rows: number; at: { start: number; length: number }[] } | undefined {
  const rows = batch.int64(0, 0);
  const nodes = batch.structs(1, FIELD_NODE_BYTES);
  const buffers = batch.structs(2, BUFFER_BYTES);
  if (rows === undefined || rows < 0 || !nodes || !buffers || nodes.length !== nodeCount || buffers.length !== bufferCount || batch.position(3, 4) !== 0) return undefined;
  for (let i = 0; i < nodeCount; i++) {
    const node = nodes.at + i * FIELD_NODE_BYTES;
    if (int64At(view, node) !== rows || int64At(view, node + 8) !== 0) return undefined;
  }
  const at = bufferRegions(view, m, buffers);
  return at && { rows, at };
}

/** `count` values of the type of `Type` in `bytes`: a view when aligned for it, else a copy. */
export function typedView<T extends Int32Array | BigInt64Array | Float64Array>(
  bytes: Uint8Array,
  Type: { new (buffer: ArrayBufferLike, offset?: number, length?: number): T; BYTES_PER_ELEMENT: number },
  count: number,
): T {
  if (bytes.byteOffset % Type.BYTES_PER_ELEMENT === 0) return new Type(bytes.buffer, bytes.byteOffset, count);
  // A copy made by hand: a Buffer's slice() is a view, not a copy.
  return new Type(new Uint8Array(bytes.subarray(0, count * Type.BYTES_PER_ELEMENT)).buffer, 0, count);
}

/** A sample message's metadata and the places of its row count, field nodes, buffers and body length. */
function templateOf(sample: Uint8Array, m: IpcMessage, batch: FlatTable): Template | undefined {
  const root = FlatTable.root(viewOf(sample), m.metadataStart, m.body)!;
  const bodyLength = root.position(3, 8);
  const rows = batch.position(0, 8);
  const nodes = batch.structs(1, FIELD_NODE_BYTES);
  const buffers = batch.structs(2, BUFFER_BYTES);
  if (bodyLength <= 0 || rows <= 0 || !nodes || !buffers) return undefined;
  const start = m.metadataStart - 8;
  return { bytes: sample.slice(start, m.body), bodyLength: bodyLength - start, rows: rows - start, nodes: nodes.at - start, buffers: buffers.at - start };
}

/**
 * Writes one message at `at` from its template: per field node, an empty validity buffer and then its
 * `perNode` data buffers, each padded to 8 bytes (and recorded with its padding, as Arrow does).
 * Returns where the next message goes.
 */
function writeMessage(out: Uint8Array, view: DataView, at: number, t: Template, rows: number, data: Uint8Array[], perNode: number): number {
  out.set(t.bytes, at);
  const nodes = data.length / perNode;
  let offset = 0;
  let entry = at + t.buffers;
  const body = at + t.bytes.length;
  for (let n = 0; n < nodes; n++) {
    setInt64(view, at + t.nodes + n * FIELD_NODE_BYTES, rows);
    setInt64(view, at + t.nodes + n * FIELD_NODE_BYTES + 8, 0);
    setInt64(view, entry, offset);
    setInt64(view, entry + 8, 0);
    entry += BUFFER_BYTES;
    for (let b = 0; b < perNode; b++) {
      const bytes = data[n * perNode + b];
      setInt64(view, entry, offset);
      setInt64(view, entry + 8, pad(bytes.length));
      entry += BUFFER_BYTES;
      out.set(bytes, body + offset);
      offset += pad(bytes.length);
    }
  }
  setInt64(view, at + t.rows, rows);
  setInt64(view, at + t.bodyLength, offset);
  return body + offset;
}

function setInt64(view: DataView, at: number, value: number): void {
  view.setUint32(at, value >>> 0, true);
  view.setUint32(at + 4, Math.floor(value / 4294967296), true);
}
