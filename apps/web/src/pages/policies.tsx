import { type PolicyResource, paginate } from "@celgate/sdk";
import { Link, useSearchParams } from "react-router";
import { PageTitle, Show } from "../components/common.js";
import { type Column, DataTable } from "../components/list.js";
import { Literal } from "../components/literal.js";
import { visibleText } from "../lib/invisible.js";
import { useLoad } from "../lib/use-load.js";
import { can, useSession } from "../session.js";

const spec = (p: PolicyResource) => p.document.spec as { title?: string; severity?: string; action?: string };

const COLUMNS: readonly Column<PolicyResource>[] = [
  {
    header: "Name",
    rowHeader: true,
    cell: (p) => (
      <Link to={`/policies/${encodeURIComponent(p.name)}`}>
        <Literal text={p.name} />
      </Link>
    ),
  },
  { header: "Title", cell: (p) => spec(p).title },
  { header: "Severity", cell: (p) => spec(p).severity },
  { header: "Action", cell: (p) => spec(p).action },
  {
    header: "Labels",
    cell: (p) =>
      Object.entries(p.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(", "),
  },
  {
    header: "Version",
    cell: (p) => (
      <>
        {p.version} <span className="muted">({p.source})</span>
      </>
    ),
  },
];

export default function Policies() {
  const session = useSession();
  const { client } = session;
  const [params, setParams] = useSearchParams();
  const practice = params.get("practice") ?? "";
  const pss = params.get("pss") ?? "";
  const [all] = useLoad(
    async (signal) => {
      const out: PolicyResource[] = [];
      for await (const p of paginate((cursor) =>
        client.policies.list({ limit: 500, ...(cursor ? { cursor } : {}) }, { signal }),
      ))
        out.push(p);
      return out;
    },
    [client],
  );
  const set = (k: string, v: string) => {
    const next = new URLSearchParams(params);
    if (v) next.set(k, v);
    else next.delete(k);
    setParams(next);
  };
  return (
    <section>
      <PageTitle actions={can(session, "author") ? <Link to="/policies/new">New policy</Link> : null}>
        Policies
      </PageTitle>
      <Show loaded={all}>
        {(policies) => {
          const practices = [
            ...new Set(policies.map((p) => p.labels.practice).filter(Boolean)),
          ].sort() as string[];
          const levels = [...new Set(policies.map((p) => p.labels.pss).filter(Boolean))].sort() as string[];
          const shown = policies.filter(
            (p) => (!practice || p.labels.practice === practice) && (!pss || p.labels.pss === pss),
          );
          return (
            <>
              <fieldset className="filters">
                <legend className="visually-hidden">Filter policies</legend>
                <label>
                  Practice
                  <select value={practice} onChange={(e) => set("practice", e.target.value)}>
                    <option value="">any</option>
                    {practices.map((p) => (
                      <option key={p} value={p}>
                        {visibleText(p)}
                      </option>
                    ))}
                  </select>
                </label>
                <label>
                  PSS level
                  <select value={pss} onChange={(e) => set("pss", e.target.value)}>
                    <option value="">any</option>
                    {levels.map((p) => (
                      <option key={p} value={p}>
                        {visibleText(p)}
                      </option>
                    ))}
                  </select>
                </label>
                <span className="muted" role="status">
                  {shown.length} of {policies.length}
                </span>
              </fieldset>
              <DataTable
                caption="Policies in force, by name"
                columns={COLUMNS}
                rows={shown}
                rowKey={(p) => p.name}
              />
            </>
          );
        }}
      </Show>
    </section>
  );
}
