import type { EvaluationReport, ReportResult } from "@celgate/sdk";
import { resourceLabel } from "../lib/format.js";
import { visibleText } from "../lib/invisible.js";
import { DecisionBadge, OutcomeBadge } from "./common.js";
import { Literal } from "./literal.js";

/** What the console knows of a policy besides its name, to show beside a result. */
export interface PolicyHint {
  title?: string | undefined;
  remediation?: string | undefined;
}

const ORDER = { fail: 0, error: 1, waived: 2, skip: 3, pass: 4 } as const;

/** The report grouped by resource: failures first, with messages, remediation and waivers. */
export function ReportView({
  report,
  hints = {},
}: {
  report: EvaluationReport;
  hints?: Record<string, PolicyHint>;
}) {
  const groups = new Map<string, ReportResult[]>();
  for (const r of report.results) {
    const key = `${r.resource.apiVersion}|${resourceLabel(r.resource)}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const s = report.summary;
  return (
    <div className="report">
      <p className="decision-line">
        Decision <DecisionBadge decision={report.decision} />{" "}
        <span className="muted">
          {s.resources} resources · {s.fail} fail · {s.error} error · {s.waived} waived · {s.pass} pass ·{" "}
          {s.skip} skip · policy set {report.policySet.policies} policies (
          {report.policySet.digest.slice(0, 19)})
        </span>
      </p>
      {report.notices?.length ? (
        <ul className="notices" aria-label="Notices">
          {report.notices.map((n, i) => (
            <li key={i}>
              <strong>{n.kind}</strong>: <Literal text={n.message} />
            </li>
          ))}
        </ul>
      ) : null}
      {[...groups.entries()].map(([key, results]) => {
        const first = results[0]!;
        const sorted = [...results].sort((a, b) => ORDER[a.outcome] - ORDER[b.outcome]);
        return (
          <section className="resource" key={key} aria-label={visibleText(resourceLabel(first.resource))}>
            <h3>
              <Literal text={resourceLabel(first.resource)} />{" "}
              {first.resource.source ? (
                <span className="muted">
                  <Literal text={first.resource.source.file} />:{first.resource.source.line}
                </span>
              ) : null}
            </h3>
            <ul className="results">
              {sorted.map((r) => (
                <li key={r.policy} className={`result result-${r.outcome}`}>
                  <OutcomeBadge outcome={r.outcome} />{" "}
                  <strong>
                    <Literal text={r.policy} />
                  </strong>{" "}
                  <span className="muted">
                    {r.severity} · {r.action}
                  </span>
                  {hints[r.policy]?.title ? (
                    <div className="muted">
                      <Literal text={hints[r.policy]?.title} />
                    </div>
                  ) : null}
                  {r.violations.length ? (
                    <ul>
                      {r.violations.map((v, i) => (
                        <li key={i}>
                          <Literal text={v.message} />
                          {v.fieldPath ? (
                            <code className="path">
                              {" "}
                              <Literal text={v.fieldPath} />
                            </code>
                          ) : null}
                        </li>
                      ))}
                    </ul>
                  ) : null}
                  {r.error ? (
                    <div className="error-text">
                      Error: <Literal text={r.error} />
                    </div>
                  ) : null}
                  {r.exception ? (
                    <div>
                      Waived by exception <Literal text={r.exception} />
                    </div>
                  ) : null}
                  {(r.outcome === "fail" || r.outcome === "error") && hints[r.policy]?.remediation ? (
                    <details>
                      <summary>Remediation</summary>
                      <p>
                        <Literal text={hints[r.policy]?.remediation} />
                      </p>
                    </details>
                  ) : null}
                </li>
              ))}
            </ul>
          </section>
        );
      })}
    </div>
  );
}
