import type { InventoryEntry } from "@celgate/sdk";
import { Link } from "react-router";
import { PageTitle } from "../components/common.js";
import { type Column, type Filter, ListView, type ListViewProps } from "../components/list.js";
import { Literal } from "../components/literal.js";
import { when } from "../lib/format.js";

/** The filters of GET /v1/inventory, each a query parameter of this page's URL. */
export const FILTERS = [
  { kind: "text", name: "cluster", label: "Cluster" },
  { kind: "text", name: "namespace", label: "Namespace" },
  { kind: "text", name: "kind", label: "Kind" },
  { kind: "text", name: "name", label: "Name" },
  { kind: "text", name: "image", label: "Image" },
  { kind: "checkbox", name: "failing", label: "Failing a policy" },
] as const satisfies readonly Filter[];

const COLUMNS: readonly Column<InventoryEntry>[] = [
  { header: "Cluster", cell: (e) => e.cluster },
  { header: "Namespace", cell: (e) => e.namespace ?? "—" },
  { header: "Kind", cell: (e) => e.kind },
  {
    header: "Name",
    rowHeader: true,
    cell: (e) =>
      e.evaluationId ? (
        <Link to={`/evaluations/${encodeURIComponent(e.evaluationId)}`}>
          <Literal text={e.name} />
        </Link>
      ) : (
        e.name
      ),
  },
  { header: "Images", cell: (e) => e.images.join(", ") },
  { header: "Failing", cell: (e) => (e.failing.length ? e.failing.join(", ") : "—") },
  { header: "Evaluated", cell: (e) => when(e.evaluatedAt) },
];

const load: ListViewProps<InventoryEntry, typeof FILTERS>["load"] = (client, q, signal) => {
  const { failing, ...text } = q.filters;
  return client.inventory.list(
    {
      ...text,
      ...(failing === "true" ? { failing: true } : {}),
      limit: q.limit,
      ...(q.cursor ? { cursor: q.cursor } : {}),
    },
    { signal },
  );
};

export default function Inventory() {
  return (
    <section>
      <PageTitle>Inventory</PageTitle>
      <p className="muted">
        What is deployed, as the service last saw it admitted: from admission reviews, and from evaluations
        whose context states a cluster and <code>deployed=true</code>.
      </p>
      <ListView
        noun="deployed objects"
        caption="Deployed objects"
        filters={FILTERS}
        columns={COLUMNS}
        load={load}
        rowKey={(e) => `${e.cluster}|${e.namespace}|${e.kind}|${e.name}`}
        empty="Nothing deployed matches."
      />
    </section>
  );
}
