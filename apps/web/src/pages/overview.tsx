import { type EvaluationSource, EvaluationSourceSchema } from "@celgate/contracts";
import type { EvaluationReport, EvaluationStats, EvaluationSummary } from "@celgate/sdk";
import { Link, useSearchParams } from "react-router";
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { PageTitle, Show } from "../components/common.js";
import { Literal } from "../components/literal.js";
import { age, relative, resourceLabel } from "../lib/format.js";
import { isTooLarge } from "../lib/reports.js";
import { useLoad } from "../lib/use-load.js";
import { useSession } from "../session.js";

/** How each source reads: CI pipelines call `celgate check` (cli) or the SDK (api). */
const SOURCE_LABELS: Record<EvaluationSource, string> = {
  api: "API and SDK",
  cli: "CLI and CI",
  admission: "admission webhook",
};

const WINDOWS = { "24h": 86_400_000, "7d": 7 * 86_400_000, "30d": 30 * 86_400_000 } as const;
type Window = keyof typeof WINDOWS;
/** At most this many reports are read for the top lists (the charts count every evaluation). */
const MAX_REPORTS = 50;
/** Image facts whose newest scan is older than this (or missing) are listed as stale. */
const STALE_SCAN = "7d";

/** One period of a chart: its start (ms), its label, and the count of each decision. */
type Bucket = { t: number; at: string; allow: number; warn: number; deny: number };
const DECISIONS = ["allow", "warn", "deny"] as const;

/**
 * The service's counts (`GET /v1/evaluations:stats`, per UTC hour or day) from `since` to `until`
 * as chart rows, of one source or all; every period has a row, empty or not.
 */
function buckets(
  stats: EvaluationStats,
  since: number,
  until: number,
  hourly: boolean,
  source?: EvaluationSource,
): Bucket[] {
  const size = hourly ? 3_600_000 : 86_400_000;
  const start = Math.floor(since / size) * size;
  const rows = new Map<number, Bucket>();
  for (let t = start; t <= until; t += size) {
    const d = new Date(t);
    rows.set(t, {
      t,
      at: hourly ? `${d.getHours()}:00` : d.toLocaleDateString(undefined, { month: "short", day: "numeric" }),
      allow: 0,
      warn: 0,
      deny: 0,
    });
  }
  for (const r of stats.rows) {
    if (source && r.source !== source) continue;
    const row = rows.get(Date.parse(r.start));
    // a period the service counted must be one of the chart's: a missing row is a defect, not zero
    if (!row) throw new Error(`the service counted a period outside the chart: ${r.start}`);
    row[r.decision] += r.count;
  }
  return [...rows.values()];
}

const sum = (rows: Bucket[], d: (typeof DECISIONS)[number]) => rows.reduce((n, r) => n + r[d], 0);
const height = (r: Bucket) => r.allow + r.warn + r.deny;

/**
 * A stacked allow / warn / deny bar chart over time, and the same numbers as a table behind a
 * disclosure (the text alternative of the chart). `max` fixes the height of the y axis, so
 * small charts side by side share one scale.
 */
function DecisionChart({
  rows,
  name,
  unit,
  height,
  max,
}: {
  rows: Bucket[];
  name: string;
  unit: string;
  height: number;
  max?: number;
}) {
  return (
    <>
      <figure className="chart" aria-label={`${name}: allow, warn and deny per ${unit}`}>
        <ResponsiveContainer width="100%" height={height}>
          <BarChart data={rows}>
            <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" />
            <XAxis dataKey="at" stroke="var(--muted)" />
            <YAxis allowDecimals={false} stroke="var(--muted)" domain={[0, max ?? "auto"]} />
            <Tooltip contentStyle={{ background: "var(--bg)", color: "var(--fg)" }} />
            {/* in the order of the stack (allow, warn, deny), not alphabetical */}
            <Legend itemSorter={(item) => (DECISIONS as readonly unknown[]).indexOf(item.dataKey)} />
            {DECISIONS.map((d) => (
              <Bar key={d} dataKey={d} stackId="d" fill={`var(--${d})`} isAnimationActive={false} />
            ))}
          </BarChart>
        </ResponsiveContainer>
      </figure>
      <details>
        <summary>{name} as a table</summary>
        <div className="table-scroll">
          <table>
            <caption className="visually-hidden">{`${name}, per ${unit}`}</caption>
            <thead>
              <tr>
                <th scope="col">{unit === "hour" ? "Hour" : "Day"}</th>
                {DECISIONS.map((d) => (
                  <th key={d} scope="col">
                    {d}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.t}>
                  <th scope="row">{r.at}</th>
                  {DECISIONS.map((d) => (
                    <td key={d}>{r[d]}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </>
  );
}

function top(counts: Map<string, number>, n = 8) {
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, n);
}

export default function Overview() {
  const { client } = useSession();
  // the period and the source are in the URL, like every view of the console: shareable
  const [params, setParams] = useSearchParams();
  const period = params.get("period") ?? "";
  const window: Window = period in WINDOWS ? (period as Window) : "7d";
  const wanted = params.get("source") ?? "";
  const source = EvaluationSourceSchema.options.find((s) => s === wanted) ?? "";
  const choose = (key: "period" | "source", value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next);
  };
  const unit = window === "24h" ? "hour" : "day";
  const [data] = useLoad(
    async (signal) => {
      const until = Date.now();
      const since = until - WINDOWS[window];
      const hourly = window === "24h";
      const filters = {
        since: new Date(since).toISOString(),
        until: new Date(until).toISOString(),
        ...(source ? { source } : {}),
      };
      // counted by the service over every evaluation of the period
      const stats = await client.evaluations.stats(
        { ...filters, bucket: hourly ? "hour" : "day" },
        { signal },
      );
      // the top lists read the newest warn or deny reports: the newest of each, merged
      const newest = async (decision: "warn" | "deny") =>
        (await client.evaluations.list({ ...filters, decision, limit: MAX_REPORTS }, { signal })).items;
      const byTime = (a: EvaluationSummary, b: EvaluationSummary) => b.recordedAt.localeCompare(a.recordedAt);
      const reports = [...(await newest("deny")), ...(await newest("warn"))]
        .sort(byTime)
        .slice(0, MAX_REPORTS);
      const failing = new Map<string, number>();
      const denied = new Map<string, number>();
      // a report past the client's answer limit is left out and counted, not the whole page failed
      let tooLarge = 0;
      for (const e of reports) {
        let r: EvaluationReport;
        try {
          r = await client.evaluations.get(e.id, { signal });
        } catch (error) {
          if (!isTooLarge(error)) throw error;
          tooLarge++;
          continue;
        }
        for (const x of r.results) {
          if (x.outcome !== "fail") continue;
          failing.set(x.policy, (failing.get(x.policy) ?? 0) + 1);
          if (x.action === "deny")
            denied.set(resourceLabel(x.resource), (denied.get(resourceLabel(x.resource)) ?? 0) + 1);
        }
      }
      const expiring = await client.exceptions.list({ expiring: "7d", limit: 50 }, { signal });
      const stale = await client.images.list({ stale: STALE_SCAN, limit: 20 }, { signal });
      // with every source chosen, each one's own chart: who decides what (CI, API, admission)
      const bySource = source
        ? []
        : EvaluationSourceSchema.options.map((s) => ({
            source: s,
            rows: buckets(stats, since, until, hourly, s),
          }));
      return {
        chart: buckets(stats, since, until, hourly),
        bySource,
        // one y scale for the small charts, so their bars compare
        bySourceMax: Math.max(1, ...bySource.flatMap((x) => x.rows.map(height))),
        total: stats.total,
        reportsRead: reports.length - tooLarge,
        tooLarge,
        failing: top(failing),
        denied: top(denied),
        expiring: expiring.items,
        stale: stale.items,
        moreStale: stale.nextCursor !== null,
      };
    },
    [client, window, source],
  );
  return (
    <section>
      <PageTitle>Overview</PageTitle>
      <fieldset className="filters">
        <legend className="visually-hidden">Period and source</legend>
        <label>
          Period
          <select value={window} onChange={(e) => choose("period", e.target.value)}>
            <option value="24h">last 24 hours (per hour)</option>
            <option value="7d">last 7 days (per day)</option>
            <option value="30d">last 30 days (per day)</option>
          </select>
        </label>
        <label>
          Source
          <select value={source} onChange={(e) => choose("source", e.target.value)}>
            <option value="">all</option>
            {EvaluationSourceSchema.options.map((s) => (
              <option key={s} value={s}>
                {SOURCE_LABELS[s]}
              </option>
            ))}
          </select>
        </label>
      </fieldset>
      <Show loaded={data}>
        {(d) => (
          <>
            <h2>Decisions over time</h2>
            <p className="muted">{d.total} evaluations.</p>
            <DecisionChart
              rows={d.chart}
              name={source ? `Decisions over time from ${SOURCE_LABELS[source]}` : "Decisions over time"}
              unit={unit}
              height={260}
            />
            {d.bySource.length > 0 ? (
              <>
                <h2>Decisions over time by source</h2>
                <div className="grid-3">
                  {d.bySource.map(({ source: s, rows }) => (
                    <section key={s} aria-labelledby={`source-${s}`}>
                      <h3 id={`source-${s}`}>{SOURCE_LABELS[s]}</h3>
                      <p>
                        {rows.reduce((n, r) => n + height(r), 0)} in all:{" "}
                        {DECISIONS.map((x) => `${sum(rows, x)} ${x}`).join(", ")}
                      </p>
                      <DecisionChart
                        rows={rows}
                        name={`${SOURCE_LABELS[s]}: decisions over time`}
                        unit={unit}
                        height={180}
                        max={d.bySourceMax}
                      />
                    </section>
                  ))}
                </div>
              </>
            ) : null}
            <div className="grid-2">
              <div>
                <h2>Policies that fail most</h2>
                <p className="muted">
                  In the newest {d.reportsRead} warn or deny evaluations.
                  {d.tooLarge > 0
                    ? ` ${d.tooLarge} more ${d.tooLarge === 1 ? "is" : "are"} too large to read here and left out of both lists (open ${d.tooLarge === 1 ? "it" : "them"} from History).`
                    : null}
                </p>
                <ol>
                  {d.failing.map(([name, n]) => (
                    <li key={name}>
                      <Link to={`/policies/${encodeURIComponent(name)}`}>
                        <Literal text={name} />
                      </Link>{" "}
                      — {n}
                    </li>
                  ))}
                </ol>
              </div>
              <div>
                <h2>Resources denied most</h2>
                <ol>
                  {d.denied.map(([name, n]) => (
                    <li key={name}>
                      <Literal text={name} /> — {n}
                    </li>
                  ))}
                </ol>
              </div>
              <div>
                <h2>Exceptions expiring within 7 days</h2>
                {d.expiring.length === 0 ? <p>None.</p> : null}
                <ul>
                  {d.expiring.map((x) => (
                    <li key={x.name}>
                      <Literal text={x.name} /> — {relative(x.expires)}
                    </li>
                  ))}
                </ul>
              </div>
              <div>
                <h2>Image facts that are stale</h2>
                <p className="muted">Scanned more than {STALE_SCAN} ago, or never.</p>
                {d.stale.length === 0 ? <p>None.</p> : null}
                <ul>
                  {d.stale.map((i) => (
                    <li key={i.key}>
                      <Link to={`/images?digest=${encodeURIComponent(i.key)}`}>
                        <Literal text={i.ref} />
                      </Link>{" "}
                      — {i.scanAgeSeconds === null ? "never scanned" : `scanned ${age(i.scanAgeSeconds)} ago`}
                    </li>
                  ))}
                </ul>
                {d.moreStale ? <Link to={`/images?stale=${STALE_SCAN}`}>All stale images</Link> : null}
              </div>
            </div>
          </>
        )}
      </Show>
    </section>
  );
}
