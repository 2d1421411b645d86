// Opens a device's WebSocket to a test server's ingest endpoint.
import WebSocket from "ws";

/** Resolves once `ws://127.0.0.1:<port>/v1/ingest` is open. */
export function connectIngest(port: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/ingest`);
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}
