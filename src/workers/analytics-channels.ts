// Analytics between processes in scale-out mode, over Redis pub/sub (v8-serialized): `iotpipe worker`
// processes publish the signals their kernels raise (for the ingest process's alert rules) and the
// windows that fire (for its WS /v1/windows subscribers); the ingest process publishes the signal
// filter its alert rules need, and keeps the latest in a key so that a worker starting later reads it.
import { deserialize, serialize } from "node:v8";
import type { Redis } from "ioredis";
import { redisClient } from "../pipeline/redis-client.js";
import type { SeriesSignal, SignalFilter } from "../analytics/stream-analytics.js";
import type { WindowReport } from "./protocol.js";

const channels = (region: string) => ({
  signals: `iotpipe:${region}:signals`,
  windows: `iotpipe:${region}:windows`,
  filter: `iotpipe:${region}:signal-filter`,
});

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

/** The worker side: publishes signals and window reports, and follows the signal filter. */
export class AnalyticsPublisher extends ChannelPair {
  /** Connects; `onFilter` gets the filter in force now (if the ingest process has set one) and every change. */
  static async start(url: string, region: string, onFilter: (f: SignalFilter) => void): Promise<AnalyticsPublisher> {
    const p = new AnalyticsPublisher(url, region);
    p.sub.on("messageBuffer", (_channel: Buffer, message: Buffer) => {
      const f = parse<SignalFilter>(message);
      if (f) onFilter(f);
    });
    await p.sub.subscribe(p.names.filter);
    const current = await p.pub.getBuffer(p.names.filter);
    const f = current ? parse<SignalFilter>(current) : undefined;
    if (f) onFilter(f);
    return p;
  }

  signals(signals: SeriesSignal[]): void {
    this.pub.publish(this.names.signals, serialize(signals)).catch(() => {});
  }

  windows(report: WindowReport): void {
    this.pub.publish(this.names.windows, serialize(report)).catch(() => {});
  }
}

/** The ingest side: hears the workers' signals and window reports, and sets the signal filter. */
export class AnalyticsSubscriber extends ChannelPair {
  static async start(url: string, region: string, on: { signals(s: SeriesSignal[]): void; windows(r: WindowReport): void }): Promise<AnalyticsSubscriber> {
    const s = new AnalyticsSubscriber(url, region);
    s.sub.on("messageBuffer", (channel: Buffer, message: Buffer) => {
      const name = channel.toString();
      if (name === s.names.signals) {
        const signals = parse<SeriesSignal[]>(message);
        if (Array.isArray(signals)) on.signals(signals);
      } else if (name === s.names.windows) {
        const report = parse<WindowReport>(message);
        if (report) on.windows(report);
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
}
