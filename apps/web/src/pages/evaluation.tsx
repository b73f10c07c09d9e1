import type { ReportNotice } from "@celgate/core";
import { paginate } from "@celgate/sdk";
import { Link, useParams } from "react-router";
import { PageTitle, Show } from "../components/common.js";
import { Literal } from "../components/literal.js";
import { ReceiptView } from "../components/receipt.js";
import { type PolicyHint, ReportView } from "../components/report.js";
import { download, when } from "../lib/format.js";
import { loadReport, progressText } from "../lib/reports.js";
import { useLoad } from "../lib/use-load.js";
import { type Progress, useProgress } from "../lib/use-progress.js";
import { can, useSession } from "../session.js";

export default function Evaluation() {
  const { id = "" } = useParams();
  const session = useSession();
  const { client } = session;
  // a stored report may be far longer than the SDK's default answer limit: read with the console's own
  // limits, showing how much has arrived
  const progress = useProgress();
  const [report] = useLoad(
    (signal) => loadReport(session.clientWith, window.location.origin, id, signal, progress.start()),
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
      {report.state === "loading" ? (
        <ReportProgress shown={progress.shown} announced={progress.announced} />
      ) : null}
      <Show loaded={report} loading={null}>
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

/**
 * While a report arrives: a bar and the bytes received (of the total when the service declared
 * it), redrawn at most four times a second, and a polite status told of it at most every few
 * seconds (useProgress), so a screen reader is not talked over.
 */
function ReportProgress({ shown, announced }: { shown: Progress | null; announced: Progress | null }) {
  const text = shown ? progressText(shown.received, shown.total) : undefined;
  return (
    <div className="progress">
      <p className="muted" role="status">
        {announced
          ? `Loading the report: ${progressText(announced.received, announced.total)} received…`
          : "Loading…"}
      </p>
      {shown ? (
        <>
          <progress
            aria-label="The report received so far"
            aria-valuetext={text}
            max={shown.total ?? undefined}
            value={shown.total === undefined ? undefined : shown.received}
          />
          <span className="muted" aria-hidden="true">
            {text}
          </span>
        </>
      ) : null}
    </div>
  );
}
