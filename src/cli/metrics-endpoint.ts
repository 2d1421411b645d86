// A process's Prometheus endpoint when it serves nothing else over HTTP (`iotpipe worker`): GET /metrics
// renders the process's metrics, GET /health answers "ok", anything else 404. node:http is enough for
// a scrape every few seconds; the ingest server's uWebSockets.js is not needed for it.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface MetricsEndpoint {
  port: number;
  close(): Promise<void>;
}

/** Listens on `host`:`port` (0: any free port); resolves once listening. */
export function serveMetrics(host: string, port: number, render: () => Promise<string>): Promise<MetricsEndpoint> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0];
    if (req.method !== "GET" || (path !== "/metrics" && path !== "/health")) {
      res.writeHead(404, { "Content-Type": "text/plain" }).end("GET /metrics or /health\n");
      return;
    }
    if (path === "/health") {
      res.writeHead(200, { "Content-Type": "text/plain" }).end("ok");
      return;
    }
    render().then(
      (text) => res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4" }).end(text),
      (err: Error) => res.writeHead(500, { "Content-Type": "text/plain" }).end(`metrics unavailable: ${err.message}\n`),
    );
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
