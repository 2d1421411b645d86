// Influx line protocol as Telegraf's outputs.influxdb sends it, read into a BatchBuilder. Device = a tag
// (first of `deviceTags` present); channel = the measurement for a field named `value`, else
// `measurement_field` (VictoriaMetrics' naming). A bad line is one rejection; the others are kept.
// Plain lines are read in bulk by the WebAssembly scanner (line-scan.ts); every other line (string
// fields, long numbers, anything malformed) by the char-code parser here, which words the refusals.
import type { BatchBuilder } from "../batch-builder.js";
import { FrameError, type Rejection, type RejectReason } from "./errors.js";
import type { DecodedFrame, FrameLimits } from "./frame.js";
import { LineNames } from "./line-names.js";
import { fieldValue, timestampMicros, type Precision } from "./line-values.js";
import { fnvOf } from "./byte-interner.js";
import * as Scan from "./line-scan.js";

export type { Precision } from "./line-values.js";

/** How to read a line protocol body. */
export interface LineProtocolOptions {
  /** Unit of the timestamps (the write API's `precision`); default "ns". Nanoseconds round toward the past. */
  precision?: Precision;
  /** Tag keys naming the device, tried in this order; default ["device", "host"]. */
  deviceTags?: readonly string[];
  /** Timestamp (µs) of lines that carry none; default the clock when the call starts. */
  now?: number;
  /** @internal false: the char-code parser reads every line (tests compare it with the scanner). */
  scan?: boolean;
}

const NL = 10;
const CR = 13;
const SPACE = 32;
const TAB = 9;
const QUOTE = 34;
const HASH = 35;
const COMMA = 44;
const EQUALS = 61;
const BACKSLASH = 92;
/** Field status in the per-line scratch. */
const OK = 0;
const NON_NUMERIC = 1;
const BAD_VALUE = 2;
/** A field whose channel is not known yet (channel ids and refused names are above it). */
const UNKNOWN = -0x7fffffff;
const PRECISIONS: readonly Precision[] = ["ns", "us", "ms", "s"];
const utf8In = new TextEncoder();
const utf8Out = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Decodes a line protocol body (`measurement[,tag=value…] field=value[,…] [timestamp]` per line) into
 * `builder`. Comments (#) and blank lines are skipped, \r\n is fine. Each numeric field becomes one
 * reading; string fields are refused as "non_numeric", lines without a device tag as "missing_field",
 * unreadable lines as "malformed" (index = 0-based line). Throws FrameError "TOO_LARGE" when the body
 * holds more readings and refusals than `limits.maxReadings`, leaving the builder as it was.
 */
export function decodeLineProtocol(input: string | Uint8Array, builder: BatchBuilder, limits: FrameLimits, options: LineProtocolOptions = {}): DecodedFrame {
  const precision = options.precision ?? "ns";
  if (!PRECISIONS.includes(precision)) throw new TypeError(`precision ${JSON.stringify(precision)} is not one of ${PRECISIONS.join(", ")}`);
  const now = options.now ?? Date.now() * 1000;
  if (!Number.isSafeInteger(now)) throw new TypeError(`now ${now} is not an integral number of µs`);
  const bytes = typeof input === "string" ? utf8In.encode(input) : input;
  const tags = (options.deviceTags ?? ["device", "host"]).map((t) => utf8In.encode(t));
  const start = builder.length;
  const scan = options.scan === false ? undefined : Scan.lineScan();
  const parser = new LineParser(bytes, builder, limits, precision, now, tags, scan?.load(bytes, tags, precision, now) ? scan : undefined);
  try {
    parser.run();
  } catch (err) {
    builder.truncate(start);
    throw err;
  }
  return { seq: undefined, readings: builder.length - start, rejected: parser.rejected };
}

/** Whether buf[s, e) and buf[s2, e2) hold the same bytes. */
function same(buf: Uint8Array, s: number, e: number, s2: number, e2: number): boolean {
  if (e - s !== e2 - s2) return false;
  for (let k = 0; k < e - s; k++) if (buf[s + k] !== buf[s2 + k]) return false;
  return true;
}

/** Where a line's fields are: the parser's own scratch, or the scanner's columns. */
interface LineFields {
  keyStarts: Int32Array;
  keyEnds: Int32Array;
  statuses: Uint8Array;
  values: Float64Array;
}

/** One body's parse: the bytes, the per-line field scratch and the name caches. */
class LineParser {
  readonly rejected: Rejection[] = [];
  readonly #buf: Uint8Array;
  readonly #end: number;
  readonly #builder: BatchBuilder;
  readonly #limits: FrameLimits;
  readonly #precision: Precision;
  readonly #now: number;
  readonly #deviceTags: Uint8Array[];
  readonly #names: LineNames;
  readonly #scan: Scan.LineScan | undefined;
  #line = 0;
  /** Newlines inside quoted strings of the current line (they still count as lines). */
  #innerLines = 0;
  /** Readings kept plus refused so far, against limits.maxReadings. */
  #produced = 0;
  #error = "";
  #errorAt = 0;
  /** The current line's timestamp (µs), in a column like the field values: a double returned from or passed to a call that is not inlined is a new heap number. */
  readonly #stamp = new Float64Array(1);
  /** The current line's fields, when this parser reads it; their channels are set as the line is emitted. */
  #fields: LineFields = { keyStarts: new Int32Array(16), keyEnds: new Int32Array(16), statuses: new Uint8Array(16), values: new Float64Array(16) };
  #channel = new Int32Array(16);
  /** The current line's record (line-scan.ts' layout), when this parser reads it. */
  readonly #record = new Int32Array(Scan.LINE_INTS);
  // The shape of the last line emitted: its measurement, field keys and their channels. Telegraf's
  // lines repeat one shape, so a line is compared byte for byte with the last one's instead of hashed
  // and looked up name by name.
  #shapeStart = 0;
  #shapeEnd = 0;
  #shapeFields = 0;
  #shapeKeyStart = new Int32Array(16);
  #shapeKeyEnd = new Int32Array(16);
  #shapeChannel = new Int32Array(16);

  constructor(buf: Uint8Array, builder: BatchBuilder, limits: FrameLimits, precision: Precision, now: number, deviceTags: Uint8Array[], scan: Scan.LineScan | undefined) {
    this.#buf = buf;
    this.#end = buf.length;
    this.#builder = builder;
    this.#limits = limits;
    this.#precision = precision;
    this.#now = now;
    this.#deviceTags = deviceTags;
    this.#names = new LineNames(builder, limits);
    this.#scan = scan;
  }

  run(): void {
    let p = 0;
    while (p < this.#end) {
      if (this.#scan) p = this.#scanFrom(p);
      if (p < this.#end) p = this.#readLine(p);
    }
  }

  /** Emits the lines the scanner reads from p on; returns where it left off (a line for #readLine, or the end). */
  #scanFrom(p: number): number {
    const scan = this.#scan!;
    for (;;) {
      const n = scan.scan(p, this.#line);
      const lines = scan.lines;
      // Whether the record before set the shape: then a record of the same shape has its channels.
      let shaped = false;
      for (let k = 0, r = 0; k < n; k++, r += Scan.LINE_INTS) {
        this.#line = lines[r + Scan.AT_LINE];
        shaped = this.#emit(lines, r, scan, scan.stamps, k, shaped && lines[r + Scan.AT_SAME_SHAPE] === 1);
        this.#checkSize(lines[r + Scan.AT_MEASUREMENT_START]);
      }
      p = scan.stoppedAt;
      this.#line = scan.stoppedLine;
      // Full output: take the next batch of lines. The end, or a line the scanner leaves: return.
      if (n === 0 || scan.stopReason === Scan.STOPPED_AT_LINE || p >= this.#end) return p;
    }
  }

  /** Reads one line (or blank line, or comment) at p with this parser; returns where the next one starts. */
  #readLine(p: number): number {
    const buf = this.#buf;
    const end = this.#end;
    let c = buf[p];
    while ((c === SPACE || c === TAB || c === CR) && ++p < end) c = buf[p];
    if (p >= end) return p;
    let lineEnd: number;
    if (c === NL) lineEnd = p;
    else if (c === HASH) lineEnd = this.#skipLine(p);
    else {
      this.#innerLines = 0;
      lineEnd = this.#parseLine(p);
      if (lineEnd < 0) {
        this.#reject(this.#line, "malformed", `${this.#error} at byte ${this.#errorAt}; line starts ${this.#snippet(p)}`);
        lineEnd = this.#skipLine(this.#errorAt);
      }
      this.#line += this.#innerLines;
      this.#checkSize(p);
    }
    this.#line++;
    return lineEnd + 1;
  }

  /** Throws TOO_LARGE once the body has brought more readings and refusals than the limit (the line at p did it). */
  #checkSize(p: number): void {
    if (this.#produced > this.#limits.maxReadings) {
      throw new FrameError("TOO_LARGE", `line ${this.#line} at byte ${p} brings the body to ${this.#produced} readings, more than ${this.#limits.maxReadings}`, p);
    }
  }

  /** Position of the next newline at or after p (or the end). */
  #skipLine(p: number): number {
    const buf = this.#buf;
    while (p < this.#end && buf[p] !== NL) p++;
    return p;
  }

  #fail(at: number, error: string): number {
    this.#error = error;
    this.#errorAt = at;
    return -1;
  }

  /** Parses the line at p; returns the position of its newline (or the end), or −1 with #error set. */
  #parseLine(p: number): number {
    const buf = this.#buf;
    const end = this.#end;
    let c = 0;
    // Measurement: up to an unescaped comma or space; a backslash keeps the next byte in the name.
    const mStart = p;
    for (; p < end; p++) {
      c = buf[p];
      if (c === COMMA || c === SPACE || c === NL) break;
      if (c === BACKSLASH && p + 1 < end && buf[p + 1] !== NL) p++;
    }
    const mEnd = p;
    if (mEnd === mStart) return this.#fail(p, "no measurement");
    // Tags: only the device tag is kept (the first of deviceTags present).
    let dStart = 0;
    let dEnd = 0;
    let dRank = Scan.NO_DEVICE;
    while (p < end && buf[p] === COMMA) {
      const kStart = ++p;
      for (; p < end; p++) {
        c = buf[p];
        if (c === EQUALS || c === COMMA || c === SPACE || c === NL) break;
        if (c === BACKSLASH && p + 1 < end && buf[p + 1] !== NL) p++;
      }
      if (p >= end || buf[p] !== EQUALS || p === kStart) return this.#fail(p, "a tag is not key=value");
      const kEnd = p++;
      const vStart = p;
      for (; p < end; p++) {
        c = buf[p];
        if (c === COMMA || c === SPACE || c === NL || c === EQUALS) break;
        if (c === BACKSLASH && p + 1 < end && buf[p + 1] !== NL) p++;
      }
      if (p === vStart || (p < end && buf[p] === EQUALS)) return this.#fail(p, "a tag value is empty or holds an unescaped =");
      const rank = this.#deviceRank(kStart, kEnd);
      if (rank < dRank) {
        dRank = rank;
        dStart = vStart;
        dEnd = p;
      }
    }
    if (p >= end || buf[p] !== SPACE) return this.#fail(p, "no fields");
    while (p < end && buf[p] === SPACE) p++;
    // Fields: key=value[,key=value…]; values are parsed now, readings are added once the line is whole.
    let fields = 0;
    let scratch = this.#fields;
    for (;;) {
      const kStart = p;
      for (; p < end; p++) {
        c = buf[p];
        if (c === EQUALS || c === COMMA || c === SPACE || c === NL) break;
        if (c === BACKSLASH && p + 1 < end && buf[p + 1] !== NL) p++;
      }
      if (p >= end || buf[p] !== EQUALS || p === kStart) return this.#fail(p, "a field is not key=value");
      if (fields === scratch.keyStarts.length) scratch = this.#growFields();
      scratch.keyStarts[fields] = kStart;
      scratch.keyEnds[fields] = p;
      p++;
      if (p < end && buf[p] === QUOTE) {
        // A string: may hold any byte, \" and \\ escaped, even newlines.
        for (p++; p < end; p++) {
          c = buf[p];
          if (c === BACKSLASH) p++;
          else if (c === QUOTE) break;
          else if (c === NL) this.#innerLines++;
        }
        if (p >= end) return this.#fail(p, "a string field has no closing quote");
        p++;
        if (p < end && (c = buf[p]) !== COMMA && c !== SPACE && c !== NL && c !== CR) return this.#fail(p, "bytes after a string field");
        scratch.statuses[fields] = NON_NUMERIC;
      } else {
        const vStart = p;
        for (; p < end; p++) {
          c = buf[p];
          if (c === COMMA || c === SPACE || c === NL || c === CR) break;
        }
        if (p === vStart) return this.#fail(p, "a field has no value");
        fieldValue(buf, vStart, p, scratch.values, fields);
        const v = scratch.values[fields];
        if (v !== v) return this.#fail(vStart, `field value ${this.#snippet(vStart, p)} is not a number, integer, boolean or string`);
        scratch.statuses[fields] = v === Infinity || v === -Infinity ? BAD_VALUE : OK;
      }
      fields++;
      if (p < end && buf[p] === COMMA) p++;
      else break;
    }
    // Timestamp, then nothing but blanks to the newline.
    const stamp = this.#stamp;
    stamp[0] = this.#now;
    while (p < end && buf[p] === SPACE) p++;
    if (p < end && (c = buf[p]) !== NL && c !== CR) {
      const tStart = p;
      while (p < end && (c = buf[p]) !== SPACE && c !== NL && c !== CR && c !== TAB) p++;
      timestampMicros(buf, tStart, p, this.#precision, stamp, 0);
      if (stamp[0] !== stamp[0]) return this.#fail(tStart, `timestamp ${this.#snippet(tStart, p)} is not an integer`);
    }
    while (p < end && ((c = buf[p]) === SPACE || c === CR || c === TAB)) p++;
    if (p < end && buf[p] !== NL) return this.#fail(p, "bytes after the timestamp");
    const record = this.#record;
    record[Scan.AT_MEASUREMENT_START] = mStart;
    record[Scan.AT_MEASUREMENT_END] = mEnd;
    record[Scan.AT_DEVICE_RANK] = dRank;
    record[Scan.AT_DEVICE_START] = dStart;
    record[Scan.AT_DEVICE_END] = dEnd;
    record[Scan.AT_DEVICE_HASH] = fnvOf(buf, dStart, dEnd);
    record[Scan.AT_FIRST_FIELD] = 0;
    record[Scan.AT_FIELD_COUNT] = fields;
    this.#emit(record, 0, scratch, stamp, 0, false);
    return p;
  }

  /**
   * Adds the line of record rec[r …] (line-scan.ts' layout), or its refusals: its fields are
   * `fields.*[first …]`, its timestamp stamps[stampAt] (passed where it lies: a double passed to a call
   * that is not inlined is a new heap number). A field's channel is the last emitted line's when the
   * line repeats that line's shape (`sameShape`: known to). Returns whether the line set the shape.
   */
  #emit(rec: Int32Array, r: number, fields: LineFields, stamps: Float64Array, stampAt: number, sameShape: boolean): boolean {
    const line = this.#line;
    const ts = stamps[stampAt];
    if (rec[r + Scan.AT_DEVICE_RANK] === Scan.NO_DEVICE) {
      const tags = this.#deviceTags.map((t) => utf8Out.decode(t)).join(" or ");
      this.#reject(line, "missing_field", `no ${tags} tag`);
      return false;
    }
    if (ts === Infinity || ts === -Infinity) {
      this.#reject(line, "bad_timestamp", `timestamp outside ±2^53 µs (precision ${this.#precision})`);
      return false;
    }
    const buf = this.#buf;
    const names = this.#names;
    const device = names.device(buf, rec[r + Scan.AT_DEVICE_START], rec[r + Scan.AT_DEVICE_END], rec[r + Scan.AT_DEVICE_HASH]);
    if (device < 0) {
      this.#reject(line, "bad_name", names.problem(device));
      return false;
    }
    const mStart = rec[r + Scan.AT_MEASUREMENT_START];
    const mEnd = rec[r + Scan.AT_MEASUREMENT_END];
    const first = rec[r + Scan.AT_FIRST_FIELD];
    const count = rec[r + Scan.AT_FIELD_COUNT];
    if (count > this.#channel.length) this.#channel = new Int32Array(count * 2);
    const channels = this.#channel;
    const shapeChannels = this.#shapeChannel;
    const { keyStarts, keyEnds, statuses, values } = fields;
    const sameMeasurement = sameShape || same(buf, mStart, mEnd, this.#shapeStart, this.#shapeEnd);
    for (let f = 0, i = first; f < count; f++, i++) {
      const known = sameShape || (sameMeasurement && f < this.#shapeFields && same(buf, keyStarts[i], keyEnds[i], this.#shapeKeyStart[f], this.#shapeKeyEnd[f]));
      let channel = (channels[f] = known ? shapeChannels[f] : UNKNOWN);
      const status = statuses[i];
      if (status !== OK) {
        const key = this.#snippet(keyStarts[i], keyEnds[i]);
        if (status === NON_NUMERIC) this.#reject(line, "non_numeric", `field ${key} is a string`);
        else this.#reject(line, "bad_value", `field ${key} is out of range`);
        continue;
      }
      if (channel === UNKNOWN) channel = channels[f] = names.channel(buf, mStart, mEnd, keyStarts[i], keyEnds[i]);
      if (channel < 0) this.#reject(line, "bad_name", names.problem(channel));
      else {
        this.#builder.add(device, channel, ts, values[i]);
        this.#produced++;
      }
    }
    this.#rememberShape(mStart, mEnd, fields, first, count);
    return true;
  }

  /** Keeps the emitted line's measurement, field keys and their channels for the next line to compare with. */
  #rememberShape(mStart: number, mEnd: number, fields: LineFields, first: number, count: number): void {
    if (count > this.#shapeKeyStart.length) {
      this.#shapeKeyStart = new Int32Array(count * 2);
      this.#shapeKeyEnd = new Int32Array(count * 2);
      this.#shapeChannel = new Int32Array(count * 2);
    }
    this.#shapeStart = mStart;
    this.#shapeEnd = mEnd;
    this.#shapeFields = count;
    for (let f = 0; f < count; f++) {
      this.#shapeKeyStart[f] = fields.keyStarts[first + f];
      this.#shapeKeyEnd[f] = fields.keyEnds[first + f];
      this.#shapeChannel[f] = this.#channel[f];
    }
  }

  /** The rank of a tag key in deviceTags, or NO_DEVICE. */
  #deviceRank(s: number, e: number): number {
    const buf = this.#buf;
    const tags = this.#deviceTags;
    for (let r = 0; r < tags.length; r++) {
      const t = tags[r];
      if (t.length !== e - s) continue;
      let k = 0;
      while (k < t.length && t[k] === buf[s + k]) k++;
      if (k === t.length) return r;
    }
    return Scan.NO_DEVICE;
  }

  #reject(index: number, reason: RejectReason, detail: string): void {
    this.rejected.push({ index, reason, detail });
    this.#produced++;
  }

  /** Up to 40 bytes from s (to e or the newline), quoted, for messages. */
  #snippet(s: number, e = this.#end): string {
    let stop = Math.min(e, s + 40);
    const nl = this.#buf.subarray(s, stop).indexOf(NL);
    if (nl >= 0) stop = s + nl;
    return JSON.stringify(new TextDecoder().decode(this.#buf.subarray(s, stop)) + (stop < e && nl < 0 ? "…" : ""));
  }

  #growFields(): LineFields {
    const n = this.#fields.keyStarts.length * 2;
    const grow = <T extends Int32Array | Uint8Array | Float64Array>(a: T, b: T): T => (b.set(a), b);
    const { keyStarts, keyEnds, statuses, values } = this.#fields;
    this.#fields = { keyStarts: grow(keyStarts, new Int32Array(n)), keyEnds: grow(keyEnds, new Int32Array(n)), statuses: grow(statuses, new Uint8Array(n)), values: grow(values, new Float64Array(n)) };
    return this.#fields;
  }

}
