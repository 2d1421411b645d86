// The framing of Arrow IPC stream messages: a continuation marker, the metadata length, a FlatBuffers
// Message (version, header type, header table, body length), then the body; and a record batch's
// buffers as regions of its body. Every position is checked against the bytes. Shared by the direct
// reader of the batch schema (ipc-stream.ts) and the look over other writers' streams (arrow-stream-check.ts).
import { FlatTable, int64At } from "./flat-table.js";

export const CONTINUATION = 0xffffffff;
export const SCHEMA = 1;
export const DICTIONARY_BATCH = 2;
export const RECORD_BATCH = 3;
/** Bytes of a FieldNode (length, null count) and of a Buffer (offset, length) struct. */
export const FIELD_NODE_BYTES = 16;
export const BUFFER_BYTES = 16;

/** A message read: its Message table's fields and where its metadata and body lie. */
export interface IpcMessage {
  version: number;
  type: number;
  header: FlatTable;
  metadataStart: number;
  body: number;
  bodyLength: number;
  /** Where the next message starts. */
  next: number;
}

export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The message at `at`, or undefined when it is not framed, its metadata is not a Message, or it leaves the bytes. */
export function ipcMessage(view: DataView, at: number): IpcMessage | undefined {
  if (at + 8 > view.byteLength || view.getUint32(at, true) !== CONTINUATION) return undefined;
  const length = view.getInt32(at + 4, true);
  const metadataStart = at + 8;
  const body = metadataStart + length;
  if (length <= 0 || body > view.byteLength) return undefined;
  const root = FlatTable.root(view, metadataStart, body);
  const version = root?.int16(0, 0);
  const type = root?.uint8(1, 0);
  const header = root?.table(2, metadataStart);
  const bodyLength = root?.int64(3, 0);
  if (version === undefined || type === undefined || !header || bodyLength === undefined || bodyLength < 0 || body + bodyLength > view.byteLength) return undefined;
  return { version, type, header, metadataStart, body, bodyLength, next: body + bodyLength };
}

/** The buffers (a vector of Buffer structs) of message `m` as regions of the bytes, or undefined when one leaves its body. */
export function bufferRegions(view: DataView, m: IpcMessage, buffers: { at: number; length: number }): { start: number; length: number }[] | undefined {
  const regions: { start: number; length: number }[] = [];
  for (let i = 0; i < buffers.length; i++) {
    const entry = buffers.at + i * BUFFER_BYTES;
    const offset = int64At(view, entry);
    const length = int64At(view, entry + 8);
    if (offset === undefined || length === undefined || offset < 0 || length < 0 || offset + length > m.bodyLength) return undefined;
    regions.push({ start: m.body + offset, length });
  }
  return regions;
}
