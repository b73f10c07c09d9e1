import { AUDIT_TARGET_KINDS } from "@celgate/contracts";
import type { AuditEntry, AuditListQuery } from "@celgate/sdk";
import { PageTitle } from "../components/common.js";
import { type Column, type Filter, ListView, type ListViewProps } from "../components/list.js";
import { when } from "../lib/format.js";

/** Every filter of GET /v1/audit (`AuditListQuerySchema`), each a query parameter of this page's URL. */
export const FILTERS = [
  { kind: "select", name: "targetKind", label: "Target kind", options: AUDIT_TARGET_KINDS, any: "any" },
  { kind: "text", name: "targetName", label: "Target name" },
  { kind: "text", name: "actor", label: "Actor" },
  { kind: "datetime", name: "since", label: "Since" },
  { kind: "datetime", name: "until", label: "Until" },
] as const satisfies readonly Filter[];

const COLUMNS: readonly Column<AuditEntry>[] = [
  { header: "When", rowHeader: true, cell: (a) => when(a.at) },
  { header: "Actor", cell: (a) => a.actor },
  { header: "Action", cell: (a) => a.action },
  { header: "Target", cell: (a) => `${a.targetKind} ${a.targetName}` },
  // what the target was (a token's name and role, a policy's version): ids alone do not say
  {
    header: "Detail",
    cell: (a) =>
      Object.entries(a.detail ?? {})
        .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
        .join(" "),
  },
];

const load: ListViewProps<AuditEntry, typeof FILTERS>["load"] = (client, q, signal) =>
  // the target kind goes to the API as it is: it refuses (400) one it does not know
  client.audit.list(
    { ...q.filters, limit: q.limit, ...(q.cursor ? { cursor: q.cursor } : {}) } as AuditListQuery,
    { signal },
  );

export default function Audit() {
  return (
    <section>
      <PageTitle>Audit</PageTitle>
      <p className="muted">
        Every change to policies, exceptions, tokens, image facts and keys, newest first.
      </p>
      <ListView
        noun="audit entries"
        caption="Audit log, newest first"
        filters={FILTERS}
        columns={COLUMNS}
        load={load}
        rowKey={(a) => a.id}
        empty="No audit entry matches."
        pageSize={100}
      />
    </section>
  );
}
