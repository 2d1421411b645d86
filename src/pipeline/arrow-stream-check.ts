// A look over an Arrow IPC stream before Arrow JS's reader reads it: every message framed inside the
// bytes, every table, vector and string of its metadata inside the metadata, every buffer inside its
// message's body, and no more rows than the body could hold. Arrow JS trusts these numbers: a damaged
// one made it allocate until the process died. Streams iotpipe writes never get here (ipc-stream.ts
// reads them with its own checks); this guards the reader for streams of other writers.
import { FlatTable, int64At } from "./flat-table.js";

const CONTINUATION = 0xffffffff;
const SCHEMA = 1;
const DICTIONARY_BATCH = 2;
const RECORD_BATCH = 3;
/** Arrow's type ids whose type table points to more than scalars: Timestamp (a time zone), Union (type ids). */
const TIMESTAMP = 10;
const UNION = 14;
/** Nested fields deeper than this are refused (a loop of offsets would otherwise recurse for ever). */
const MAX_DEPTH = 64;

/** Whether the stream's framing and metadata all lie inside `bytes` (a stream may stop short of its end-of-stream marker). */
export function plausibleStream(bytes: Uint8Array): boolean {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (at + 8 <= bytes.length) {
    if (view.getUint32(at, true) !== CONTINUATION) return false;
    const length = view.getInt32(at + 4, true);
    if (length === 0) return true;
    const start = at + 8;
    const body = start + length;
    if (length < 0 || body > bytes.length) return false;
    const root = FlatTable.root(view, start, body);
    const type = root?.uint8(1, 0);
    const header = root?.table(2, start);
    const bodyLength = root?.int64(3, 0);
    if (!header || bodyLength === undefined || bodyLength < 0 || body + bodyLength > bytes.length) return false;
    if (type === SCHEMA) {
      if (!fieldsFit(header.tables(1, start), start, 0) || !metadataFits(header, 2, start)) return false;
    } else if (type === DICTIONARY_BATCH || type === RECORD_BATCH) {
      const batch = type === RECORD_BATCH ? header : header.table(1, start);
      if (!batch || !batchFits(view, batch, bodyLength)) return false;
    } else return false;
    at = body + bodyLength;
  }
  // The end, or fewer than 8 bytes: an end-of-stream marker cut short, which Arrow's reader allows.
  return true;
}

function fieldsFit(fields: FlatTable[] | undefined, start: number, depth: number): boolean {
  if (!fields || depth > MAX_DEPTH) return false;
  for (const f of fields) {
    if (f.position(0, 4) !== 0 && !f.structs(0, 1)) return false;
    const typeId = f.uint8(2, 0);
    const type = f.table(3, start);
    if (typeId === undefined || (f.position(3, 4) !== 0 && !type)) return false;
    if (type && typeId === TIMESTAMP && type.position(1, 4) !== 0 && !type.structs(1, 1)) return false;
    if (type && typeId === UNION && type.position(1, 4) !== 0 && !type.structs(1, 4)) return false;
    if (f.position(4, 4) !== 0) {
      const dictionary = f.table(4, start);
      if (!dictionary || (dictionary.position(1, 4) !== 0 && !dictionary.table(1, start))) return false;
    }
    if (f.position(5, 4) !== 0 && !fieldsFit(f.tables(5, start), start, depth + 1)) return false;
    if (!metadataFits(f, 6, start)) return false;
  }
  return true;
}

/** Custom metadata (key/value strings) at field `i`, when present, inside the metadata. */
function metadataFits(table: FlatTable, i: number, start: number): boolean {
  if (table.position(i, 4) === 0) return true;
  const pairs = table.tables(i, start);
  return pairs !== undefined && pairs.every((kv) => (kv.position(0, 4) === 0 || kv.structs(0, 1)) && (kv.position(1, 4) === 0 || kv.structs(1, 1)));
}

/** A record batch's nodes and buffers inside the metadata, its buffers inside the body, its rows within what the body holds. */
function batchFits(view: DataView, batch: FlatTable, bodyLength: number): boolean {
  // Every column but a null one takes at least a bit a row.
  const maxRows = 8 * bodyLength + 64;
  const rows = batch.int64(0, 0);
  const nodes = batch.structs(1, 16);
  const buffers = batch.structs(2, 16);
  if (rows === undefined || rows < 0 || rows > maxRows || !nodes || !buffers) return false;
  for (let k = 0; k < nodes.length; k++) {
    const length = int64At(view, nodes.at + 16 * k);
    const nulls = int64At(view, nodes.at + 16 * k + 8);
    if (length === undefined || nulls === undefined || length < 0 || length > maxRows || nulls < 0 || nulls > length) return false;
  }
  for (let k = 0; k < buffers.length; k++) {
    const offset = int64At(view, buffers.at + 16 * k);
    const length = int64At(view, buffers.at + 16 * k + 8);
    if (offset === undefined || length === undefined || offset < 0 || length < 0 || offset + length > bodyLength) return false;
  }
  return batch.position(4, 4) === 0 || batch.structs(4, 8) !== undefined;
}
