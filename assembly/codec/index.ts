// The codec module's exports: a narrow, batch-oriented boundary. The host sizes the workspace, writes
// a whole series (or block) through views over memory.buffer, makes one call, and reads the result.

export { ensure, MAX_POINTS } from "./workspace";
export { encodeBlock, decodeBlock, checkHeader, decodeTrusted } from "./block";
import * as W from "./workspace";
import * as E from "./errors";

export function timestampsPtr(): usize {
  return W.tsBuf;
}
export function valuesPtr(): usize {
  return W.valBuf;
}
export function blockPtr(): usize {
  return W.blockBuf;
}
export function errorAt(): i64 {
  return E.errAt;
}
export function errorA(): i64 {
  return E.errA;
}
export function errorB(): i64 {
  return E.errB;
}
