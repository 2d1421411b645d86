// Device and channel ids of line protocol names, found from the raw (still escaped) bytes: a name is
// interned once per parse, on its first appearance (unescaped, decoded and checked there, or, for a
// device an earlier body named, taken from the thread's cache); later lines cost a hash lookup.
// Channel = measurement for a field named `value`, else `measurement_field`.
import type { BatchBuilder } from "../batch-builder.js";
import { ByteInterner, MISSING, fnvOf } from "./byte-interner.js";
import type { FrameLimits } from "./frame.js";
import { NameCache } from "./name-cache.js";
import { nameProblem, quoteName } from "./names.js";

const SPACE = 32;
const COMMA = 44;
const EQUALS = 61;
const BACKSLASH = 92;
const VALUE_KEY = [118, 97, 108, 117, 101]; // "value"
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Device names that passed the checks, by their raw (still escaped) tag bytes, shared by every body
 * this thread parses: Telegraf sends the same devices in every body, and each would otherwise be
 * unescaped, decoded and checked again, a new string each time.
 */
const knownDevices = new NameCache();

/** @internal The names of one line protocol body, as builder ids; a refused name is −2 − k (see problem()). */
export class LineNames {
  readonly #builder: BatchBuilder;
  readonly #maxLength: number;
  readonly #devices = new ByteInterner();
  readonly #channels = new ByteInterner();
  readonly #problems: string[] = [];

  constructor(builder: BatchBuilder, limits: FrameLimits) {
    this.#builder = builder;
    this.#maxLength = limits.maxNameLength;
  }

  /** The id of the device named by the tag value buf[s, e), whose fnvOf() is `h`. */
  device(buf: Uint8Array, s: number, e: number, h: number): number {
    let id = this.#devices.lookup(buf, s, e, e, e, h);
    if (id === MISSING) {
      const known = knownDevices.get(buf, s, e, h);
      if (known !== undefined && known.length <= this.#maxLength) id = this.#builder.deviceId(known);
      else {
        const name = unescape(buf, s, e);
        id = this.#intern(name, "device");
        if (id >= 0) knownDevices.add(buf, s, e, name!);
      }
      this.#devices.set(buf, s, e, e, e, h, id);
    }
    return id;
  }

  /** The id of the channel of measurement buf[mStart, mEnd) and field key buf[kStart, kEnd). */
  channel(buf: Uint8Array, mStart: number, mEnd: number, kStart: number, kEnd: number): number {
    const hash = fnvOf(buf, kStart, kEnd, fnvOf(buf, mStart, mEnd));
    let id = this.#channels.lookup(buf, mStart, mEnd, kStart, kEnd, hash);
    if (id === MISSING) {
      id = this.#intern(channelName(buf, mStart, mEnd, kStart, kEnd), "channel");
      this.#channels.set(buf, mStart, mEnd, kStart, kEnd, hash, id);
    }
    return id;
  }

  /** Why the name with id `id` (< 0) was refused. */
  problem(id: number): string {
    return this.#problems[-2 - id];
  }

  #intern(name: string | undefined, what: "device" | "channel"): number {
    const problem = name === undefined ? "is not UTF-8" : nameProblem(name, this.#maxLength);
    if (problem !== undefined) return -2 - (this.#problems.push(`${what} ${name === undefined ? "" : `${quoteName(name)}: `}${problem}`) - 1);
    return what === "device" ? this.#builder.deviceId(name!) : this.#builder.channelId(name!);
  }
}

function channelName(buf: Uint8Array, mStart: number, mEnd: number, kStart: number, kEnd: number): string | undefined {
  const measurement = unescape(buf, mStart, mEnd);
  let isValue = kEnd - kStart === VALUE_KEY.length;
  for (let k = 0; isValue && k < VALUE_KEY.length; k++) isValue = buf[kStart + k] === VALUE_KEY[k];
  if (isValue || measurement === undefined) return measurement;
  const field = unescape(buf, kStart, kEnd);
  return field === undefined ? undefined : `${measurement}_${field}`;
}

/** The name in buf[s, e) with \, \space \= \\ unescaped (other backslashes stay), or undefined if not UTF-8. */
function unescape(buf: Uint8Array, s: number, e: number): string | undefined {
  let raw = buf.subarray(s, e);
  if (raw.includes(BACKSLASH)) {
    const out = new Uint8Array(e - s);
    let n = 0;
    for (let i = s; i < e; i++) {
      const c = buf[i];
      const next = i + 1 < e ? buf[i + 1] : -1;
      if (c === BACKSLASH && (next === COMMA || next === SPACE || next === EQUALS || next === BACKSLASH)) {
        out[n++] = next;
        i++;
      } else out[n++] = c;
    }
    raw = out.subarray(0, n);
  }
  try {
    return utf8.decode(raw);
  } catch {
    return undefined;
  }
}
