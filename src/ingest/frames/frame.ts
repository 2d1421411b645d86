// The contract every frame decoder keeps: what it is given (input, a BatchBuilder, limits) and what it
// returns (DecodedFrame). Readings go straight into the builder; only refusals become objects.
import type { Rejection } from "./errors.js";

/** Bounds a decoder enforces on each frame (from the validated configuration). */
export interface FrameLimits {
  /** Most readings (kept plus refused) one frame may carry; more is a FrameError "TOO_LARGE". */
  maxReadings: number;
  /** Longest device or channel name, in UTF-16 code units; longer names are refused as "bad_name". */
  maxNameLength: number;
}

/** What decoding one frame produced. */
export interface DecodedFrame {
  /** The frame's sequence number (what its acknowledgement names), when it carries one. */
  seq: number | undefined;
  /** Readings added to the builder. */
  readings: number;
  /** Readings refused, in frame order; the other readings of the frame were kept. */
  rejected: Rejection[];
}
