// The live status line `npm start` prints every second.
import type { Running } from "../main.js";

export function startStatusLine(running: Running, write: (line: string) => void, extra: () => string = () => ""): () => void {
  let lastReadings = running.metrics.readings.total();
  let last = performance.now();
  const timer = setInterval(async () => {
    const now = performance.now();
    const readings = running.metrics.readings.total();
    const rate = ((readings - lastReadings) * 1000) / (now - last);
    lastReadings = readings;
    last = now;
    const lag = await running.backlog();
    write(
      `readings/s ${Math.round(rate).toLocaleString("en-US").padStart(9)} | devices ${running.metrics.devicesSeen} | ` +
        `connections ${running.metrics.openConnections} | lag ${lag} batches | rejected ${running.metrics.rejected.total()} | ` +
        `ack p99 ${running.metrics.ackLatency.windowQuantile(0.99).toFixed(1)} ms${extra()}`,
    );
  }, 1000);
  return () => clearInterval(timer);
}
