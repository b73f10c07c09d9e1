// How the console reads a stored report, against real HTTP servers: one that declares an
// answer longer than a browser tab can hold (the real service would need to store a report of
// hundreds of megabytes first). A report past the SDK's default limit read whole is
// test/browser/large-report.test.ts, against the real service.
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { closeServers, serve } from "../../../../packages/sdk/src/testing/http-server.js";
import { sessionClient } from "../session.js";
import { byteSize, loadReport, MAX_REPORT_BYTES, progressText, ReportTooLargeError } from "./reports.js";

afterEach(closeServers);

describe("loadReport", () => {
  it("names the size of a report longer than the console reads, and how to get it, without reading it", async () => {
    const declared = 300_000_000;
    expect(declared).toBeGreaterThan(MAX_REPORT_BYTES);
    const server = await serve((_req, res) => {
      // the headers, then a body that never comes: only the declared length may be read
      res.writeHead(200, { "content-type": "application/json", "content-length": String(declared) });
      res.write("{");
    });
    const error = await loadReport(
      (limits) => sessionClient(server.url, "cg_token", undefined, limits),
      "https://celgate.example",
      "ev_123",
    ).catch((e: unknown) => e);
    expect(ReportTooLargeError.is(error)).toBe(true);
    const { message } = error as ReportTooLargeError;
    expect(message).toContain(
      "This report is 300.0 MB, more than the 268.4 MB a browser tab can safely hold",
    );
    expect(message).toContain("GET /v1/evaluations/ev_123");
    expect(message).toContain("https://celgate.example/v1/evaluations/ev_123");
    // the token is never part of the message
    expect(message).not.toContain("cg_token");
    // asked once: a refusal by size is not retried
    expect(server.seen).toEqual(["GET /v1/evaluations/ev_123"]);
  });

  it("says 'larger than' when the service did not declare the size", () => {
    expect(new ReportTooLargeError("ev_1", undefined, "http://x").message).toContain(
      "This report is larger than 268.4 MB",
    );
  });

  it("writes sizes as a download shows them", () => {
    expect(byteSize(107_400_000)).toBe("107.4 MB");
    expect(byteSize(MAX_REPORT_BYTES)).toBe("268.4 MB");
    expect(byteSize(2_000_000_000)).toBe("2.0 GB");
    expect(byteSize(999)).toBe("999 bytes");
  });
});

describe("a session client's progress", () => {
  // an answer the SDK takes (a health answer with a field it does not read), in three parts
  const body = JSON.stringify({ status: "ok", pad: "x".repeat(300_000) });
  const parts = [body.slice(0, 1000), body.slice(1000, 150_000), body.slice(150_000)];
  const sendInParts = (res: import("node:http").ServerResponse, chunks: (string | Buffer)[]) => {
    const next = () => {
      const chunk = chunks.shift();
      if (chunk === undefined) return res.end();
      res.write(chunk, () => setTimeout(next, 20));
    };
    next();
  };
  const progressOf = async (url: string) => {
    const calls: [number, number | undefined][] = [];
    const answer = await sessionClient(url, "cg_token", undefined, {
      progress: (received, total) => calls.push([received, total]),
    }).health();
    return { answer, calls };
  };
  const growing = (calls: [number, number | undefined][]) =>
    calls.every(([received], i) => i === 0 || received >= calls[i - 1]![0]);

  it("counts the body as it arrives, of its length when the service declares it", async () => {
    const bytes = Buffer.byteLength(body);
    const server = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": String(bytes) });
      sendInParts(res, [...parts]);
    });
    const { answer, calls } = await progressOf(server.url);
    expect(answer.status).toBe("ok");
    expect(calls[0]).toEqual([0, bytes]);
    expect(calls.at(-1)).toEqual([bytes, bytes]);
    expect(calls.length).toBeGreaterThan(3);
    expect(growing(calls)).toBe(true);
  });

  it("counts with no total when the length is not declared, or is that of a compressed body", async () => {
    const bytes = Buffer.byteLength(body);
    const chunked = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      sendInParts(res, [...parts]);
    });
    const plain = await progressOf(chunked.url);
    expect(plain.calls.every(([, total]) => total === undefined)).toBe(true);
    expect(plain.calls.at(-1)).toEqual([bytes, undefined]);
    expect(growing(plain.calls)).toBe(true);

    const zipped = gzipSync(body);
    expect(zipped.byteLength).toBeLessThan(bytes);
    const compressed = await serve((_req, res) => {
      res.writeHead(200, {
        "content-type": "application/json",
        "content-encoding": "gzip",
        "content-length": String(zipped.byteLength),
      });
      res.end(zipped);
    });
    const unzipped = await progressOf(compressed.url);
    expect(unzipped.answer.status).toBe("ok");
    // the bytes counted are those the body yields, decoded: the compressed length is no total of them
    expect(unzipped.calls.every(([, total]) => total === undefined)).toBe(true);
    expect(unzipped.calls.at(-1)).toEqual([bytes, undefined]);
  });

  it("says how much has arrived, of the total when there is one", () => {
    expect(progressText(12_300_000, 107_400_000)).toBe("12.3 MB of 107.4 MB (11%)");
    expect(progressText(0, 68_000_000)).toBe("0 bytes of 68.0 MB (0%)");
    expect(progressText(68_000_000, 68_000_000)).toBe("68.0 MB of 68.0 MB (100%)");
    expect(progressText(12_300_000, undefined)).toBe("12.3 MB");
  });
});
