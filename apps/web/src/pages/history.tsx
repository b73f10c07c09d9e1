import { DECISIONS, EvaluationSourceSchema } from "@celgate/contracts";
import type { EvaluationListFilters, EvaluationSummary } from "@celgate/sdk";
import { Link } from "react-router";
import { DecisionBadge, PageTitle } from "../components/common.js";
import { type Column, type Filter, ListView, type ListViewProps } from "../components/list.js";
import { when } from "../lib/format.js";

/**
 * Every filter of GET /v1/evaluations (`EvaluationListQuerySchema` and the `context.<key>`
 * parameters), each a query parameter of this page's URL under the API's own name.
 */
export const FILTERS = [
  { kind: "select", name: "decision", label: "Decision", options: DECISIONS, any: "any" },
  { kind: "select", name: "source", label: "Source", options: EvaluationSourceSchema.options, any: "any" },
  { kind: "text", name: "policy", label: "Policy" },
  { kind: "text", name: "namespace", label: "Namespace" },
  { kind: "text", name: "kind", label: "Kind" },
  { kind: "text", name: "name", label: "Name" },
  { kind: "text", name: "image", label: "Image" },
  { kind: "datetime", name: "since", label: "Since" },
  { kind: "datetime", name: "until", label: "Until" },
  { kind: "pairs", name: "context", label: "Context (key=value …)" },
] as const satisfies readonly Filter[];

const COLUMNS: readonly Column<EvaluationSummary>[] = [
  {
    header: "When",
    rowHeader: true,
    cell: (e) => <Link to={`/evaluations/${encodeURIComponent(e.id)}`}>{when(e.evaluatedAt)}</Link>,
  },
  { header: "Decision", cell: (e) => <DecisionBadge decision={e.decision} /> },
  { header: "Source", cell: (e) => e.source },
  { header: "Actor", cell: (e) => e.actor },
  { header: "Resources", cell: (e) => e.summary.resources },
  {
    header: "Fail / error / waived",
    cell: (e) => `${e.summary.fail} / ${e.summary.error} / ${e.summary.waived}`,
  },
  {
    header: "Context",
    cell: (e) =>
      Object.entries(e.context)
        .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
        .join(" "),
  },
];

const load: ListViewProps<EvaluationSummary, typeof FILTERS>["load"] = (client, q, signal) => {
  // the select and text values go to the API as they are; it refuses a value it does not take
  const { context, ...rest } = q.filters;
  const filters = {
    ...rest,
    limit: q.limit,
    ...(q.cursor ? { cursor: q.cursor } : {}),
  } as EvaluationListFilters;
  if (context) filters.context = context;
  return client.evaluations.list(filters, { signal });
};

export default function History() {
  return (
    <section>
      <PageTitle>History</PageTitle>
      <ListView
        noun="evaluations"
        caption="Evaluations, newest first"
        filters={FILTERS}
        columns={COLUMNS}
        load={load}
        rowKey={(e) => e.id}
        empty="No evaluation matches."
      />
    </section>
  );
}
