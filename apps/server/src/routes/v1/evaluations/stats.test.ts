import { MAX_STATS_BUCKETS, STATS_DEFAULT_DAYS } from "@celgate/contracts";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, deploymentObject, type Json, setupApp, type TestApp } from "../../../test/harness.js";

/** Evaluations as recorded at a known time by a known source with a known decision. */
const RECORDED = [
  ["2026-11-19T23:59:59.999Z", "api", "deny"], // before the range
  ["2026-11-20T10:05:00Z", "api", "allow"],
  ["2026-11-20T10:40:00Z", "api", "deny"],
  ["2026-11-20T10:59:59.999Z", "cli", "warn"],
  ["2026-11-20T11:00:00Z", "api", "allow"],
  ["2026-11-20T11:30:00Z", "admission", "deny"],
  ["2026-11-20T23:59:00Z", "cli", "deny"],
  ["2026-11-21T00:00:00Z", "api", "allow"],
  ["2026-11-21T05:00:00Z", "admission", "allow"],
  ["2026-11-22T00:00:00.001Z", "cli", "allow"], // after the range
] as const;

const RANGE = "since=2026-11-20T00:00:00Z&until=2026-11-22T00:00:00Z";

describe.each(BACKENDS)("evaluation stats on %s", (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await setupApp(backend);
    for (const [at, source, decision] of RECORDED) {
      const res = await t.call("POST", "/v1/evaluations", {
        body: { resources: [deploymentObject(`stats-${at}`, { owner: "x" })] },
      });
      expect(res.status).toBe(201);
      // the recording time, source and decision under test, set in the table the counts read
      await t.database.db.execute(
        sql`update evaluations set recorded_at = ${at}::timestamptz, source = ${source}, decision = ${decision} where id = ${res.body.id}`,
      );
    }
  });
  afterAll(() => t.close());

  const stats = (query: string, token?: string) =>
    t.call("GET", `/v1/evaluations:stats?${query}`, token ? { token } : {});

  it("counts per UTC hour, source and decision, bounds included, for a viewer", async () => {
    const res = await stats(`${RANGE}&bucket=hour`, t.tokens.viewer);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({
      since: "2026-11-20T00:00:00.000Z",
      until: "2026-11-22T00:00:00.000Z",
      bucket: "hour",
      total: 8,
      rows: [
        { start: "2026-11-20T10:00:00.000Z", source: "api", decision: "allow", count: 1 },
        { start: "2026-11-20T10:00:00.000Z", source: "api", decision: "deny", count: 1 },
        { start: "2026-11-20T10:00:00.000Z", source: "cli", decision: "warn", count: 1 },
        { start: "2026-11-20T11:00:00.000Z", source: "api", decision: "allow", count: 1 },
        { start: "2026-11-20T11:00:00.000Z", source: "admission", decision: "deny", count: 1 },
        { start: "2026-11-20T23:00:00.000Z", source: "cli", decision: "deny", count: 1 },
        { start: "2026-11-21T00:00:00.000Z", source: "api", decision: "allow", count: 1 },
        { start: "2026-11-21T05:00:00.000Z", source: "admission", decision: "allow", count: 1 },
      ],
    });
    // both ends are in the range, as in the history list's filters
    const instant = await stats("since=2026-11-21T05:00:00Z&until=2026-11-21T05:00:00Z&bucket=hour");
    expect(instant.body.rows).toEqual([
      { start: "2026-11-21T05:00:00.000Z", source: "admission", decision: "allow", count: 1 },
    ]);
  });

  it("counts per UTC day (the default), whatever offset the bounds are written in", async () => {
    const res = await stats("since=2026-11-20T01:00:00%2B01:00&until=2026-11-21T19:00:00-05:00");
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ since: "2026-11-20T00:00:00.000Z", until: "2026-11-22T00:00:00.000Z" });
    expect(res.body.bucket).toBe("day");
    expect(res.body.total).toBe(8);
    expect(res.body.rows).toEqual([
      { start: "2026-11-20T00:00:00.000Z", source: "api", decision: "allow", count: 2 },
      { start: "2026-11-20T00:00:00.000Z", source: "api", decision: "deny", count: 1 },
      { start: "2026-11-20T00:00:00.000Z", source: "admission", decision: "deny", count: 1 },
      { start: "2026-11-20T00:00:00.000Z", source: "cli", decision: "warn", count: 1 },
      { start: "2026-11-20T00:00:00.000Z", source: "cli", decision: "deny", count: 1 },
      { start: "2026-11-21T00:00:00.000Z", source: "api", decision: "allow", count: 1 },
      { start: "2026-11-21T00:00:00.000Z", source: "admission", decision: "allow", count: 1 },
    ]);
  });

  it("counts one source, and agrees with the history list over the same range", async () => {
    const api = await stats(`${RANGE}&bucket=day&source=api`);
    expect(api.body.total).toBe(4);
    expect(api.body.rows).toEqual([
      { start: "2026-11-20T00:00:00.000Z", source: "api", decision: "allow", count: 2 },
      { start: "2026-11-20T00:00:00.000Z", source: "api", decision: "deny", count: 1 },
      { start: "2026-11-21T00:00:00.000Z", source: "api", decision: "allow", count: 1 },
    ]);
    for (const source of ["api", "cli", "admission"]) {
      const listed = await t.call("GET", `/v1/evaluations?${RANGE}&source=${source}&limit=100`);
      const counted = await stats(`${RANGE}&source=${source}`);
      expect(counted.body.total, source).toBe(listed.body.items.length);
      for (const decision of ["allow", "warn", "deny"])
        expect(
          counted.body.rows
            .filter((r: Json) => r.decision === decision)
            .reduce((n: number, r: Json) => n + r.count, 0),
          `${source} ${decision}`,
        ).toBe(listed.body.items.filter((e: Json) => e.decision === decision).length);
    }
    // until defaults to now: the evaluation after the range is counted too
    expect((await stats("since=2026-11-20T00:00:00Z")).body.total).toBe(9);
    // since defaults to STATS_DEFAULT_DAYS (7) days before until: the evaluation before the range too
    expect(STATS_DEFAULT_DAYS).toBe(7);
    const week = await stats("until=2026-11-22T00:00:00Z");
    expect(week.body).toMatchObject({ since: "2026-11-15T00:00:00.000Z", total: 9 });
  });

  it(`refuses a range of more than ${MAX_STATS_BUCKETS} periods, or one ending before it starts (400)`, async () => {
    const since = Date.parse("2026-01-01T00:00:00Z");
    const hours = (n: number) => new Date(since + n * 3_600_000).toISOString();
    const widest = await stats(`since=${hours(0)}&until=${hours(MAX_STATS_BUCKETS - 1)}&bucket=hour`);
    expect(widest.status, JSON.stringify(widest.body)).toBe(200);
    const over = await stats(`since=${hours(0)}&until=${hours(MAX_STATS_BUCKETS)}&bucket=hour`);
    expect(over.status).toBe(400);
    expect(over.body.detail).toContain(`${MAX_STATS_BUCKETS + 1} periods of one hour`);
    expect(over.body.detail).toContain(`at most ${MAX_STATS_BUCKETS}`);
    // the same range per day is 84 periods
    expect((await stats(`since=${hours(0)}&until=${hours(MAX_STATS_BUCKETS)}&bucket=day`)).status).toBe(200);
    const ancient = await stats("since=0001-01-01T00:00:00Z&bucket=day");
    expect(ancient.status).toBe(400);
    expect(ancient.body.errors).toEqual([
      { path: "since", message: `the range spans more than ${MAX_STATS_BUCKETS} days` },
    ]);
    const backwards = await stats("since=2026-11-21T00:00:00Z&until=2026-11-20T00:00:00Z");
    expect(backwards.status).toBe(400);
    expect(backwards.body.detail).toContain("is before since");
    for (const query of [
      `${RANGE}&bucket=week`,
      `${RANGE}&source=x`,
      `${RANGE}&decision=deny`,
      "since=yesterday",
    ]) {
      const res = await stats(query);
      expect(res.status, query).toBe(400);
    }
  });
});
