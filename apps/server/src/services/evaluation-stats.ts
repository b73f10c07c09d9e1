import {
  type EvaluationStats,
  type EvaluationStatsQuery,
  EvaluationStatsQuerySchema,
  MAX_STATS_BUCKETS,
  STATS_DEFAULT_DAYS,
  type StatsBucket,
} from "@celgate/contracts";
import { and, gte, lte, type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { evaluations } from "../db/schema.js";
import { refuse } from "./errors.js";

/** The width of each period in ms: UTC has no daylight saving, so every hour and day is whole. */
const BUCKET_MS: Record<StatsBucket, number> = { hour: 3_600_000, day: 86_400_000 };

/** The periods [since, until] touches at `bucket` width, from the first one's start to the last one's. */
export function bucketCount(since: Date, until: Date, bucket: StatsBucket): number {
  const size = BUCKET_MS[bucket];
  return Math.floor(until.getTime() / size) - Math.floor(since.getTime() / size) + 1;
}

/**
 * Evaluations recorded in [since, until] (the bounds of the history list's filters; by default
 * the STATS_DEFAULT_DAYS days up to now), counted in
 * SQL per UTC period, source and decision. A range of more than MAX_STATS_BUCKETS periods, or one
 * that ends before it starts, is refused before any query runs.
 */
export async function evaluationStats(
  db: Db,
  query: EvaluationStatsQuery,
  now: Date = new Date(),
): Promise<EvaluationStats> {
  const q = EvaluationStatsQuerySchema.parse(query);
  const until = q.until === undefined ? now : new Date(q.until);
  const since =
    q.since === undefined ? new Date(until.getTime() - STATS_DEFAULT_DAYS * 86_400_000) : new Date(q.since);
  if (until.getTime() < since.getTime())
    throw refuse(
      "invalid-argument",
      `until (${until.toISOString()}) is before since (${since.toISOString()})`,
      [{ path: "until", message: "must not be before since" }],
    );
  const periods = bucketCount(since, until, q.bucket);
  if (periods > MAX_STATS_BUCKETS)
    throw refuse(
      "invalid-argument",
      `from ${since.toISOString()} to ${until.toISOString()} is ${periods} periods of one ${q.bucket}; at most ${MAX_STATS_BUCKETS} are counted at once: shorten the range or count per day`,
      [{ path: "since", message: `the range spans more than ${MAX_STATS_BUCKETS} ${q.bucket}s` }],
    );
  // the unit is one of two fixed words (validated above), written into the text so that the
  // grouped expression and the selected one are the same
  const unit = sql.raw(q.bucket === "hour" ? "'hour'" : "'day'");
  const start = sql`extract(epoch from date_trunc(${unit}, ${evaluations.recordedAt}, 'UTC'))::float8`;
  const where: SQL[] = [gte(evaluations.recordedAt, since), lte(evaluations.recordedAt, until)];
  if (q.source) where.push(sql`${evaluations.source} = ${q.source}`);
  const rows = await db
    .select({
      start: start.mapWith(Number),
      source: evaluations.source,
      decision: evaluations.decision,
      count: sql`count(*)::int`.mapWith(Number),
    })
    .from(evaluations)
    .where(and(...where))
    .groupBy(sql`1`, evaluations.source, evaluations.decision)
    .orderBy(sql`1`, evaluations.source, evaluations.decision);
  return {
    since: since.toISOString(),
    until: until.toISOString(),
    bucket: q.bucket,
    total: rows.reduce((n, r) => n + r.count, 0),
    rows: rows.map((r) => ({
      start: new Date(r.start * 1000).toISOString(),
      source: r.source,
      decision: r.decision,
      count: r.count,
    })),
  };
}
