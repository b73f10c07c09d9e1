// How the console reads a stored report, against real HTTP servers: one that declares an
// answer longer than a browser tab can hold (the real service would need to store a report of
// hundreds of megabytes first). A report past the SDK's default limit read whole is
// test/browser/large-report.test.ts, against the real service.
import { afterEach, describe, expect, it } from "vitest";
import { closeServers, serve } from "../../../../packages/sdk/src/testing/http-server.js";
import { sessionClient } from "../session.js";
import { byteSize, loadReport, MAX_REPORT_BYTES, ReportTooLargeError } from "./reports.js";

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
