// The one error type the codec throws for bad input: corrupt, truncated or hostile blocks, and series
// it cannot encode. Anything else escaping the codec is a bug.

/** Why a block or a series was refused. */
export type CodecErrorCode =
  | "BAD_INPUT"
  | "BAD_MAGIC"
  | "BAD_VERSION"
  | "TRUNCATED"
  | "LENGTH_MISMATCH"
  | "HEADER_CHECKSUM"
  | "PAYLOAD_CHECKSUM"
  | "UNKNOWN_CODEC"
  | "BAD_COUNT"
  | "CORRUPT_STREAM"
  | "BAD_TIMESTAMP"
  | "TIMESTAMP_RANGE";

/** Thrown for a block that cannot be read, or a series that cannot be encoded, with what was wrong. */
export class CodecError extends Error {
  override readonly name = "CodecError";
  /** Machine-readable reason. */
  readonly code: CodecErrorCode;
  /** Byte offset in the block (or point index in the series) the problem was found at, when known. */
  readonly at: number | undefined;

  constructor(code: CodecErrorCode, message: string, at?: number) {
    super(message);
    this.code = code;
    this.at = at;
  }
}

/** @internal Turns a negative status from the WASM module into a CodecError. */
export function errorFromStatus(status: number, at: bigint, a: bigint, b: bigint): CodecError {
  const pos = Number(at);
  switch (status) {
    case -1:
      return new CodecError("BAD_MAGIC", `not an iotpipe block: magic 0x${a.toString(16)}, expected 0x${b.toString(16)}`, pos);
    case -2:
      return new CodecError("BAD_VERSION", `block format version ${a} is not supported (this codec reads ${b})`, pos);
    case -3:
      return new CodecError("TRUNCATED", `block is truncated: ${a} bytes, header says ${b}`, pos);
    case -4:
      return new CodecError("LENGTH_MISMATCH", `block is ${a} bytes but its header describes ${b}`, pos);
    case -5:
      return new CodecError("HEADER_CHECKSUM", `header checksum mismatch at byte ${pos}: stored 0x${a.toString(16)}, computed 0x${b.toString(16)}`, pos);
    case -6:
      return new CodecError("PAYLOAD_CHECKSUM", `payload checksum mismatch: stored 0x${a.toString(16)}, computed 0x${b.toString(16)}`, pos);
    case -7:
      return new CodecError("UNKNOWN_CODEC", `unknown codec id ${a} at byte ${pos}`, pos);
    case -8:
      return new CodecError("BAD_COUNT", `point count ${a} is outside 1..${b}`, pos);
    case -9:
      return new CodecError("CORRUPT_STREAM", `stream at byte ${pos} (${a} bytes) is malformed${b > 0n ? ` after ${b} bytes` : ""}`, pos);
    case -10:
      return new CodecError("BAD_TIMESTAMP", `timestamp ${pos} is not an integral number of microseconds within ±2^53`, pos);
    case -11:
      return new CodecError("TIMESTAMP_RANGE", `timestamp ${pos} (${a} µs) does not fit a Float64Array exactly; decode with { timestamps: "bigint64" }`, pos);
    default:
      return new CodecError("CORRUPT_STREAM", `BUG: unknown codec status ${status}`, pos);
  }
}
