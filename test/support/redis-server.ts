// A throw-away redis-server for integration tests: our own process on a free 127.0.0.1 port, no
// persistence, a temporary directory, killed at the end. Never a Redis someone else left running:
// the server that answers must report our child's process id.
import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

/** A running server of our own. */
export interface RedisServer {
  port: number;
  /** redis://127.0.0.1:port */
  url: string;
  /** Kills the server and removes its directory. */
  stop(): Promise<void>;
}

const DEBIAN_PACKAGE = "redis-server";

/** The redis-server binary: $REDIS_SERVER_BIN, else the first on PATH; undefined when there is none. */
export function findRedisServer(): string | undefined {
  const candidates = [process.env.REDIS_SERVER_BIN, ...(process.env.PATH ?? "").split(delimiter).map((dir) => dir && join(dir, "redis-server"))];
  for (const file of candidates) {
    if (!file) continue;
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * What a test file needs to know before it starts: the binary, or the reason it is missing. Under CI
 * (CI=true) a missing binary is a failure the file must report; elsewhere the file skips, and this
 * prints one loud line saying what to install.
 */
export function redisServerForTests(suite: string): { binary: string } | { missing: string; mustFail: boolean } {
  const binary = findRedisServer();
  if (binary) return { binary };
  const missing = `redis-server not found on PATH (nor $REDIS_SERVER_BIN): install the Debian package ${DEBIAN_PACKAGE} (apt-get install ${DEBIAN_PACKAGE})`;
  const mustFail = process.env.CI === "true";
  if (!mustFail) console.warn(`!!! SKIPPING ${suite}: ${missing}`);
  return { missing, mustFail };
}

/** Starts redis-server on a free port and waits until it answers as our own process. */
export async function startRedisServer(binary = findRedisServer()): Promise<RedisServer> {
  if (!binary) throw new Error(`redis-server not found: install the Debian package ${DEBIAN_PACKAGE}`);
  let lastError: unknown;
  // A free port can be taken between probing and binding: try a few.
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), "iotpipe-redis-"));
    const child = spawn(binary, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--daemonize", "no", "--logfile", ""], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    // Should the test process end without stop() (a crash, a timeout), the server goes with it.
    const orphan = (): void => void child.kill("SIGKILL");
    process.once("exit", orphan);
    const stop = async (): Promise<void> => {
      process.off("exit", orphan);
      await kill(child);
      rmSync(dir, { recursive: true, force: true });
    };
    try {
      await waitUntilServing(child, port, 10_000);
      return { port, url: `redis://127.0.0.1:${port}`, stop };
    } catch (err) {
      lastError = new Error(`${(err as Error).message}\n--- redis-server output ---\n${output}`);
      await stop();
    }
  }
  throw lastError;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => (port === 6379 ? freePort().then(resolve, reject) : resolve(port)));
    });
  });
}

async function waitUntilServing(child: ChildProcess, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`redis-server exited (${child.exitCode ?? child.signalCode}) before serving on port ${port}`);
    const info = await ask(port, "INFO server\r\n").catch(() => undefined);
    const pid = info?.match(/process_id:(\d+)/)?.[1];
    if (pid !== undefined) {
      if (Number(pid) !== child.pid) throw new Error(`port ${port} is served by process ${pid}, not our redis-server ${child.pid}`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`redis-server did not answer on port ${port} within ${timeoutMs} ms`);
}

/** One inline command over a plain socket; resolves with what the server sent until it went quiet. */
function ask(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    let reply = "";
    socket.setTimeout(1000, () => socket.destroy(new Error("timeout")));
    socket.on("connect", () => socket.write(command));
    socket.on("data", (d) => {
      reply += d.toString();
      // A bulk reply ($len\r\n…\r\n) is complete when the announced length has arrived.
      const header = /^\$(\d+)\r\n/.exec(reply);
      if (!header || Buffer.byteLength(reply) >= header[0].length + Number(header[1]) + 2) socket.end();
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(reply));
  });
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
  await exited;
  clearTimeout(timer);
}
