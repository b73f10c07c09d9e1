import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LeanConnection, requestBytes } from "../../bench/lib/lean-http.js";

/**
 * The service bench counts answers with this client: a miscounted or misread answer would
 * inflate its throughput. Each answer here is checked against what a real Node server sent, in
 * every framing it uses, split across writes.
 */
describe("the bench's lean HTTP client", () => {
  let server: Server;
  let port: number;
  const bodies: string[] = [];
  const big = "x".repeat(100_000);
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (d) => {
        body += d;
      });
      req.on("end", () => {
        bodies.push(body);
        const path = req.url ?? "";
        if (path === "/length") {
          res.writeHead(201, { "content-type": "application/json", "Content-Length": String(big.length) });
          res.end(big);
        } else if (path === "/chunked") {
          // no Content-Length: Node frames the body in chunks, here written at three moments
          res.writeHead(200, { "content-type": "text/plain" });
          res.write("first ");
          setTimeout(() => res.write(big), 2);
          setTimeout(() => res.end("last"), 4);
        } else if (path === "/empty") {
          res.writeHead(204);
          res.end();
        } else if (path === "/refuse") {
          res.writeHead(503, { "retry-after": "1", connection: "close" });
          res.end("busy");
        } else {
          res.writeHead(404);
          res.end();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("reads answers framed by length, by chunks and without a body, back to back on one connection", async () => {
    const connection = new LeanConnection(port);
    const statuses: number[] = [];
    bodies.length = 0;
    const body = JSON.stringify({ manifests: "kind: Pod", n: "é".repeat(10) });
    for (let i = 0; i < 20; i++)
      for (const path of ["/length", "/chunked", "/empty", "/missing"])
        statuses.push(await connection.send(requestBytes(port, path, body, { authorization: "Bearer t" })));
    connection.close();
    expect(statuses).toEqual(Array.from({ length: 20 }, () => [201, 200, 204, 404]).flat());
    // every request arrived whole (its Content-Length counts bytes, not characters)
    expect(bodies).toHaveLength(80);
    expect(new Set(bodies)).toEqual(new Set([body]));
  });

  it("opens a new connection after the server closes one, and rejects a request sent twice at once", async () => {
    const connection = new LeanConnection(port);
    const bytes = requestBytes(port, "/refuse", "{}", {});
    expect(await connection.send(bytes)).toBe(503);
    // the server closed that connection: the next send may fail once, then works
    const next = await connection.send(requestBytes(port, "/empty", "{}", {})).catch(() => "failed");
    const after = await connection.send(requestBytes(port, "/empty", "{}", {}));
    expect([204, "failed"]).toContain(next);
    expect(after).toBe(204);
    const first = connection.send(requestBytes(port, "/length", "{}", {}));
    await expect(connection.send(bytes)).rejects.toThrow(/one request at a time/);
    expect(await first).toBe(201);
    connection.close();
  });

  it("rejects what is not HTTP", async () => {
    const garbage = createServer();
    garbage.on("connection", (socket) => socket.end("SSH-2.0-OpenSSH\r\n\r\n"));
    await new Promise<void>((resolve) => garbage.listen(0, "127.0.0.1", resolve));
    const connection = new LeanConnection((garbage.address() as AddressInfo).port);
    await expect(connection.send(requestBytes(port, "/empty", "{}", {}))).rejects.toThrow(
      /not an HTTP answer/,
    );
    connection.close();
    await new Promise((resolve) => garbage.close(resolve));
  });
});
