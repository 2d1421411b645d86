// The compact binary frame (docs/format/frame.md): device clients, the simulator and the load
// generator encode with it, ingest decodes. This file is the format's public face; the writer and the
// reader live beside it (binary-encode.ts, binary-decode.ts), the written ids in binary-format.ts.
export { encodeBinaryFrame, encodeBlockFrame } from "./binary-encode.js";
export type { BlockEntry } from "./binary-encode.js";
export { decodeBinaryFrame } from "./binary-decode.js";
export type { BinaryFrame, FrameBlock } from "./binary-decode.js";
export { FrameType } from "./binary-format.js";
