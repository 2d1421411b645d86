import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tcp, type Socket } from "node:net";
import WebSocket from "ws";
import { startServerProcess, type ServerProcess } from "../support/server-process.js";

// The server runs as its own process so its memory can be read; a well-behaved device keeps sending
// through every attack and its acknowledgements must keep coming quickly.
let dir: string;
let server: ServerProcess;
const T0 = Math.floor(Date.now() / 3.6e6) * 3.6e9 - 3.6e9;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "iotpipe-hostile-"));
  server = await startServerProcess(dir, {}, []);
});

afterAll(async () => {
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

function open(path = "/v1/ingest"): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}${path}`);
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}

/** A device sending one JSON frame at a time; returns each round trip (ms). */
async function wellBehaved(rounds: number): Promise<number[]> {
  const ws = await open();
  const times: number[] = [];
  for (let i = 1; i <= rounds; i++) {
    const started = performance.now();
    const ack = await new Promise<{ ack: number }>((resolve) => {
      ws.once("message", (d) => resolve(JSON.parse(String(d))));
      ws.send(JSON.stringify({ seq: i, device: "good", channel: "temp", ts: T0 + i * 1e6, value: i }));
    });
    expect(ack.ack).toBe(i);
    times.push(performance.now() - started);
  }
  ws.close();
  return times;
}

const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)];

describe("hostile clients", () => {
  it("closes a connection that sends a frame over the size limit, and keeps serving others", async () => {
    const ws = await open();
    const closed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
    ws.send(new Uint8Array((1 << 20) + 1));
    expect(await closed).toBe(1006);
    expect(p99(await wellBehaved(20))).toBeLessThan(1000);
  });

  it("answers garbage bytes with a typed error on the same connection", async () => {
    const ws = await open();
    for (let i = 0; i < 50; i++) {
      const reply = await new Promise<{ error?: { code: string } }>((resolve) => {
        ws.once("message", (d) => resolve(JSON.parse(String(d))));
        ws.send(Uint8Array.from({ length: 64 + i }, (_, k) => (k * 31 + i) & 0xff));
      });
      expect(reply.error?.code).toMatch(/^[A-Z_]+$/);
    }
    ws.close();
  });

  it("stays responsive while slowloris connections dribble half an HTTP request", async () => {
    const sockets: Socket[] = [];
    for (let i = 0; i < 200; i++) {
      const s = tcp(server.port, "127.0.0.1");
      s.on("error", () => undefined);
      s.write("GET /v1/ingest HTTP/1.1\r\nHost: x\r\n");
      sockets.push(s);
    }
    const dribble = setInterval(() => sockets.forEach((s) => s.writable && s.write("X-a: b\r\n")), 200);
    expect(p99(await wellBehaved(50))).toBeLessThan(1000);
    clearInterval(dribble);
    sockets.forEach((s) => s.destroy());
  });

  it("absorbs 10 000 connection attempts in a second: refuses the excess with 503, keeps memory bounded", async () => {
    const before = server.rss();
    const statuses = new Map<string, number>();
    const sockets: Socket[] = [];
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 10_000 }, (_, i) =>
        new Promise<void>((resolve) => {
          const s = tcp(server.port, "127.0.0.1");
          sockets.push(s);
          s.on("error", () => resolve());
          s.on("data", (d) => {
            const status = String(d).split(" ")[1] ?? "?";
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
            resolve();
          });
          s.write(`GET /v1/ingest HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${Buffer.from(String(i).padStart(16, "0")).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
          setTimeout(resolve, 5000);
        }),
      ),
    );
    const elapsed = performance.now() - started;
    const times = await wellBehaved(50);
    sockets.forEach((s) => s.destroy());
    expect((statuses.get("101") ?? 0) + (statuses.get("503") ?? 0)).toBeGreaterThan(9_000);
    expect(statuses.get("101")).toBeGreaterThan(0);
    expect(elapsed).toBeLessThan(10_000);
    expect(p99(times)).toBeLessThan(1000);
    expect(server.rss() - before).toBeLessThan(256 << 20);
  });

  it("closes a client that never reads its acknowledgements once they pile up", async () => {
    const raw = tcp(server.port, "127.0.0.1");
    await new Promise<void>((resolve) => raw.once("connect", () => resolve()));
    raw.write(`GET /v1/ingest HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${Buffer.from("0123456789abcdef").toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    await sleep(100);
    raw.pause(); // never read again: acknowledgements pile up in the server's send buffer
    raw.on("error", () => undefined);
    // Masked client text frames whose 5 000 readings are each refused: every ack is ~150 KB, so the
    // unread acks soon pass the kernel's buffers and then the server's 1 MiB backpressure limit.
    const reading = `{"device":"d","channel":"c","ts":${T0},"value":null}`;
    const payload = Buffer.from(`{"seq":1,"readings":[${Array(5000).fill(reading).join(",")}]}`);
    const header = Buffer.alloc(14);
    header[0] = 0x81;
    header[1] = 0xff;
    header.writeBigUInt64BE(BigInt(payload.length), 2);
    const frame = Buffer.concat([header, payload]);
    let written = 0;
    const pump = setInterval(() => {
      for (let i = 0; i < 5 && written < 400; i++, written++) raw.write(frame);
    }, 5);
    // A paused socket never sees its own close, so ask the server how many connections it still holds.
    const openConnections = async () => Number(/iotpipe_open_connections (\d+)/.exec(await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text())![1]);
    for (let i = 0; i < 200 && (await openConnections()) > 0; i++) await sleep(100);
    clearInterval(pump);
    expect(await openConnections()).toBe(0);
    raw.destroy();
    expect(p99(await wellBehaved(20))).toBeLessThan(1000);
  });
});
