import type { PolicyVersion } from "@celgate/sdk";
import { useState } from "react";
import { Link, useParams } from "react-router";
import { CodeView } from "../components/code.js";
import { PageTitle, Show } from "../components/common.js";
import { DiffView } from "../components/diff.js";
import { Literal } from "../components/literal.js";
import { PolicyTests } from "../components/policy-tests.js";
import { when } from "../lib/format.js";
import { useLoad } from "../lib/use-load.js";
import { toYaml } from "../lib/yaml.js";
import { can, useSession } from "../session.js";

function Versions({ versions }: { versions: PolicyVersion[] }) {
  const [a, setA] = useState(versions[1]?.version ?? versions[0]?.version ?? 0);
  const [b, setB] = useState(versions[0]?.version ?? 0);
  const text = (v: number) => {
    const doc = versions.find((x) => x.version === v)?.document;
    return doc ? toYaml(doc) : "";
  };
  return (
    <>
      <table>
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Change</th>
            <th scope="col">By</th>
            <th scope="col">When</th>
          </tr>
        </thead>
        <tbody>
          {versions.map((v) => (
            <tr key={v.version}>
              <td>{v.version}</td>
              <td>
                <Literal text={v.change} />
              </td>
              <td>
                <Literal text={v.actor} />
              </td>
              <td>{when(v.at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {versions.length > 1 ? (
        <>
          <fieldset className="filters">
            <legend className="visually-hidden">Compare versions</legend>
            <label>
              From version
              <select value={a} onChange={(e) => setA(Number(e.target.value))}>
                {versions.map((v) => (
                  <option key={v.version}>{v.version}</option>
                ))}
              </select>
            </label>
            <label>
              To version
              <select value={b} onChange={(e) => setB(Number(e.target.value))}>
                {versions.map((v) => (
                  <option key={v.version}>{v.version}</option>
                ))}
              </select>
            </label>
          </fieldset>
          <DiffView before={text(a)} after={text(b)} label={`Changes from version ${a} to ${b}`} />
        </>
      ) : null}
    </>
  );
}

export default function PolicyPage() {
  const { name = "" } = useParams();
  const session = useSession();
  const { client } = session;
  const [policy] = useLoad((signal) => client.policies.get(name, { signal }), [client, name]);
  const [versions] = useLoad(
    async (signal) => (await client.policies.versions(name, { limit: 500 }, { signal })).items,
    [client, name],
  );
  const [tests] = useLoad((signal) => client.policies.tests(name, { signal }), [client, name]);
  return (
    <section>
      <Show loaded={policy}>
        {(p) => {
          const spec = p.document.spec as {
            title?: string;
            description?: string;
            severity?: string;
            action?: string;
            remediation?: string;
            params?: Record<string, unknown>;
          };
          return (
            <>
              <PageTitle
                actions={
                  // the service refuses writes to policies of its repository folder (409)
                  can(session, "author") && p.source === "api" ? (
                    <Link to={`/policies/${encodeURIComponent(p.name)}/edit`}>Edit</Link>
                  ) : null
                }
              >
                <Literal text={p.name} />
              </PageTitle>
              {spec.title ? (
                <p className="lead">
                  <Literal text={spec.title} />
                </p>
              ) : null}
              {p.source === "repository" ? (
                <p className="muted">
                  From the service's policy folder: change it there (a replay can try a change first).
                </p>
              ) : null}
              <dl className="facts">
                <dt>Severity</dt>
                <dd>{spec.severity}</dd>
                <dt>Action</dt>
                <dd>{spec.action}</dd>
                <dt>Labels</dt>
                <dd>
                  <Literal
                    text={
                      Object.entries(p.labels)
                        .map(([k, v]) => `${k}=${v}`)
                        .join(", ") || "none"
                    }
                  />
                </dd>
                <dt>Version</dt>
                <dd>
                  {p.version} ({p.source}), {when(p.updatedAt)} by <Literal text={p.updatedBy} />
                </dd>
              </dl>
              {spec.description ? (
                <p>
                  <Literal text={spec.description} />
                </p>
              ) : null}
              {spec.remediation ? (
                <>
                  <h2>Remediation</h2>
                  <p>
                    <Literal text={spec.remediation} />
                  </p>
                </>
              ) : null}
              {spec.params ? (
                <>
                  <h2>Parameters</h2>
                  <CodeView text={toYaml(spec.params)} label="Parameters" />
                </>
              ) : null}
              <h2>Source</h2>
              <CodeView text={toYaml(p.document)} label={`Source of ${p.name}`} />
            </>
          );
        }}
      </Show>
      <h2>Tests</h2>
      <Show loaded={tests}>{(t) => <PolicyTests tests={t} />}</Show>
      <h2>Versions</h2>
      <Show loaded={versions}>{(v) => <Versions versions={v} />}</Show>
    </section>
  );
}
