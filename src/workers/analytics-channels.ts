// Analytics between processes in scale-out mode, over Redis pub/sub (v8-serialized): `iotpipe worker`
// processes publish the signals their kernels raise (for the ingest process's alert rules) and the
// windows that fire (for its WS /v1/windows subscribers and zone merging), each report under the
// worker's name; the ingest process publishes the signal filter its alert rules need (keeping the
// latest in a key so that a worker starting later reads it) and the zone windows it completed, which
// the worker holding each zone's partition stores as derived series.
import { deserialize, serialize } from "node:v8";
import type { Redis } from "ioredis";
import { redisClient } from "../pipeline/redis-client.js";
import type { SeriesSignal, SignalFilter } from "../analytics/stream-analytics.js";
import type { WindowResult } from "../analytics/windows/stream-windows.js";
import type { WindowReport } from "./protocol.js";

const channels = (region: string) => ({
  signals: `iotpipe:${region}:signals`,
  windows: `iotpipe:${region}:windows`,
  filter: `iotpipe:${region}:signal-filter`,
  zoneWindows: `iotpipe:${region}:zone-windows`,
});

/** A window report as published: which worker it comes from. */
interface NamedReport {
  worker: string;
  report: WindowReport;
}

/** Parses a message, or undefined for one that is not ours. */
function parse<T>(message: Buffer): T | undefined {
  try {
    return deserialize(message) as T;
  } catch {
    return undefined;
  }
}

/** One connection to publish and one to subscribe, and the region's channel names. */
class ChannelPair {
  protected readonly pub: Redis;
  protected readonly sub: Redis;
  protected readonly names: ReturnType<typeof channels>;

  protected constructor(url: string, region: string) {
    this.pub = redisClient(url);
    this.sub = redisClient(url);
    this.names = channels(region);
  }

  close(): void {
    this.pub.disconnect();
    this.sub.disconnect();
  }
}

/** The worker side: publishes signals and window reports, and follows the signal filter and completed zone windows. */
export class AnalyticsPublisher extends ChannelPair {
  #worker = "";

  /**
   * Connects as worker `worker`; `on.filter` gets the filter in force now (if the ingest process has set
   * one) and every change, `on.zoneWindows` every zone window the ingest process completes.
   */
  static async start(url: string, region: string, worker: string, on: { filter(f: SignalFilter): void; zoneWindows(results: WindowResult[]): void }): Promise<AnalyticsPublisher> {
    const p = new AnalyticsPublisher(url, region);
    p.#worker = worker;
    p.sub.on("messageBuffer", (channel: Buffer, message: Buffer) => {
      const name = channel.toString();
      if (name === p.names.filter) {
        const f = parse<SignalFilter>(message);
        if (f) on.filter(f);
      } else if (name === p.names.zoneWindows) {
        const results = parse<WindowResult[]>(message);
        if (Array.isArray(results)) on.zoneWindows(results);
      }
    });
    await p.sub.subscribe(p.names.filter, p.names.zoneWindows);
    const current = await p.pub.getBuffer(p.names.filter);
    const f = current ? parse<SignalFilter>(current) : undefined;
    if (f) on.filter(f);
    return p;
  }

  signals(signals: SeriesSignal[]): void {
    this.pub.publish(this.names.signals, serialize(signals)).catch(() => {});
  }

  windows(report: WindowReport): void {
    this.pub.publish(this.names.windows, serialize({ worker: this.#worker, report } satisfies NamedReport)).catch(() => {});
  }
}

/** The ingest side: hears the workers' signals and window reports, and sets the signal filter. */
export class AnalyticsSubscriber extends ChannelPair {
  static async start(url: string, region: string, on: { signals(s: SeriesSignal[]): void; windows(worker: string, r: WindowReport): void }): Promise<AnalyticsSubscriber> {
    const s = new AnalyticsSubscriber(url, region);
    s.sub.on("messageBuffer", (channel: Buffer, message: Buffer) => {
      const name = channel.toString();
      if (name === s.names.signals) {
        const signals = parse<SeriesSignal[]>(message);
        if (Array.isArray(signals)) on.signals(signals);
      } else if (name === s.names.windows) {
        const named = parse<NamedReport>(message);
        if (named?.report) on.windows(String(named.worker), named.report);
      }
    });
    await s.sub.subscribe(s.names.signals, s.names.windows);
    return s;
  }

  /** Tells every worker, now and starting later, which signals the alert rules need. */
  async setSignalFilter(filter: SignalFilter): Promise<void> {
    const message = serialize(filter);
    await this.pub.set(this.names.filter, message);
    await this.pub.publish(this.names.filter, message);
  }

  /** Hands completed zone windows to the workers, to be stored by the one holding each zone's partition. */
  storeZoneWindows(results: WindowResult[]): void {
    this.pub.publish(this.names.zoneWindows, serialize(results)).catch(() => {});
  }
}
