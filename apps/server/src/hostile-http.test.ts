// Hostile clients on the real listening server, at the level of bytes on the connection: what a
// client does with its connection or its encodings is answered (or dropped) as the client's
// doing, and never changes what the service tells others about itself.
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "./server.js";
import { BACKENDS, serveOnTestDatabase } from "./test/harness.js";

const TOKEN = "hostile-http-admin-token-0123456789";

/** Writes `parts` on a raw connection, a pause before each; resolves with the status and body. */
function rawRequest(
  port: number,
  parts: (string | Buffer)[],
  options: { closeAfter?: boolean } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const received: Buffer[] = [];
    socket.on("data", (d) => received.push(d));
    socket.once("error", reject);
    socket.once("close", () => {
      const text = Buffer.concat(received).toString("utf8");
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, body: text.slice(text.indexOf("\r\n\r\n") + 4) });
    });
    socket.once("connect", async () => {
      for (const part of parts) {
        await new Promise((r) => setTimeout(r, 30));
        socket.write(part);
      }
      if (options.closeAfter) {
        await new Promise((r) => setTimeout(r, 30));
        socket.destroy();
      }
    });
  });
}

const head = (path: string, headers: string[]) =>
  [
    `POST ${path} HTTP/1.1`,
    "Host: x",
    `Authorization: Bearer ${TOKEN}`,
    "Connection: close",
    ...headers,
    "",
    "",
  ].join("\r\n");

describe.each(BACKENDS)("hostile connections on %s", (backend) => {
  let server: RunningServer;
  let close: (() => Promise<void>) | undefined;
  let base: string;
  beforeAll(async () => {
    ({ server, close } = await serveOnTestDatabase(backend, { CELGATE_ADMIN_TOKEN: TOKEN }));
    base = `http://127.0.0.1:${server.port}`;
  }, 60_000);
  afterAll(async () => {
    await close?.();
  });

  const ready = async () => (await fetch(`${base}/readyz`)).status;

  it("a client that closes its connection mid-body does not make the instance unready", async () => {
    expect(await ready()).toBe(200);
    const framings = [
      // announced 400 bytes, sends 10, hangs up
      [head("/v1/evaluations", ["Content-Type: application/json", "Content-Length: 400"]), '{"manifest'],
      // chunked: one chunk of a body that never ends
      [
        head("/v1/evaluations", ["Content-Type: application/json", "Transfer-Encoding: chunked"]),
        'a\r\n{"manifest\r\n',
      ],
      // a YAML body on another route
      [head("/v1/policies", ["Content-Type: application/yaml", "Content-Length: 1000"]), "apiVersion: "],
    ];
    for (const parts of framings) {
      await rawRequest(server.port, parts, { closeAfter: true });
      await new Promise((r) => setTimeout(r, 50));
      // the database answered all along: readiness must say so
      expect(await ready()).toBe(200);
    }
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).not.toMatch(/celgate_http_requests_total\{[^}]*status="503"/);
    // and the service goes on evaluating
    const res = await fetch(`${base}/v1/evaluations`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({
        manifests: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: b}\n",
        dryRun: true,
      }),
    });
    expect(res.status).toBe(200);
  });

  const get = async (path: string) => {
    const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    return { status: res.status, type: res.headers.get("content-type"), body: await res.json() };
  };

  it("a duration so long that no date is that far is a 400 naming the option, not a 500", async () => {
    for (const [path, option] of [
      ["/v1/exceptions?expiring=99999999999d", "expiring"],
      ["/v1/images?stale=99999999999d", "stale"],
      [`/v1/images?stale=${"9".repeat(400)}d`, "stale"],
      ["/v1/exceptions?expiring=36500d1s", "expiring"],
    ] as const) {
      const res = await get(path);
      expect(res.status, path).toBe(400);
      expect(res.type).toContain("application/problem+json");
      expect(res.body.errors[0].path).toBe(option);
      expect(res.body.requestId).toBeTruthy();
    }
    expect((await get("/v1/exceptions?expiring=36500d")).status).toBe(200);
    expect((await get("/v1/images?stale=36500d")).status).toBe(200);
  });
});
