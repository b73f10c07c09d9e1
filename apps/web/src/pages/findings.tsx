import { SEVERITIES } from "@celgate/contracts";
import type { FindingQuery } from "@celgate/sdk";
import { type FormEvent, useMemo } from "react";
import { Link, useSearchParams } from "react-router";
import { PageTitle, Show } from "../components/common.js";
import { resourceLabel, when } from "../lib/format.js";
import { useLoad } from "../lib/use-load.js";
import { useSession } from "../session.js";

/** The text filters of GET /v1/findings, each a query parameter of this page's URL (shareable). */
const TEXT_FIELDS = ["cluster", "namespace", "kind", "name", "policy"] as const;
const STATUSES = ["open", "resolved", "all"] as const;

/** What made the re-evaluation run, as a reader says it. */
const CAUSES: Record<string, string> = {
  "new-scan": "new scan",
  "policy-change": "policy change",
  "exception-change": "exception change",
  "exception-expired": "exception expired",
};

/** The triggering fact in a line: the image and its vulnerabilities, the policy version, the exception. */
function trigger(t: Record<string, unknown>): string {
  const parts: string[] = [];
  if (typeof t.image === "string") parts.push(t.image);
  if (Array.isArray(t.vulnerabilities)) parts.push(t.vulnerabilities.map(String).join(", "));
  if (typeof t.policy === "string") parts.push(`${t.policy}${t.version ? ` v${t.version}` : ""}`);
  if (typeof t.exception === "string") parts.push(`exception ${t.exception}`);
  return parts.join(" — ");
}

export default function Findings() {
  const { client } = useSession();
  const [params, setParams] = useSearchParams();
  const query = useMemo(() => {
    const q: FindingQuery = { limit: 50 };
    const status = params.get("status");
    if (status === "open" || status === "resolved" || status === "all") q.status = status;
    for (const k of TEXT_FIELDS) if (params.get(k)) q[k] = params.get(k)!;
    const severity = params.get("severity");
    if (severity && (SEVERITIES as readonly string[]).includes(severity))
      q.severity = severity as (typeof SEVERITIES)[number];
    if (params.get("cursor")) q.cursor = params.get("cursor")!;
    return q;
  }, [params]);
  const [page] = useLoad((signal) => client.findings.list(query, { signal }), [client, query]);
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const next = new URLSearchParams();
    for (const k of ["status", ...TEXT_FIELDS, "severity"]) {
      const v = String(form.get(k) ?? "").trim();
      if (v) next.set(k, v);
    }
    setParams(next);
  };
  const text = (k: string) => params.get(k) ?? "";
  return (
    <section>
      <PageTitle>Findings</PageTitle>
      <p className="muted">
        Deployed objects that a re-evaluation (after a new scan, a policy or exception change, or an
        exception's expiry) found failing a policy they passed before. A finding resolves when the object
        passes again or is deleted.
      </p>
      <form className="filters" onSubmit={submit} aria-label="Filter findings" key={params.toString()}>
        <label>
          Status
          <select name="status" defaultValue={text("status") || "open"}>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Severity at least
          <select name="severity" defaultValue={text("severity")}>
            <option value="">any</option>
            {SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        {TEXT_FIELDS.map((k) => (
          <label key={k}>
            {k[0]!.toUpperCase() + k.slice(1)}
            <input name={k} defaultValue={text(k)} size={16} />
          </label>
        ))}
        <div className="actions">
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
              <caption className="visually-hidden">Findings, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Opened</th>
                  <th scope="col">Status</th>
                  <th scope="col">Resource</th>
                  <th scope="col">Policy</th>
                  <th scope="col">Severity</th>
                  <th scope="col">Message</th>
                  <th scope="col">Cause</th>
                </tr>
              </thead>
              <tbody>
                {p.items.map((f) => (
                  <tr key={f.id}>
                    <td>{when(f.openedAt)}</td>
                    <td>
                      {f.status}
                      {f.resolvedAt ? ` ${when(f.resolvedAt)} (${f.resolution ?? ""})` : ""}
                    </td>
                    <td>
                      {f.resource.cluster}:{" "}
                      {resourceLabel({ ...f.resource, namespace: f.resource.namespace ?? undefined })}
                    </td>
                    <td>
                      <Link to={`/policies/${encodeURIComponent(f.policy)}`}>{f.policy}</Link>
                    </td>
                    <td>{f.severity}</td>
                    <td>{f.message}</td>
                    <td>
                      {CAUSES[f.cause] ?? f.cause}
                      {trigger(f.trigger) ? `: ${trigger(f.trigger)}` : ""}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {p.items.length === 0 ? <p>No finding matches.</p> : null}
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
