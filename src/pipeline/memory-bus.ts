// The in-process bus of the embedded default: per stream an array of entries, per consumer group a
// read position and the delivered-but-unacked entries. publish() resolves when a consumer acks the
// entry, which is when a worker has made it durable in its archive.
import type { FlaggedColumns } from "../ingest/batch-builder.js";
import { streamName, type Bus, type BusEntry, type Consumer, type StreamId } from "./bus.js";

interface Entry {
  seq: number;
  batch: FlaggedColumns;
  done: () => void;
}

interface Pending {
  entry: Entry;
  consumer: string;
  deliveredAt: number;
  deliveries: number;
}

interface GroupState {
  next: number;
  pending: Map<number, Pending>;
}

interface Stream {
  id: StreamId;
  entries: Map<number, Entry>;
  nextSeq: number;
  groups: Map<string, GroupState>;
}

export class MemoryBus implements Bus {
  readonly #streams = new Map<string, Stream>();
  /** The same lookup by the id object itself: consumers pass the same ids to every read. */
  readonly #byId = new WeakMap<StreamId, Stream>();
  #waiters: (() => void)[] = [];
  #closed = false;

  #stream(id: StreamId): Stream {
    const name = streamName(id);
    let s = this.#streams.get(name);
    if (!s) this.#streams.set(name, (s = { id, entries: new Map(), nextSeq: 1, groups: new Map() }));
    return s;
  }

  /** #stream for ids a consumer reads again and again (publishers make a new id per batch). */
  #readStream(id: StreamId): Stream {
    let s = this.#byId.get(id);
    if (!s) this.#byId.set(id, (s = this.#stream(id)));
    return s;
  }

  #group(s: Stream, group: string): GroupState {
    let g = s.groups.get(group);
    // A new group starts at the oldest entry still held, like XGROUP CREATE … 0: nothing is skipped.
    if (!g) s.groups.set(group, (g = { next: 1, pending: new Map() }));
    return g;
  }

  publish(stream: StreamId, batch: FlaggedColumns): Promise<string> {
    if (this.#closed) return Promise.reject(new Error("the bus is closed"));
    const s = this.#stream(stream);
    const seq = s.nextSeq++;
    return new Promise<string>((resolve) => {
      s.entries.set(seq, { seq, batch, done: () => resolve(String(seq)) });
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const w of waiters) w();
    });
  }

  async read(consumer: Consumer, streams: readonly StreamId[], count: number, blockMs: number): Promise<BusEntry[]> {
    const deadline = Date.now() + blockMs;
    for (;;) {
      const out: BusEntry[] = [];
      for (const id of streams) {
        const s = this.#readStream(id);
        const g = this.#group(s, consumer.group);
        while (out.length < count && g.next < s.nextSeq) {
          const entry = s.entries.get(g.next++);
          if (!entry) continue;
          g.pending.set(entry.seq, { entry, consumer: consumer.name, deliveredAt: Date.now(), deliveries: 1 });
          out.push({ id: String(entry.seq), stream: s.id, batch: entry.batch, deliveries: 1 });
        }
        if (out.length >= count) break;
      }
      const wait = deadline - Date.now();
      if (out.length > 0 || wait <= 0 || this.#closed) return out;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async ack(group: string, stream: StreamId, ids: readonly string[]): Promise<void> {
    const s = this.#stream(stream);
    const g = this.#group(s, group);
    for (const id of ids) {
      const seq = Number(id);
      const p = g.pending.get(seq);
      if (!p) continue;
      g.pending.delete(seq);
      // An entry is gone once every group that has read up to it has acked it.
      const stillWanted = [...s.groups.values()].some((other) => other.pending.has(seq) || other.next <= seq);
      if (!stillWanted) s.entries.delete(seq);
      p.entry.done();
    }
  }

  async claim(consumer: Consumer, stream: StreamId, minIdleMs: number, count: number): Promise<BusEntry[]> {
    const s = this.#stream(stream);
    const g = this.#group(s, consumer.group);
    const now = Date.now();
    const out: BusEntry[] = [];
    for (const p of g.pending.values()) {
      if (out.length >= count) break;
      if (now - p.deliveredAt < minIdleMs) continue;
      p.consumer = consumer.name;
      p.deliveredAt = now;
      p.deliveries++;
      out.push({ id: String(p.entry.seq), stream: s.id, batch: p.entry.batch, deliveries: p.deliveries });
    }
    return out;
  }

  async backlog(group: string, stream: StreamId): Promise<number> {
    const s = this.#stream(stream);
    const g = this.#group(s, group);
    return g.pending.size + (s.nextSeq - g.next);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
