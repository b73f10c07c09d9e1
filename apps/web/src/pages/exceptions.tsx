import type { ExceptionResource } from "@celgate/sdk";
import { Link } from "react-router";
import { PageTitle } from "../components/common.js";
import { type Column, type Filter, ListView, type ListViewProps } from "../components/list.js";
import { Literal } from "../components/literal.js";
import { relative, when } from "../lib/format.js";

/** The filters of GET /v1/exceptions, each a query parameter of this page's URL. */
export const FILTERS = [
  {
    kind: "select",
    name: "expiring",
    label: "Expiry",
    any: "any, expired too",
    options: ["1d", "7d", "30d"].map((d) => ({ value: d, label: `live, expiring within ${d}` })),
  },
  { kind: "text", name: "policy", label: "Waives policy" },
] as const satisfies readonly Filter[];

/** `policies: ["*"]`: the exception waives every policy (the engine's evaluate/exceptions.ts). */
const EVERY_POLICY = "*";

const spec = (x: ExceptionResource) => x.document.spec as { policies?: unknown; reason?: unknown };

const COLUMNS: readonly Column<ExceptionResource>[] = [
  { header: "Name", rowHeader: true, cell: (x) => x.name },
  {
    header: "Policies",
    cell: (x) => {
      const policies = spec(x).policies;
      return Array.isArray(policies)
        ? policies.map((p, i) => (
            // by position: a careless list may name one policy twice; shown as stored, never reordered
            <span key={i}>
              {i ? ", " : ""}
              {p === EVERY_POLICY ? (
                "every policy"
              ) : (
                <Link to={`/policies/${encodeURIComponent(String(p))}`}>
                  <Literal text={String(p)} />
                </Link>
              )}
            </span>
          ))
        : null;
    },
  },
  {
    header: "Expires",
    cell: (x) => `${when(x.expires)} (${x.expired ? "expired" : relative(x.expires)})`,
  },
  { header: "Reason", cell: (x) => (typeof spec(x).reason === "string" ? String(spec(x).reason) : "") },
  { header: "Changed", cell: (x) => `${when(x.updatedAt)} by ${x.updatedBy}` },
];

const load: ListViewProps<ExceptionResource, typeof FILTERS>["load"] = (client, q, signal) =>
  client.exceptions.list(
    { ...q.filters, limit: q.limit, ...(q.cursor ? { cursor: q.cursor } : {}) },
    { signal },
  );

export default function Exceptions() {
  return (
    <section>
      <PageTitle>Exceptions</PageTitle>
      <p className="muted">
        Each exception waives the policies it names for the resources it matches, until it expires; an expired
        one waives nothing.
      </p>
      <ListView
        noun="exceptions"
        caption="Exceptions"
        filters={FILTERS}
        columns={COLUMNS}
        load={load}
        rowKey={(x) => x.name}
        rowClass={(x) => (x.expired ? "expired" : undefined)}
        empty="No exception matches."
      />
    </section>
  );
}
