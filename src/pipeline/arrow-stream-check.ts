// A look over an Arrow IPC stream before Arrow JS's reader reads it: every message framed inside the
// bytes, every table, vector and string of its metadata inside the metadata, every buffer inside its
// message's body, and no more rows than the body could hold. Arrow JS trusts these numbers: a damaged
// one made it allocate until the process died. Streams iotpipe writes never get here (ipc-stream.ts
// reads them with its own checks); this guards the reader for streams of other writers.
import { FlatTable, int64At } from "./flat-table.js";
import { BUFFER_BYTES, CONTINUATION, DICTIONARY_BATCH, FIELD_NODE_BYTES, RECORD_BATCH, SCHEMA, bufferRegions, ipcMessage, viewOf, type IpcMessage } from "./ipc-message.js";

/** Arrow's type ids whose type table points to more than scalars: Timestamp (a time zone), Union (type ids). */
const TIMESTAMP = 10;
const UNION = 14;
/** Nested fields deeper than this are refused (a loop of offsets would otherwise recurse for ever). */
const MAX_DEPTH = 64;

/** Whether the stream's framing and metadata all lie inside `bytes` (a stream may stop short of its end-of-stream marker). */
export function plausibleStream(bytes: Uint8Array): boolean {
  const view = viewOf(bytes);
  let at = 0;
  while (at + 8 <= bytes.length) {
    // The end-of-stream marker: a message of no metadata.
    if (view.getUint32(at, true) === CONTINUATION && view.getInt32(at + 4, true) === 0) return true;
    const m = ipcMessage(view, at);
    if (!m) return false;
    const start = m.metadataStart;
    if (m.type === SCHEMA) {
      if (!fieldsFit(m.header.tables(1, start), start, 0) || !metadataFits(m.header, 2, start)) return false;
    } else if (m.type === DICTIONARY_BATCH || m.type === RECORD_BATCH) {
      const batch = m.type === RECORD_BATCH ? m.header : m.header.table(1, start);
      if (!batch || !batchFits(view, m, batch)) return false;
    } else return false;
    at = m.next;
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
function batchFits(view: DataView, m: IpcMessage, batch: FlatTable): boolean {
  // Every column but a null one takes at least a bit a row.
  const maxRows = 8 * m.bodyLength + 64;
  const rows = batch.int64(0, 0);
  const nodes = batch.structs(1, FIELD_NODE_BYTES);
  const buffers = batch.structs(2, BUFFER_BYTES);
  if (rows === undefined || rows < 0 || rows > maxRows || !nodes || !buffers || !bufferRegions(view, m, buffers)) return false;
  for (let k = 0; k < nodes.length; k++) {
    const length = int64At(view, nodes.at + FIELD_NODE_BYTES * k);
    const nulls = int64At(view, nodes.at + FIELD_NODE_BYTES * k + 8);
    if (length === undefined || nulls === undefined || length < 0 || length > maxRows || nulls < 0 || nulls > length) return false;
  }
  return batch.position(4, 4) === 0 || batch.structs(4, 8) !== undefined;
}
