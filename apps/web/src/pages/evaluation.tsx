import type { ReportNotice } from "@celgate/core";
import { paginate } from "@celgate/sdk";
import { Link, useParams } from "react-router";
import { PageTitle, Show } from "../components/common.js";
import { Literal } from "../components/literal.js";
import { ReceiptView } from "../components/receipt.js";
import { type PolicyHint, ReportView } from "../components/report.js";
import { download, when } from "../lib/format.js";
import { loadReport } from "../lib/reports.js";
import { useLoad } from "../lib/use-load.js";
import { can, useSession } from "../session.js";

export default function Evaluation() {
  const { id = "" } = useParams();
  const session = useSession();
  const { client } = session;
  // a stored report may be far longer than the SDK's default answer limit: read with the console's own
  const [report] = useLoad(
    (signal) => loadReport(session.clientWith, window.location.origin, id, signal),
    [session, id],
  );
  // Titles and remediation come from the policies in force (best effort: the report stands alone).
  const [hints] = useLoad(
    async (signal) => {
      const out: Record<string, PolicyHint> = {};
      for await (const p of paginate((cursor) =>
        client.policies.list({ limit: 500, ...(cursor ? { cursor } : {}) }, { signal }),
      )) {
        const spec = p.document.spec as { title?: string; remediation?: string };
        out[p.name] = { title: spec.title, remediation: spec.remediation };
      }
      return out;
    },
    [client],
  );
  return (
    <section>
      <Show loaded={report}>
        {(r) => (
          <>
            <PageTitle
              actions={
                <>
                  <button
                    type="button"
                    onClick={() =>
                      download(`evaluation-${id}.json`, `${JSON.stringify(r, null, 2)}\n`, "application/json")
                    }
                  >
                    Download JSON
                  </button>
                  <button
                    type="button"
                    onClick={async () => {
                      // the formatter is the engine's: loaded on this click only
                      const { formatReport } = await import("@celgate/core");
                      // a notice kind of a newer service is kept as sent: SARIF does not show notices
                      const notices = r.notices as ReportNotice[] | undefined;
                      download(
                        `evaluation-${id}.sarif`,
                        formatReport({ ...r, notices }, "sarif"),
                        "application/sarif+json",
                      );
                    }}
                  >
                    Download SARIF
                  </button>
                </>
              }
            >
              Evaluation {when(r.evaluatedAt)}
            </PageTitle>
            <p className="muted">
              <code>
                <Literal text={id} />
              </code>
              {can(session, "author") ? (
                <>
                  {" · "}
                  <Link to={`/replay?evaluations=${encodeURIComponent(id)}`}>
                    Replay this evaluation with candidate policies
                  </Link>
                </>
              ) : null}
            </p>
            <ReportView report={r} hints={hints.state === "done" ? hints.value : {}} />
            <ReceiptView id={id} envelope={r.receipt} />
          </>
        )}
      </Show>
    </section>
  );
}
