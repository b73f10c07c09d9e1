import type { ReplayInput, ReplayReport } from "@celgate/sdk";
import { useState } from "react";
import { Link, useSearchParams } from "react-router";
import { Editor } from "../components/code.js";
import { DecisionBadge, ErrorBox, OutcomeBadge, PageTitle } from "../components/common.js";
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

  const run = async () => {
    setBusy(true);
    setError(null);
    setReport(null);
    try {
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
              (p) => setYaml(toYaml(p.document)),
              (e: unknown) => setError(e),
            )
          }
        >
          Load
        </button>
      </fieldset>
      <Editor
        id="replay-policies"
        label="Candidate policies (YAML; a name in force is replaced)"
        value={yaml}
        onChange={setYaml}
        rows={14}
      />
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
                  <Link to={`/evaluations/${encodeURIComponent(d.evaluation)}`}>{d.evaluation}</Link>
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
                <td>{resourceLabel(c.resource)}</td>
                <td>{c.policy}</td>
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
