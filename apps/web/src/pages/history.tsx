import { DECISIONS, EvaluationSourceSchema } from "@celgate/contracts";
import type { EvaluationListFilters } from "@celgate/sdk";
import { type FormEvent, useMemo } from "react";
import { Link, useSearchParams } from "react-router";
import { DecisionBadge, PageTitle, Show } from "../components/common.js";
import { when } from "../lib/format.js";
import { useLoad } from "../lib/use-load.js";
import { useSession } from "../session.js";

/** The filters of GET /v1/evaluations, each a query parameter of this page's URL (shareable). */
const FIELDS = ["decision", "source", "policy", "namespace", "kind", "name", "image"] as const;

/** `<input type=datetime-local>` value to an ISO instant, in the reader's time zone. */
const toIso = (local: string) => (local ? new Date(local).toISOString() : undefined);
const toLocal = (iso: string | null) => {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};

export default function History() {
  const { client } = useSession();
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => {
    const f: EvaluationListFilters = { limit: 50 };
    const record = f as Record<string, unknown>;
    for (const k of FIELDS) if (params.get(k)) record[k] = params.get(k);
    if (params.get("since")) f.since = params.get("since")!;
    if (params.get("until")) f.until = params.get("until")!;
    if (params.get("cursor")) f.cursor = params.get("cursor")!;
    const context: Record<string, string> = {};
    for (const [k, v] of params) if (k.startsWith("context.")) context[k.slice(8)] = v;
    if (Object.keys(context).length) f.context = context;
    return f;
  }, [params]);
  const [page] = useLoad((signal) => client.evaluations.list(filters, { signal }), [client, filters]);

  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const next = new URLSearchParams();
    for (const k of FIELDS) {
      const v = String(form.get(k) ?? "").trim();
      if (v) next.set(k, v);
    }
    for (const k of ["since", "until"]) {
      const v = toIso(String(form.get(k) ?? ""));
      if (v) next.set(k, v);
    }
    for (const pair of String(form.get("context") ?? "")
      .split(/[\s,]+/)
      .filter(Boolean)) {
      const eq = pair.indexOf("=");
      if (eq > 0) next.set(`context.${pair.slice(0, eq)}`, pair.slice(eq + 1));
    }
    setParams(next);
  };
  const contextText = [...params]
    .filter(([k]) => k.startsWith("context."))
    .map(([k, v]) => `${k.slice(8)}=${v}`)
    .join(" ");
  const text = (k: string) => params.get(k) ?? "";

  return (
    <section>
      <PageTitle>History</PageTitle>
      <form className="filters" onSubmit={submit} aria-label="Filter evaluations" key={params.toString()}>
        <label>
          Decision
          <select name="decision" defaultValue={text("decision")}>
            <option value="">any</option>
            {DECISIONS.map((d) => (
              <option key={d}>{d}</option>
            ))}
          </select>
        </label>
        <label>
          Source
          <select name="source" defaultValue={text("source")}>
            <option value="">any</option>
            {EvaluationSourceSchema.options.map((source) => (
              <option key={source}>{source}</option>
            ))}
          </select>
        </label>
        {(["policy", "namespace", "kind", "name", "image"] as const).map((k) => (
          <label key={k}>
            {k[0]!.toUpperCase() + k.slice(1)}
            <input name={k} defaultValue={text(k)} />
          </label>
        ))}
        <label>
          Since
          <input type="datetime-local" name="since" defaultValue={toLocal(params.get("since"))} />
        </label>
        <label>
          Until
          <input type="datetime-local" name="until" defaultValue={toLocal(params.get("until"))} />
        </label>
        <label>
          Context (key=value …)
          <input name="context" defaultValue={contextText} />
        </label>
        <div className="buttons">
          <button type="submit">Filter</button>
          <button type="button" onClick={() => setParams(new URLSearchParams())}>
            Clear
          </button>
        </div>
      </form>
      <Show loaded={page}>
        {(p) => (
          <>
            <table>
              <caption className="visually-hidden">Evaluations, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Decision</th>
                  <th scope="col">Source</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Resources</th>
                  <th scope="col">Fail / error / waived</th>
                  <th scope="col">Context</th>
                </tr>
              </thead>
              <tbody>
                {p.items.map((e) => (
                  <tr key={e.id}>
                    <td>
                      <Link to={`/evaluations/${encodeURIComponent(e.id)}`}>{when(e.evaluatedAt)}</Link>
                    </td>
                    <td>
                      <DecisionBadge decision={e.decision} />
                    </td>
                    <td>{e.source}</td>
                    <td>{e.actor}</td>
                    <td>{e.summary.resources}</td>
                    <td>
                      {e.summary.fail} / {e.summary.error} / {e.summary.waived}
                    </td>
                    <td>
                      {Object.entries(e.context)
                        .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
                        .join(" ")}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {p.items.length === 0 ? <p>No evaluation matches.</p> : null}
            <div className="pager">
              {params.get("cursor") ? (
                <button
                  type="button"
                  onClick={() => {
                    const next = new URLSearchParams(params);
                    next.delete("cursor");
                    setParams(next);
                  }}
                >
                  Newest
                </button>
              ) : null}
              {p.nextCursor ? (
                <button
                  type="button"
                  onClick={() => {
                    const next = new URLSearchParams(params);
                    next.set("cursor", p.nextCursor!);
                    setParams(next);
                  }}
                >
                  Older
                </button>
              ) : null}
            </div>
          </>
        )}
      </Show>
    </section>
  );
}
