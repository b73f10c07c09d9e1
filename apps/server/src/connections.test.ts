// The HTTP server's own limits, on the real listening server: a flood of connections that never
// send a request neither locks out health probes nor stays open past the header timeout.
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "./server.js";
import { BACKENDS, serveOnTestDatabase } from "./test/harness.js";

const HEADERS_TIMEOUT_MS = 1000;
const MAX_CONNECTIONS = 20;

/** Opens a raw connection that sends `partial` (or nothing) and never completes a request. */
function idleConnection(
  port: number,
  partial: string | null,
): Promise<{ socket: Socket; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    // consumed, so that 'close' fires when the server closes the connection
    socket.on("data", () => {});
    socket.on("error", () => {});
    const closed = new Promise<number>((r) => socket.once("close", () => r(Date.now())));
    socket.once("connect", () => {
      if (partial) socket.write(partial);
      resolve({ socket, closed });
    });
    socket.once("error", reject);
  });
}

describe.each(BACKENDS)("connection limits on %s", (backend) => {
  let server: RunningServer;
  let close: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    ({ server, close } = await serveOnTestDatabase(backend, {
      CELGATE_ADMIN_TOKEN: "connections-admin-token-0123456789",
      CELGATE_MAX_CONNECTIONS: String(MAX_CONNECTIONS),
      CELGATE_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      CELGATE_REQUEST_TIMEOUT_MS: "2000",
    }));
  }, 60_000);
  afterAll(async () => {
    await close?.();
  });

  it("keeps answering /healthz through an idle-connection flood and closes the idle connections after the header timeout", async () => {
    const url = `http://127.0.0.1:${server.port}/healthz`;
    const flood: { socket: Socket; closed: Promise<number> }[] = [];
    const started = Date.now();
    // five times the connection limit: half send nothing, half a request line without an end
    for (let i = 0; i < MAX_CONNECTIONS * 5; i++)
      flood.push(await idleConnection(server.port, i % 2 ? "GET /healthz HTTP/1.1\r\nHost: x\r\n" : null));
    for (let i = 0; i < 5; i++) {
      const res = await fetch(url, { headers: { connection: "close" } });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: "ok" });
    }
    const closedAt = await Promise.all(flood.map((f) => f.closed));
    // every idle connection is gone within the header timeout (plus Node's checking interval)
    expect(Math.max(...closedAt) - started).toBeLessThan(HEADERS_TIMEOUT_MS + 3000);
    const metrics = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
    expect(metrics).toMatch(/celgate_connections_evicted_total \d+/);
  }, 30_000);
});
