// One binary frame's device or channel dictionary: where each name's bytes are, read lazily. A name is
// decoded, checked and interned into the builder the first time a row uses it, so names no row uses
// cost nothing and a frame that fails early leaves few names behind.
import type { BatchBuilder } from "../batch-builder.js";
import { FrameError } from "./errors.js";
import type { FrameLimits } from "./frame.js";
import { nameProblem, quoteName } from "./names.js";
import { NameCache } from "./name-cache.js";
import type { ByteCursor } from "./varint.js";

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
/** Names that passed the checks, shared by every frame this thread decodes. */
const known = new NameCache();
/** Not interned yet. */
const UNRESOLVED = -1;
/** Refused: rows using it are rejected as "bad_name". */
export const BAD_NAME = -2;

/** @internal The device or channel dictionary of one binary frame. */
export class FrameDictionary {
  /** Entries in the dictionary. */
  readonly size: number;
  readonly #kind: "device" | "channel";
  readonly #bytes: Uint8Array;
  readonly #offsets: Uint32Array;
  readonly #lengths: Uint32Array;
  readonly #ids: Int32Array;
  readonly #problems = new Map<number, string>();

  private constructor(kind: "device" | "channel", bytes: Uint8Array, size: number) {
    this.#kind = kind;
    this.#bytes = bytes;
    this.size = size;
    this.#offsets = new Uint32Array(size);
    this.#lengths = new Uint32Array(size);
    this.#ids = new Int32Array(size).fill(UNRESOLVED);
  }

  /** Reads a dictionary (varint count, then varint length + UTF-8 per name) at the cursor. */
  static read(cur: ByteCursor, kind: "device" | "channel", limits: FrameLimits): FrameDictionary {
    const at = cur.pos;
    const size = cur.varint(`${kind} count`);
    // Each entry takes at least its length byte; checked before anything is sized by the count.
    if (size > cur.left) {
      throw new FrameError("TRUNCATED", `${size} ${kind} names at byte ${at} cannot fit in the ${cur.left} bytes left`, at);
    }
    if (size > limits.maxReadings) {
      throw new FrameError("TOO_LARGE", `${size} ${kind} names at byte ${at}: more than the ${limits.maxReadings} readings a frame may carry`, at);
    }
    const dict = new FrameDictionary(kind, cur.bytes, size);
    const lengthOf = kind === "device" ? "length of device name" : "length of channel name";
    const nameOf = kind === "device" ? "device name" : "channel name";
    for (let i = 0; i < size; i++) {
      const n = cur.varint(lengthOf, i);
      cur.need(n, nameOf, i);
      dict.#offsets[i] = cur.pos;
      dict.#lengths[i] = n;
      cur.pos += n;
    }
    return dict;
  }

  /** The builder's id of entry `i`, or BAD_NAME (see problem()). `i` must be < size. */
  id(i: number, builder: BatchBuilder, limits: FrameLimits): number {
    const id = this.#ids[i];
    return id !== UNRESOLVED ? id : this.#resolve(i, builder, limits);
  }

  /** Why entry `i` was refused. */
  problem(i: number): string {
    return this.#problems.get(i) ?? "";
  }

  /** Entry `i`'s name, once id() accepted it. */
  name(i: number): string {
    return this.#decode(i) ?? "";
  }

  #decode(i: number): string | undefined {
    const at = this.#offsets[i];
    try {
      return utf8.decode(this.#bytes.subarray(at, at + this.#lengths[i]));
    } catch {
      return undefined;
    }
  }

  #resolve(i: number, builder: BatchBuilder, limits: FrameLimits): number {
    const n = this.#lengths[i];
    const at = this.#offsets[i];
    let problem: string | undefined;
    let name = known.get(this.#bytes, at, at + n);
    if (name !== undefined && name.length <= limits.maxNameLength) problem = undefined;
    // A UTF-16 code unit takes at most 3 UTF-8 bytes: longer byte strings are too long before decoding.
    else if (n > 3 * limits.maxNameLength) problem = `${n} bytes, more than ${limits.maxNameLength} characters can take`;
    else if ((name = this.#decode(i)) === undefined) problem = `${n} bytes at byte ${at} are not UTF-8`;
    else {
      const p = nameProblem(name, limits.maxNameLength);
      if (p !== undefined) problem = `${quoteName(name)}: ${p}`;
      else known.add(this.#bytes, at, at + n, name);
    }
    if (problem !== undefined) {
      this.#problems.set(i, `${this.#kind} ${problem}`);
      this.#ids[i] = BAD_NAME;
      return BAD_NAME;
    }
    const id = this.#kind === "device" ? builder.deviceId(name!) : builder.channelId(name!);
    this.#ids[i] = id;
    return id;
  }
}
