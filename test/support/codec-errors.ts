// Catching the codec's refusals: a test names the CodecError code it expects, and anything else
// thrown (a RangeError, a WebAssembly trap, a plain Error) fails the test as the bug it is.
import { CodecError } from "../../src/codec/index.js";

/** The CodecError `action` throws; fails when it throws something else or nothing. */
export function codecErrorOf(action: () => unknown): CodecError {
  try {
    action();
  } catch (err) {
    if (err instanceof CodecError) return err;
    throw new Error(`expected a CodecError, got ${String(err)}`, { cause: err });
  }
  throw new Error("expected a CodecError, but the call returned");
}
