// The two ways a frame decoder says no: a FrameError for a frame that cannot be read at all (nothing
// from it is kept), and a Rejection for one reading refused while the rest of its frame is kept.

/** Why a whole frame was refused. */
export type FrameErrorCode =
  /** JSON text that does not parse, or is not UTF-8. */
  | "BAD_JSON"
  /** A binary frame that does not start with the frame magic. */
  | "BAD_MAGIC"
  /** A binary frame version this decoder does not read. */
  | "BAD_VERSION"
  /** A binary frame type (byte 5) this decoder does not read. */
  | "BAD_TYPE"
  /** A length or count that runs past the end of the input. */
  | "TRUNCATED"
  /** More readings than the limits allow, or a varint past 2^53. */
  | "TOO_LARGE"
  /** A frame-level field of the wrong type or range (seq, flags, a row's structure). */
  | "BAD_FIELD"
  /** A malformed varint (more than 10 bytes, or bits past 64). */
  | "BAD_VARINT"
  /** A row that refers to a dictionary entry the frame does not have. */
  | "BAD_INDEX"
  /** An embedded codec block the codec refuses (its CodecError is the cause). */
  | "BAD_BLOCK"
  /** Bytes left over after the last row or block. */
  | "TRAILING_BYTES"
  /** An encoder was handed columns it cannot write (a caller's bug or bad data). */
  | "BAD_INPUT";

/** Thrown for a frame that cannot be read at all; the builder it was decoded into is left as it was. */
export class FrameError extends Error {
  override readonly name = "FrameError";
  /** Machine-readable reason, for the rejected-frames counter. */
  readonly code: FrameErrorCode;
  /** Byte offset (binary, line protocol) or character offset (JSON) the problem was found at, when known. */
  readonly at: number | undefined;

  constructor(code: FrameErrorCode, message: string, at?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.at = at;
  }
}

/** Why one reading of a frame was refused. */
export type RejectReason =
  /** Timestamp missing its type, not integral, outside ±2^53 µs, or an unreadable ISO-8601 time. */
  | "bad_timestamp"
  /** A value that is null, "NaN", ±Infinity or out of range. */
  | "bad_value"
  /** A required field (device, channel, ts/time, value) is absent. */
  | "missing_field"
  /** A device or channel name that is not a string, empty, too long, not UTF-8 or holds a control character. */
  | "bad_name"
  /** A string where a number was expected (line protocol string fields, JSON string values). */
  | "non_numeric"
  /** A reading (JSON) or line (line protocol) whose structure is broken. */
  | "malformed";

/** One refused reading (or a run of them), reported with the frame; the frame's other readings are kept. */
export interface Rejection {
  /**
   * Where in the frame: the reading's position for JSON (0 for a single-reading frame), the row for
   * binary readings frames, the first reading of the block for binary block frames, the 0-based line
   * (every line counts, blank lines and comments too) for line protocol.
   */
  index: number;
  /** Why. */
  reason: RejectReason;
  /** What was wrong, for people (names, values and lengths involved). */
  detail?: string;
  /** Consecutive readings this rejection covers, when more than one (a whole codec block). */
  count?: number;
}
