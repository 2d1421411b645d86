// The Redis stream sink: one XADD per alert event (fields type, id, rule, device, channel, severity,
// state and the whole event as JSON), the stream trimmed to about `maxLen` entries. Consumers read it
// with XREAD or their own consumer group.
import { DeliveryQueue } from "../delivery.js";
import type { AlertEvent } from "../lifecycle.js";
import type { RedisStreamSinkSpec } from "../rules.js";
import { redisClient } from "../../pipeline/redis-client.js";

export function redisStreamSink(spec: RedisStreamSinkSpec, url: string): { queue: DeliveryQueue; close(): Promise<void> } {
  const redis = redisClient(url);
  const queue = new DeliveryQueue(
    `redis ${spec.key}`,
    async (events: AlertEvent[]) => {
      const pipeline = redis.pipeline();
      for (const e of events) {
        const a = e.alert;
        pipeline.xadd(spec.key, "MAXLEN", "~", spec.maxLen, "*", "type", e.type, "id", a.id, "rule", a.rule, "device", a.device, "channel", a.channel, "severity", a.severity, "state", a.state, "event", JSON.stringify(e));
      }
      const results = (await pipeline.exec()) ?? [];
      const failed = results.find(([err]) => err);
      if (failed) throw failed[0]!;
    },
    { maxAttempts: 8 },
  );
  return {
    queue,
    async close() {
      await queue.close();
      redis.disconnect();
    },
  };
}
