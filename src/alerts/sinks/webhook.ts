// The webhook sink: alert events as JSON POSTs (`{"source":"iotpipe","events":[…]}`, in order, up to
// 100 per request). 2xx is delivered; 408, 429, 5xx and network errors are retried with backoff; any
// other status is a refusal that retrying will not change.
import { DeliveryQueue, PermanentDeliveryError } from "../delivery.js";
import type { AlertEvent } from "../lifecycle.js";
import type { WebhookSinkSpec } from "../rules.js";

export function webhookSink(spec: WebhookSinkSpec): DeliveryQueue {
  const host = new URL(spec.url).host;
  return new DeliveryQueue(
    `webhook ${host}`,
    async (events: AlertEvent[]) => {
      const res = await fetch(spec.url, {
        method: "POST",
        headers: { "content-type": "application/json", ...spec.headers },
        body: JSON.stringify({ source: "iotpipe", events }),
        signal: AbortSignal.timeout(spec.timeoutSeconds * 1000),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return;
      const message = `${spec.url} answered ${res.status}`;
      if (res.status === 408 || res.status === 429 || res.status >= 500) throw new Error(message);
      throw new PermanentDeliveryError(message);
    },
    { maxAttempts: spec.maxAttempts },
  );
}
