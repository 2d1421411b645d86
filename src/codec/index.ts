// iotpipe/codec: the block codec on its own, for services, edge gateways and browsers.
// No Node-only imports anywhere below this entry.
export { createCodec, Codec, MAX_BLOCK_POINTS } from "./codec.js";
export type { EncodeOptions, DecodeOptions, DecodedBlock, CodecOptions } from "./codec.js";
export { compileCodecModule } from "./module.js";
export { CodecError } from "./errors.js";
export type { CodecErrorCode } from "./errors.js";
export type { BlockSummary, BlockSketch } from "./summary.js";
export type { ValueCodec, IntegerMode } from "./format.js";
