// Open segment files kept for reuse, so a query decoding thousands of blocks opens each file once.
// At most `capacity` stay open; the least recently used idle one is closed first.
import { open, type FileHandle } from "node:fs/promises";
import { ArchiveError, ioError } from "./errors.js";

interface Entry {
  handle: Promise<FileHandle>;
  busy: number;
}

export class FileHandles {
  readonly #open = new Map<string, Entry>();
  readonly #capacity: number;

  constructor(capacity = 64) {
    this.#capacity = capacity;
  }

  /** Reads `length` bytes at `offset` of `file`. */
  async read(file: string, offset: number, length: number): Promise<Uint8Array> {
    let entry = this.#open.get(file);
    if (entry) {
      this.#open.delete(file); // re-inserted below: most recently used last
    } else {
      const handle = open(file, "r");
      handle.catch(() => this.#open.delete(file));
      entry = { handle, busy: 0 };
      this.#trim();
    }
    this.#open.set(file, entry);
    entry.busy++;
    try {
      const handle = await entry.handle.catch((err) => {
        throw ioError(err, "opening segment", file);
      });
      const buffer = new Uint8Array(length);
      const { bytesRead } = await handle.read(buffer, 0, length, offset);
      if (bytesRead !== length) {
        throw new ArchiveError("CORRUPT_SEGMENT", `${file}: wanted ${length} bytes at ${offset}, the file has ${bytesRead}`, file);
      }
      return buffer;
    } finally {
      entry.busy--;
    }
  }

  /** Closes `file`'s handle once idle (the file is being deleted or replaced). */
  async forget(file: string): Promise<void> {
    const entry = this.#open.get(file);
    if (!entry) return;
    this.#open.delete(file);
    await entry.handle.then((h) => h.close()).catch(() => undefined);
  }

  async closeAll(): Promise<void> {
    const entries = [...this.#open.values()];
    this.#open.clear();
    await Promise.all(entries.map((e) => e.handle.then((h) => h.close()).catch(() => undefined)));
  }

  #trim(): void {
    for (const [file, entry] of this.#open) {
      if (this.#open.size < this.#capacity) return;
      if (entry.busy > 0) continue;
      this.#open.delete(file);
      entry.handle.then((h) => h.close()).catch(() => undefined);
    }
  }
}
