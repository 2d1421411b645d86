// Decodes one frame, whatever carried it, into a builder: the same on the socket thread and on the
// worker threads that take large frames off it. Throws FrameError for a frame that cannot be read.
import type { Codec } from "../codec/index.js";
import type { EdgeBlocks } from "../archive/batch.js";
import { storableBlocks } from "../pipeline/edge-blocks.js";
import type { BatchBuilder } from "./batch-builder.js";
import type { DecodedFrame, FrameLimits } from "./frames/frame.js";
import { decodeBinaryFrame } from "./frames/binary-decode.js";
import { decodeJsonFrame } from "./frames/json-frame.js";
import { decodeLineProtocol } from "./frames/line-protocol.js";
import type { Precision } from "./frames/line-values.js";

/** How a frame arrived: a binary or text WebSocket message, or a line-protocol body. */
export type FrameKind = "binary" | "text" | "line";

/** What decoding found: the frame's verdicts, its format, and edge blocks that can be stored as sent. */
export interface FrameDecoding {
  frame: DecodedFrame;
  /** binary, json or line (counted per format). */
  format: string;
  blocks: EdgeBlocks | undefined;
}

export function decodeFrame(kind: FrameKind, payload: Uint8Array | string, builder: BatchBuilder, limits: FrameLimits, codec: Codec, precision: Precision, now: number): FrameDecoding {
  if (kind === "binary") {
    const binary = decodeBinaryFrame(payload as Uint8Array, builder, limits, codec);
    return { frame: binary, format: "binary", blocks: storableBlocks(binary.blocks) };
  }
  if (kind === "text" && typeof payload === "string") {
    const first = payload.trimStart().charCodeAt(0);
    if (first === 0x7b || first === 0x5b) return { frame: decodeJsonFrame(payload, builder, limits), format: "json", blocks: undefined };
  }
  return { frame: decodeLineProtocol(payload, builder, limits, { precision, now }), format: "line", blocks: undefined };
}
