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

  it("answers what Node's parser refuses as problem details with a request id, and closes", async () => {
    const answers = await Promise.all([
      exchange(server.port, "GARBAGE / NONSENSE\r\n\r\n"),
      exchange(server.port, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`),
      // a partial request past the header timeout
      exchange(server.port, "GET /healthz HTTP/1.1\r\nHost: x\r\n"),
    ]);
    expect(answers.map((a) => a.status)).toEqual([400, 431, 408]);
    for (const a of answers) {
      expect(a.headers["content-type"]).toBe("application/problem+json");
      expect(a.body).toMatchObject({ status: a.status, requestId: a.headers["x-request-id"] });
      expect(a.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    }
  }, 30_000);

  it("sends no 100 Continue for a body declared over the limit: 413 at once; a small one continues", async () => {
    const big = await exchange(
      server.port,
      "POST /v1/evaluations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer connections-admin-token-0123456789\r\n" +
        "Content-Type: application/json\r\nContent-Length: 50000000\r\nExpect: 100-continue\r\n\r\n",
    );
    expect(big.raw.startsWith("HTTP/1.1 413")).toBe(true);
    const body = '{"manifests":"apiVersion: v1\\nkind: Pod\\nmetadata: {name: p}\\n","dryRun":true}';
    const small = await exchange(
      server.port,
      "POST /v1/evaluations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer connections-admin-token-0123456789\r\n" +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`,
      body,
    );
    expect(small.raw.startsWith("HTTP/1.1 100 Continue")).toBe(true);
    expect(small.raw).toMatch(/\r\n\r\nHTTP\/1\.1 200 OK/);
  }, 30_000);
});

/**
 * Sends `head` on a raw connection (then `body` once the server says 100 Continue) and reads
 * until the server closes or 3 s pass: the last answer's status, headers and JSON body.
 */
function exchange(
  port: number,
  head: string,
  body?: string,
): Promise<{ raw: string; status: number; headers: Record<string, string>; body: unknown }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let raw = "";
    const finish = () => {
      socket.destroy();
      const last = raw.lastIndexOf("HTTP/1.1 ");
      const [headText = "", bodyText = ""] = raw.slice(last).split("\r\n\r\n");
      const [statusLine = "", ...lines] = headText.split("\r\n");
      const headers = Object.fromEntries(
        lines.map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]),
      );
      let parsed: unknown;
      try {
        parsed = JSON.parse(bodyText);
      } catch {
        parsed = bodyText;
      }
      resolve({ raw, status: Number(statusLine.split(" ")[1]), headers, body: parsed });
    };
    const timer = setTimeout(finish, 3000);
    socket.setEncoding("latin1");
    socket.on("data", (d: string) => {
      raw += d;
      if (body !== undefined && raw.includes("100 Continue\r\n\r\n")) {
        socket.write(body);
        body = undefined;
      }
    });
    socket.on("close", () => {
      clearTimeout(timer);
      finish();
    });
    socket.on("error", () => {});
    socket.once("connect", () => socket.write(head));
    socket.once("error", reject);
  });
}
