// The write-ahead log: every appended batch is a checksummed record in the current WAL file, and an
// append is acknowledged only after the fsync that covers it. Appends arriving while an fsync runs
// are written and synced together in the next round (group commit), so throughput grows with load.
//
// File: wal/<10-digit sequence>.wal, a run of records: u32 payload length · u32 CRC-32 of payload · payload,
// then zeros: the file is filled with zeros ahead of its records, so that writing a record changes no
// file size and its fdatasync commits no journal (here 100–105 µs of the machine's CPU a sync against
// 155–170 when each write grew the file). A payload is never empty: a zero length ends the records.
import { open, readdir, readFile, stat, unlink, mkdir, type FileHandle } from "node:fs/promises";
import { constants, ftruncateSync, writeSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { ArchiveError, ioError } from "./errors.js";
import { syncDirectory } from "./atomic-file.js";
import { WalDictionary } from "./wal-dictionary.js";
import type { WalRecord } from "./wal-record.js";

const RECORD_HEADER = 8;
/** Larger records are refused: a corrupt length field must not make replay allocate gigabytes. */
export const MAX_WAL_RECORD = 256 << 20;
/**
 * Zeros kept written ahead of the records (at least half of it after each record). Filling costs one
 * write and one slower fdatasync (it commits the new size) per half of this.
 */
const FILL_BYTES = 1 << 20;
let zeros: Uint8Array | undefined;

/** @internal */
export function walFileName(sequence: number): string {
  return `${String(sequence).padStart(10, "0")}.wal`;
}

/** Lists the WAL sequences present in `dir`, ascending. */
export async function listWal(dir: string): Promise<number[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names
    .filter((n) => /^\d{10}\.wal$/.test(n))
    .map((n) => Number(n.slice(0, 10)))
    .sort((a, b) => a - b);
}

/** An append waiting for the fsync that covers it. */
interface Pending {
  /** Called with how long that fsync took (ms). */
  resolve: (syncMs: number) => void;
  reject: (err: Error) => void;
}

/**
 * Appends records to one WAL file with group commit. A record is written at once, synchronously (a
 * copy into the page cache, microseconds); its append resolves after the next fdatasync, and every
 * record written while one fsync runs is covered by the following one. Writing at once keeps the
 * thread pool for the fsyncs: queued behind other archives' fsyncs, asynchronous writes waited
 * tens of milliseconds under load.
 */
export class WalWriter {
  readonly sequence: number;
  readonly file: string;
  /** The series this file's records have defined (wal-record.ts numbers series by them). */
  readonly names = new WalDictionary();
  #handle: FileHandle;
  /** Bytes of the file holding whole records (written, not all synced yet). */
  #size: number;
  /** Bytes in the file: the records, then zeros. */
  #filled: number;
  /** Bytes known to be on disk. */
  #synced: number;
  #queue: Pending[] = [];
  #syncing: Promise<void> | undefined;
  #broken: ArchiveError | undefined;

  private constructor(sequence: number, file: string, handle: FileHandle, size: number) {
    this.sequence = sequence;
    this.file = file;
    this.#handle = handle;
    this.#size = size;
    this.#filled = size;
    this.#synced = size;
  }

  /** Opens (or creates) WAL file `sequence` in `dir` for appending after its last good record; what follows it is cut off. */
  static async open(dir: string, sequence: number): Promise<WalWriter> {
    await mkdir(dir, { recursive: true });
    const file = join(dir, walFileName(sequence));
    try {
      // Not O_APPEND: records are written at their place, in front of the zeros.
      const handle = await open(file, constants.O_RDWR | constants.O_CREAT);
      const { size } = await handle.stat();
      const end = size > 0 ? scanRecords(await handle.readFile()).goodBytes : 0;
      if (end < size) await handle.truncate(end);
      await syncDirectory(dir);
      return new WalWriter(sequence, file, handle, end);
    } catch (err) {
      throw ioError(err, "opening WAL", file);
    }
  }

  /** Bytes of the file's records, those not synced yet included (not the zeros after them). */
  get size(): number {
    return this.#size;
  }

  /** Appends one record (encoded against `names`); resolves once it is on disk, with how long the fsync that covered it took (ms). */
  append({ payload, defines }: WalRecord): Promise<number> {
    if (this.#broken) return Promise.reject(this.#broken);
    if (payload.length > MAX_WAL_RECORD) {
      return Promise.reject(new ArchiveError("BAD_BATCH", `batch of ${payload.length} bytes exceeds the WAL record limit ${MAX_WAL_RECORD}`));
    }
    // Replay would take its zero length for the end of the records, and lose every record after it.
    if (payload.length === 0) return Promise.reject(new ArchiveError("BAD_BATCH", "an empty WAL record"));
    const record = new Uint8Array(RECORD_HEADER + payload.length);
    const view = new DataView(record.buffer);
    view.setUint32(0, payload.length, true);
    view.setUint32(4, crc32(payload), true);
    record.set(payload, RECORD_HEADER);
    try {
      this.#fillAhead(this.#size + record.length);
      for (let at = 0; at < record.length; ) at += writeSync(this.#handle.fd, record, at, record.length - at, this.#size + at);
    } catch (err) {
      const failure = ioError(err, "appending to WAL", this.file);
      this.#cutBackTo(this.#size, failure);
      return Promise.reject(failure);
    }
    this.names.define(defines, this.#size);
    this.#size += record.length;
    return new Promise<number>((resolve, reject) => {
      this.#queue.push({ resolve, reject });
      this.#syncing ??= this.#syncLoop();
    });
  }

  async #syncLoop(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue;
      this.#queue = [];
      const covered = this.#size;
      try {
        const started = performance.now();
        await this.#handle.datasync();
        const syncMs = performance.now() - started;
        this.#synced = covered;
        for (const p of batch) p.resolve(syncMs);
      } catch (err) {
        // What reached the disk after the last good fsync is unknown: refuse every waiting append
        // and cut their records off, so later records are not stranded behind them.
        const failure = ioError(err, "syncing WAL", this.file);
        const waiting = batch.concat(this.#queue);
        this.#queue = [];
        this.#cutBackTo(this.#synced, failure);
        for (const p of waiting) p.reject(failure);
      }
    }
    this.#syncing = undefined;
  }

  /** Writes zeros past the end of the file when fewer than half of FILL_BYTES would follow `end`. */
  #fillAhead(end: number): void {
    if (this.#filled - end >= FILL_BYTES / 2) return;
    zeros ??= new Uint8Array(FILL_BYTES);
    const to = end + FILL_BYTES;
    while (this.#filled < to) this.#filled += writeSync(this.#handle.fd, zeros, 0, Math.min(zeros.length, to - this.#filled), this.#filled);
  }

  /** Truncates the file to `size` after a failed write; a file that cannot be cut is broken for good. */
  #cutBackTo(size: number, failure: ArchiveError): void {
    try {
      ftruncateSync(this.#handle.fd, size);
      this.#size = size;
      this.#filled = size;
      this.names.cutBack(size);
    } catch {
      this.#broken = failure;
    }
  }

  /** Waits for every appended record to be synced (or failed). */
  async drain(): Promise<void> {
    while (this.#syncing) await this.#syncing;
  }

  async close(): Promise<void> {
    await this.drain();
    await this.#handle.close();
  }
}

/** What replaying one WAL file found. */
export interface WalReplay {
  sequence: number;
  records: number;
  /** Bytes of whole, valid records; anything after is zeros written ahead, or a torn or corrupt tail. */
  goodBytes: number;
  /** Bytes after the last good record up to the last one not zero (a torn write, or corruption). */
  tailBytes: number;
}

/** Finds the records at the start of `bytes`, handing each payload to `onRecord`, up to a zero length, a torn record or a bad checksum. */
function scanRecords(bytes: Uint8Array, onRecord?: (payload: Uint8Array) => void): { records: number; goodBytes: number; tailBytes: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  let records = 0;
  while (at + RECORD_HEADER <= bytes.length) {
    const length = view.getUint32(at, true);
    if (length === 0 || length > MAX_WAL_RECORD || at + RECORD_HEADER + length > bytes.length) break;
    const payload = bytes.subarray(at + RECORD_HEADER, at + RECORD_HEADER + length);
    if (crc32(payload) !== view.getUint32(at + 4, true)) break;
    onRecord?.(payload);
    records++;
    at += RECORD_HEADER + length;
  }
  let last = bytes.length;
  while (last > at && bytes[last - 1] === 0) last--;
  return { records, goodBytes: at, tailBytes: last - at };
}

/** Calls `onRecord` for each valid record of WAL file `sequence`, stopping at a torn or corrupt tail. */
export async function replayWal(dir: string, sequence: number, onRecord: (payload: Uint8Array) => void): Promise<WalReplay> {
  const file = join(dir, walFileName(sequence));
  let bytes: Uint8Array;
  try {
    if (!(await stat(file)).isFile()) throw new ArchiveError("CORRUPT_WAL", `${file} is not a regular file`, file);
    bytes = await readFile(file);
  } catch (err) {
    if (err instanceof ArchiveError) throw err;
    throw ioError(err, "reading WAL", file);
  }
  return { sequence, ...scanRecords(bytes, onRecord) };
}

/** Deletes WAL files below `sequence` (their data is in segments). */
export async function dropWalBefore(dir: string, sequence: number): Promise<void> {
  for (const s of await listWal(dir)) {
    if (s < sequence) await unlink(join(dir, walFileName(s))).catch(() => undefined);
  }
  await syncDirectory(dir).catch(() => undefined);
}
