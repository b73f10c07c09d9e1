import { FINDING_CAUSES, SEVERITIES } from "@celgate/contracts";
import type { Finding, FindingQuery } from "@celgate/sdk";
import { Link } from "react-router";
import { PageTitle } from "../components/common.js";
import { type Column, type Filter, ListView, type ListViewProps } from "../components/list.js";
import { Literal } from "../components/literal.js";
import { resourceLabel, when } from "../lib/format.js";

/** What made the re-evaluation run, as a reader says it. */
const CAUSES: Record<(typeof FINDING_CAUSES)[number], string> = {
  "new-scan": "new scan",
  "policy-change": "policy change",
  "exception-change": "exception change",
  "exception-expired": "exception expired",
};

/** Every filter of GET /v1/findings, each a query parameter of this page's URL (shareable). */
export const FILTERS = [
  // the API lists open findings when no status is given
  { kind: "select", name: "status", label: "Status", options: ["open", "resolved", "all"], initial: "open" },
  { kind: "select", name: "severity", label: "Severity at least", options: SEVERITIES, any: "any" },
  { kind: "text", name: "cluster", label: "Cluster" },
  { kind: "text", name: "namespace", label: "Namespace" },
  { kind: "text", name: "kind", label: "Kind" },
  { kind: "text", name: "name", label: "Name" },
  { kind: "text", name: "policy", label: "Policy" },
  {
    kind: "select",
    name: "cause",
    label: "Cause",
    any: "any",
    options: FINDING_CAUSES.map((c) => ({ value: c, label: CAUSES[c] })),
  },
] as const satisfies readonly Filter[];

/** The triggering fact in a line: the image and its vulnerabilities, the policy version, the exception. */
function trigger(t: Record<string, unknown>): string {
  const parts: string[] = [];
  if (typeof t.image === "string") parts.push(t.image);
  if (Array.isArray(t.vulnerabilities)) parts.push(t.vulnerabilities.map(String).join(", "));
  if (typeof t.policy === "string") parts.push(`${t.policy}${t.version ? ` v${t.version}` : ""}`);
  if (typeof t.exception === "string") parts.push(`exception ${t.exception}`);
  return parts.join(" — ");
}

const COLUMNS: readonly Column<Finding>[] = [
  { header: "Opened", cell: (f) => when(f.openedAt) },
  {
    header: "Status",
    cell: (f) => `${f.status}${f.resolvedAt ? ` ${when(f.resolvedAt)} (${f.resolution ?? ""})` : ""}`,
  },
  {
    header: "Resource",
    rowHeader: true,
    cell: (f) =>
      `${f.resource.cluster}: ${resourceLabel({ ...f.resource, namespace: f.resource.namespace ?? undefined })}`,
  },
  {
    header: "Policy",
    cell: (f) => (
      <Link to={`/policies/${encodeURIComponent(f.policy)}`}>
        <Literal text={f.policy} />
      </Link>
    ),
  },
  { header: "Severity", cell: (f) => f.severity },
  { header: "Message", cell: (f) => f.message },
  {
    header: "Cause",
    cell: (f) => `${causeLabel(f.cause)}${trigger(f.trigger) ? `: ${trigger(f.trigger)}` : ""}`,
  },
];

/** A cause as a reader says it; one a newer service added (unknown here), as sent. */
const causeLabel = (cause: string): string =>
  Object.hasOwn(CAUSES, cause) ? CAUSES[cause as keyof typeof CAUSES] : cause;

const load: ListViewProps<Finding, typeof FILTERS>["load"] = (client, q, signal) =>
  // the select values go to the API as they are: it refuses (400) a status or severity it does not take
  client.findings.list(
    { ...q.filters, limit: q.limit, ...(q.cursor ? { cursor: q.cursor } : {}) } as FindingQuery,
    { signal },
  );

export default function Findings() {
  return (
    <section>
      <PageTitle>Findings</PageTitle>
      <p className="muted">
        Deployed objects that a re-evaluation (after a new scan, a policy or exception change, or an
        exception's expiry) found failing a policy they passed before. A finding resolves when the object
        passes again or is deleted.
      </p>
      <ListView
        noun="findings"
        caption="Findings, newest first"
        filters={FILTERS}
        columns={COLUMNS}
        load={load}
        rowKey={(f) => f.id}
        empty="No finding matches."
      />
    </section>
  );
}
