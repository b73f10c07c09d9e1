// The request-id middleware sets its headers on the finished response in place (app.ts,
// setResponseHeader): every response still carries them, and @hono/node-server writes the
// handler's text by its fast path (it sets `Content-Length` itself then; its slow path reads a
// built Response's stream and writes `content-length`).
import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setResponseHeader } from "../app.js";
import type { AppEnv } from "./context.js";

/** The raw head of the answer to a request (lines as sent). */
function rawHead(port: number, method: string, path: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let text = "";
    socket.on("data", (d) => {
      text += d;
    });
    socket.on("end", () => resolve(text.split("\r\n\r\n")[0]!.split("\r\n")));
    socket.on("error", reject);
    socket.end(`${method} ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  });
}

describe("setResponseHeader", () => {
  const app = new Hono<AppEnv>();
  app.use("*", async (c, next) => {
    await next();
    setResponseHeader(c, "X-Request-Id", "rid-1");
    setResponseHeader(c, "X-Content-Type-Options", "nosniff");
  });
  app.get("/text", (c) => {
    c.header("Location", "/there");
    return c.body('{"a":1}', 201, { "Content-Type": "application/json" });
  });
  app.get("/json", (c) => c.json({ b: 2 }));
  app.get("/empty", (c) => c.body(null, 204));
  // a response whose headers cannot be changed: they are set on a copy
  app.get("/redirect", () => Response.redirect("http://x/elsewhere", 302));

  let server: ReturnType<typeof serve>;
  let port = 0;
  beforeAll(async () => {
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) => {
        port = info.port;
        resolve();
      });
    });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("sets the headers on a handler's text, written as given (the fast path)", async () => {
    const head = await rawHead(port, "GET", "/text");
    expect(head[0]).toBe("HTTP/1.1 201 Created");
    expect(head).toContain("content-type: application/json");
    expect(head).toContain("location: /there");
    expect(head).toContain("x-request-id: rid-1");
    expect(head).toContain("x-content-type-options: nosniff");
    expect(head).toContain("Content-Length: 7");
  });

  it("sets them on c.json() and bodiless answers", async () => {
    const json = await rawHead(port, "GET", "/json");
    expect(json).toContain("x-request-id: rid-1");
    expect(json).toContain("Content-Length: 7");
    const empty = await rawHead(port, "GET", "/empty");
    expect(empty[0]).toBe("HTTP/1.1 204 No Content");
    expect(empty).toContain("x-request-id: rid-1");
    expect(empty).toContain("x-content-type-options: nosniff");
  });

  it("sets them on a response with immutable headers, through a copy", async () => {
    const head = await rawHead(port, "GET", "/redirect");
    expect(head[0]).toBe("HTTP/1.1 302 Found");
    expect(head).toContain("location: http://x/elsewhere");
    expect(head).toContain("x-request-id: rid-1");
    expect(head).toContain("x-content-type-options: nosniff");
  });

  it("sets them on app.request() answers (no node-server)", async () => {
    const res = await app.request("/text");
    expect(res.status).toBe(201);
    expect(res.headers.get("x-request-id")).toBe("rid-1");
    expect(await res.text()).toBe('{"a":1}');
    const redirect = await app.request("/redirect");
    expect(redirect.headers.get("x-content-type-options")).toBe("nosniff");
  });
});
