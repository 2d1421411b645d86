// The ingest frame decoders: JSON text frames, the compact binary frame (with its encoder) and Influx
// line protocol. Each decodes one frame into a BatchBuilder and returns a DecodedFrame.
export { FrameError } from "./errors.js";
export type { FrameErrorCode, Rejection, RejectReason } from "./errors.js";
export type { DecodedFrame, FrameLimits } from "./frame.js";
export { decodeJsonFrame } from "./json-frame.js";
export { encodeBinaryFrame, encodeBlockFrame, decodeBinaryFrame, FrameType } from "./binary-frame.js";
export type { BinaryFrame, BlockEntry, FrameBlock } from "./binary-frame.js";
export { decodeLineProtocol } from "./line-protocol.js";
export type { LineProtocolOptions, Precision } from "./line-protocol.js";
