// The body limit on the real listening server: a body announced by Content-Length is judged by
// that header (refused before a byte of it is sent), a chunked body by what arrives; bodies
// within the limit are read and evaluated whichever way they come.
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "./server.js";
import { BACKENDS, deploymentYaml, serveOnTestDatabase } from "./test/harness.js";

const LIMIT = 16 * 1024;
const TOKEN = "body-limit-admin-token-0123456789";

/**
 * Sends `head` (request line and headers, without the blank line) and then each of `chunks`
 * on a raw connection; resolves with the status code and body of the answer, and how many
 * chunks had been sent when the answer began.
 */
function rawRequest(
  port: number,
  head: string,
  chunks: string[],
): Promise<{ status: number; body: string; sentBeforeAnswer: number }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let received = "";
    let sent = 0;
    let sentBeforeAnswer = -1;
    socket.on("data", (d) => {
      if (sentBeforeAnswer < 0) sentBeforeAnswer = sent;
      received += d;
    });
    socket.on("error", () => {});
    socket.once("close", () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? 0);
      resolve({ status, body: received.slice(received.indexOf("\r\n\r\n") + 4), sentBeforeAnswer });
    });
    socket.once("connect", async () => {
      socket.write(`${head}\r\nConnection: close\r\n\r\n`);
      for (const chunk of chunks) {
        // a pause between chunks: an answer that does not wait for the body comes first
        await new Promise((r) => setTimeout(r, 50));
        if (socket.destroyed || sentBeforeAnswer >= 0) break;
        socket.write(chunk);
        sent++;
      }
    });
    socket.once("error", reject);
  });
}

const chunked = (text: string, size: number) => {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) {
    const part = text.slice(i, i + size);
    out.push(`${Buffer.byteLength(part).toString(16)}\r\n${part}\r\n`);
  }
  out.push("0\r\n\r\n");
  return out;
};

describe.each(BACKENDS)("the body limit over HTTP on %s", (backend) => {
  let server: RunningServer;
  let close: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    ({ server, close } = await serveOnTestDatabase(backend, {
      CELGATE_ADMIN_TOKEN: TOKEN,
      CELGATE_MAX_BODY_BYTES: String(LIMIT),
    }));
  }, 60_000);
  afterAll(async () => {
    await close?.();
  });

  const head = (headers: string) =>
    `POST /v1/evaluations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\n${headers}`;
  const body = (padding: number) =>
    JSON.stringify({
      manifests: deploymentYaml("web", { owner: "x" }),
      context: { pad: "x".repeat(padding) },
    });

  it("refuses a Content-Length over the limit from the header, before the body is sent", async () => {
    const text = body(LIMIT);
    const res = await rawRequest(server.port, head(`Content-Length: ${Buffer.byteLength(text)}`), [text]);
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ status: 413 });
    expect(res.sentBeforeAnswer).toBe(0);
  });

  it("evaluates and records a body within the limit sent with Content-Length, up to the limit exactly", async () => {
    const text = body(100);
    const res = await rawRequest(server.port, head(`Content-Length: ${Buffer.byteLength(text)}`), [text]);
    expect(res.status, res.body).toBe(201);
    expect(JSON.parse(res.body).id).toMatch(/^ev_/);
    // exactly at the limit: read (and refused by the body's own checks, or evaluated), never 413
    const base = Buffer.byteLength(body(0));
    const exact = body(LIMIT - base);
    expect(Buffer.byteLength(exact)).toBe(LIMIT);
    const atLimit = await rawRequest(server.port, head(`Content-Length: ${LIMIT}`), [exact]);
    expect(atLimit.status, atLimit.body).not.toBe(413);
    const over = body(LIMIT - base + 1);
    const overLimit = await rawRequest(server.port, head(`Content-Length: ${LIMIT + 1}`), [over]);
    expect(overLimit.status).toBe(413);
  });

  it("counts a chunked body as it arrives: over the limit is refused, within it is evaluated", async () => {
    const big = await rawRequest(
      server.port,
      head("Transfer-Encoding: chunked"),
      chunked(body(LIMIT * 2), 4096),
    );
    expect(big.status).toBe(413);
    // refused once past the limit, before the rest was sent
    expect(big.sentBeforeAnswer).toBeLessThan(chunked(body(LIMIT * 2), 4096).length);
    const small = await rawRequest(server.port, head("Transfer-Encoding: chunked"), chunked(body(100), 256));
    expect(small.status, small.body).toBe(201);
    expect(JSON.parse(small.body).summary.resources).toBe(1);
  });

  it("refuses a Content-Length that is not a plain number, whatever the body", async () => {
    const text = body(100);
    const res = await rawRequest(server.port, head(`Content-Length: +${Buffer.byteLength(text)}`), [text]);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });
});
