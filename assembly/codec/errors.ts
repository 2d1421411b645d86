// Error reporting across the WASM boundary: a failing call returns a negative code and leaves the
// positions and lengths involved here, for the TypeScript side to turn into a typed CodecError.

export const ERR_MAGIC: i32 = -1;
export const ERR_VERSION: i32 = -2;
export const ERR_TRUNCATED: i32 = -3;
export const ERR_LENGTH: i32 = -4;
export const ERR_HEADER_CHECKSUM: i32 = -5;
export const ERR_PAYLOAD_CHECKSUM: i32 = -6;
export const ERR_CODEC_ID: i32 = -7;
export const ERR_COUNT: i32 = -8;
export const ERR_STREAM: i32 = -9;
export const ERR_TIMESTAMP: i32 = -10;
export const ERR_TIMESTAMP_RANGE: i32 = -11;

export let errAt: i64 = 0;
export let errA: i64 = 0;
export let errB: i64 = 0;

/** Records the details of a failure and returns its code, so callers can `return fail(...)`. */
export function fail(code: i32, at: i64, a: i64, b: i64): i32 {
  errAt = at;
  errA = a;
  errB = b;
  return code;
}
