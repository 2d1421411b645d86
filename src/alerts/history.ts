// Alert history: every alert event, appended to a JSON-lines file in the data directory and kept in
// memory (the newest `maxEvents`) for queries. On start the file is read back: queries see what
// happened before a restart, and alerts that were open are taken up again. When the file holds twice
// `maxEvents` it is rewritten (atomically) with the newest half.
import { mkdir, readFile, appendFile } from "node:fs/promises";
import { dirname } from "node:path";
import { writeFileAtomic } from "../archive/atomic-file.js";
import type { Alert, AlertEvent } from "./lifecycle.js";
import type { AlertEventType } from "./rules.js";

export interface HistoryQuery {
  /** Wall-clock range (µs), inclusive. */
  from?: number;
  to?: number;
  device?: string;
  rule?: string;
  type?: AlertEventType;
  /** Alert id: one alert's whole life. */
  id?: string;
  /** Newest first, at most this many (default 1000). */
  limit?: number;
}

export class AlertHistory {
  readonly #file: string;
  readonly #max: number;
  #events: AlertEvent[];
  #lines: number;
  #pending: string[] = [];
  #writing: Promise<void> = Promise.resolve();
  /** Lines of the file that could not be read back (a torn last line after a crash). */
  readonly unreadable: number;
  /** A write that failed (disk full, …): the next write retries; the events stay queryable in memory. */
  lastError: Error | undefined;

  private constructor(file: string, max: number, events: AlertEvent[], lines: number, unreadable: number) {
    this.#file = file;
    this.#max = max;
    this.#events = events;
    this.#lines = lines;
    this.unreadable = unreadable;
  }

  static async open(file: string, maxEvents: number): Promise<AlertHistory> {
    await mkdir(dirname(file), { recursive: true });
    let text = "";
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    const events: AlertEvent[] = [];
    let unreadable = 0;
    let lines = 0;
    for (const line of text.split("\n")) {
      if (line === "") continue;
      lines++;
      try {
        const e = JSON.parse(line) as AlertEvent;
        if (typeof e?.type === "string" && typeof e.at === "number" && typeof e.alert?.id === "string") events.push(e);
        else unreadable++;
      } catch {
        unreadable++;
      }
    }
    return new AlertHistory(file, maxEvents, events.slice(-maxEvents), lines, unreadable);
  }

  /** Alerts whose last event leaves them open (pending or firing). */
  openAlerts(): Alert[] {
    const last = new Map<string, Alert>();
    for (const e of this.#events) last.set(e.alert.id, e.alert);
    return [...last.values()].filter((a) => a.state === "pending" || a.state === "firing");
  }

  append(e: AlertEvent): void {
    this.#events.push(e);
    if (this.#events.length > this.#max * 1.5) this.#events = this.#events.slice(-this.#max);
    if (this.#pending.push(JSON.stringify(e)) === 1) this.#writing = this.#writing.then(() => this.#write());
  }

  async #write(): Promise<void> {
    const lines = this.#pending;
    this.#pending = [];
    if (lines.length === 0) return;
    try {
      if (this.#lines + lines.length > this.#max * 2) {
        const keep = this.#events.slice(-this.#max);
        await writeFileAtomic(this.#file, keep.map((e) => `${JSON.stringify(e)}\n`).join(""));
        this.#lines = keep.length;
      } else {
        await appendFile(this.#file, `${lines.join("\n")}\n`);
        this.#lines += lines.length;
      }
      this.lastError = undefined;
    } catch (err) {
      this.lastError = err as Error;
      this.#pending.unshift(...lines);
      setTimeout(() => (this.#writing = this.#writing.then(() => this.#write())), 1000).unref();
    }
  }

  /** Resolves once every appended event is in the file (or its write failed). */
  flush(): Promise<void> {
    return this.#writing.then(() => (this.#pending.length ? this.#write() : undefined));
  }

  /** Events matching `q`, newest first. `visible` hides devices the asker may not see. */
  query(q: HistoryQuery, visible: (device: string) => boolean = () => true): AlertEvent[] {
    const limit = q.limit ?? 1000;
    const out: AlertEvent[] = [];
    for (let i = this.#events.length - 1; i >= 0 && out.length < limit; i--) {
      const e = this.#events[i];
      if (q.to !== undefined && e.at > q.to) continue;
      if (q.from !== undefined && e.at < q.from) break;
      const a = e.alert;
      if ((q.device && a.device !== q.device) || (q.rule && a.rule !== q.rule) || (q.type && e.type !== q.type) || (q.id && a.id !== q.id) || !visible(a.device)) continue;
      out.push(e);
    }
    return out;
  }
}
