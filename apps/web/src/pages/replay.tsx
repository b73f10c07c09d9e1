import { isApiError, type ReplayInput, type ReplayReport } from "@celgate/sdk";
import { useState } from "react";
import { Link, useSearchParams } from "react-router";
import type { Marker } from "../components/code.js";
import { DecisionBadge, ErrorBox, OutcomeBadge, PageTitle } from "../components/common.js";
import { Literal } from "../components/literal.js";
import { SourceEditor } from "../components/source-editor.js";
import { resourceLabel } from "../lib/format.js";
import { toYaml } from "../lib/yaml.js";
import { useSession } from "../session.js";

export default function Replay() {
  const { client } = useSession();
  const [params] = useSearchParams();
  const [yaml, setYaml] = useState("");
  const [remove, setRemove] = useState("");
  const [ids, setIds] = useState(params.get("evaluations") ?? "");
  const [since, setSince] = useState("");
  const [until, setUntil] = useState("");
  const [limit, setLimit] = useState(100);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [report, setReport] = useState<ReplayReport | null>(null);
  const [loadName, setLoadName] = useState("");
  const [markers, setMarkers] = useState<Marker[]>([]);
  const [status, setStatus] = useState("");

  /**
   * The candidates checked by the service (`POST /v1/policies:validate`), each problem marked in
   * the editor at its line and column. True when there is nothing to check or nothing wrong.
   */
  const check = async (): Promise<boolean> => {
    if (!yaml.trim()) {
      setMarkers([]);
      return true;
    }
    const result = await client.policies.validate(yaml);
    setMarkers(
      result.diagnostics.map((d) => ({ line: d.line, column: d.column, message: d.message, code: d.code })),
    );
    setStatus(
      result.valid
        ? "The candidates are valid."
        : `${result.diagnostics.length} problem(s) in the candidates; the replay did not run.`,
    );
    return result.valid;
  };

  const run = async () => {
    setBusy(true);
    setError(null);
    setReport(null);
    setStatus("");
    try {
      // a candidate that does not compile is shown where it is wrong, before any replay
      if (!(await check())) return;
      const input: ReplayInput = { limit };
      if (yaml.trim()) input.policies = yaml;
      const removed = remove.split(/[\s,]+/).filter(Boolean);
      if (removed.length) input.remove = removed;
      const evaluations = ids.split(/[\s,]+/).filter(Boolean);
      if (evaluations.length) input.evaluations = evaluations;
      if (since) input.since = new Date(since).toISOString();
      if (until) input.until = new Date(until).toISOString();
      setReport(await client.replays.run(input));
    } catch (e) {
      // the replay's own refusal of the candidates (422), where its problems have a position
      if (isApiError(e) && e.problem.errors?.some((x) => x.line !== undefined))
        setMarkers(
          e.problem.errors
            .filter((x) => x.line !== undefined)
            .map((x) => ({ line: x.line, column: x.column, message: x.message, code: x.code })),
        );
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section>
      <PageTitle>Replay</PageTitle>
      <p>
        Evaluate candidate policies against recorded inputs and see which decisions and outcomes would change.
        Nothing is recorded and nothing goes live.
      </p>
      <fieldset className="filters">
        <legend className="visually-hidden">Start from a policy in force</legend>
        <label>
          Load a policy to edit
          <input value={loadName} onChange={(e) => setLoadName(e.target.value)} placeholder="policy name" />
        </label>
        <button
          type="button"
          onClick={() =>
            client.policies.get(loadName.trim()).then(
              (p) => {
                setYaml(toYaml(p.document));
                setMarkers([]);
                setStatus("");
              },
              (e: unknown) => setError(e),
            )
          }
        >
          Load
        </button>
      </fieldset>
      <SourceEditor
        id="replay-policies"
        label="Candidate policies (YAML; a name in force is replaced)"
        value={yaml}
        onChange={setYaml}
        markers={markers}
        rows={14}
      />
      <div className="buttons">
        <button
          type="button"
          onClick={() => {
            setError(null);
            check().catch(setError);
          }}
          disabled={busy || !yaml.trim()}
        >
          Check candidates
        </button>
      </div>
      <fieldset className="filters">
        <legend className="visually-hidden">What to replay</legend>
        <label>
          Remove policies (names)
          <input value={remove} onChange={(e) => setRemove(e.target.value)} />
        </label>
        <label>
          Evaluation ids
          <input value={ids} onChange={(e) => setIds(e.target.value)} />
        </label>
        <label>
          Since
          <input type="datetime-local" value={since} onChange={(e) => setSince(e.target.value)} />
        </label>
        <label>
          Until
          <input type="datetime-local" value={until} onChange={(e) => setUntil(e.target.value)} />
        </label>
        <label>
          Newest
          <input
            type="number"
            min={1}
            max={500}
            value={limit}
            onChange={(e) => setLimit(Number(e.target.value))}
          />
        </label>
        <button type="button" className="primary" onClick={run} disabled={busy}>
          {busy ? "Replaying…" : "Run replay"}
        </button>
      </fieldset>
      <p role="status">{status}</p>
      {error ? <ErrorBox error={error} /> : null}
      {report ? <ReplayResult report={report} /> : null}
    </section>
  );
}

function ReplayResult({ report }: { report: ReplayReport }) {
  const changedDecisions = report.decisions.filter((d) => d.before !== d.after);
  return (
    <div className="replay-result">
      <h2 role="status">
        {report.changed} outcome{report.changed === 1 ? "" : "s"} would change, {changedDecisions.length}{" "}
        decision
        {changedDecisions.length === 1 ? "" : "s"}
      </h2>
      <p className="muted">
        {report.evaluations} evaluations, {report.resources} resources replayed against{" "}
        {report.policySet.policies} policies.
      </p>
      {changedDecisions.length ? (
        <table>
          <caption>Decisions that would change</caption>
          <thead>
            <tr>
              <th scope="col">Evaluation</th>
              <th scope="col">Now</th>
              <th scope="col">With the candidates</th>
            </tr>
          </thead>
          <tbody>
            {changedDecisions.map((d) => (
              <tr key={d.evaluation}>
                <td>
                  <Link to={`/evaluations/${encodeURIComponent(d.evaluation)}`}>
                    <Literal text={d.evaluation} />
                  </Link>
                </td>
                <td>
                  <DecisionBadge decision={d.before} />
                </td>
                <td>
                  <DecisionBadge decision={d.after} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {report.changes.length ? (
        <table>
          <caption>Outcomes that would change</caption>
          <thead>
            <tr>
              <th scope="col">Resource</th>
              <th scope="col">Policy</th>
              <th scope="col">Now</th>
              <th scope="col">With the candidates</th>
            </tr>
          </thead>
          <tbody>
            {report.changes.map((c) => (
              <tr key={`${c.evaluation}|${resourceLabel(c.resource)}|${c.policy}`}>
                <td>
                  <Literal text={resourceLabel(c.resource)} />
                </td>
                <td>
                  <Literal text={c.policy} />
                </td>
                <td>
                  <OutcomeBadge outcome={c.before} />
                </td>
                <td>
                  <OutcomeBadge outcome={c.after} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
