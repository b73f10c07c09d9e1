import { isApiError, type PolicyResource } from "@celgate/sdk";
import { useEffect, useState } from "react";
import { useNavigate, useParams } from "react-router";
import type { Marker } from "../components/code.js";
import { ErrorBox, PageTitle } from "../components/common.js";
import { DiffView } from "../components/diff.js";
import { Literal } from "../components/literal.js";
import { SourceEditor } from "../components/source-editor.js";
import { when } from "../lib/format.js";
import { toYaml } from "../lib/yaml.js";
import { useSession } from "../session.js";

const TEMPLATE = `apiVersion: celgate.dev/v1
kind: Policy
metadata:
  name: my-policy
  labels:
    practice: custom
spec:
  title: Deployments run at most 10 replicas
  severity: medium
  action: deny
  match:
    kinds: [Deployment]
  validations:
    - expression: "object.spec.?replicas.orValue(1) <= 10"
      message: too many replicas
`;

export default function PolicyEdit() {
  const { name } = useParams();
  const { client } = useSession();
  const navigate = useNavigate();
  const [text, setText] = useState(name ? "" : TEMPLATE);
  const [base, setBase] = useState<PolicyResource | null>(null);
  const [markers, setMarkers] = useState<Marker[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [status, setStatus] = useState("");
  const [conflict, setConflict] = useState<PolicyResource | null>(null);

  useEffect(() => {
    if (!name) return;
    client.policies.get(name).then(
      (p) => {
        setBase(p);
        setText(toYaml(p.document));
      },
      (e: unknown) => setError(e),
    );
  }, [client, name]);

  const check = async (): Promise<boolean> => {
    setError(null);
    const result = await client.policies.validate(text);
    setMarkers(
      result.diagnostics.map((d) => ({ line: d.line, column: d.column, message: d.message, code: d.code })),
    );
    setStatus(result.valid ? "The policy is valid." : `${result.diagnostics.length} problem(s) found.`);
    return result.valid;
  };

  const save = async (etag = base?.etag) => {
    setStatus("");
    setConflict(null);
    try {
      if (!(await check())) return;
      const saved = name
        ? await client.policies.update(name, text, { ifMatch: etag })
        : await client.policies.create(text);
      navigate(`/policies/${encodeURIComponent(saved.name)}`);
    } catch (e) {
      if (isApiError(e) && e.status === 412 && name) {
        // someone else saved first: show their version against the one this edit started from
        setConflict(await client.policies.get(name));
        return;
      }
      if (isApiError(e) && e.problem.errors?.length)
        setMarkers(
          e.problem.errors.map((x) => ({ line: x.line, column: x.column, message: x.message, code: x.code })),
        );
      setError(e);
    }
  };

  return (
    <section>
      <PageTitle>
        {name ? (
          <>
            Edit <Literal text={name} />
          </>
        ) : (
          "New policy"
        )}
      </PageTitle>
      <SourceEditor
        id="policy-source"
        label="Policy (YAML)"
        value={text}
        onChange={setText}
        markers={markers}
        rows={24}
      />
      <div className="buttons">
        <button type="button" onClick={() => check().catch(setError)}>
          Check
        </button>
        <button type="button" className="primary" onClick={() => save()}>
          Save
        </button>
      </div>
      <p role="status">{status}</p>
      {error ? <ErrorBox error={error} /> : null}
      {conflict && base ? (
        <div className="conflict" role="alert">
          <h2>Someone else changed this policy</h2>
          <p>
            Version {conflict.version} was saved by <Literal text={conflict.updatedBy} /> at{" "}
            {when(conflict.updatedAt)}, after the version {base.version} you started from. Their change:
          </p>
          <DiffView
            before={toYaml(base.document)}
            after={toYaml(conflict.document)}
            label="The other change"
          />
          <div className="buttons">
            <button
              type="button"
              onClick={() => {
                setBase(conflict);
                setText(toYaml(conflict.document));
                setConflict(null);
              }}
            >
              Discard mine, load theirs
            </button>
            <button
              type="button"
              onClick={() => {
                setBase(conflict);
                save(conflict.etag);
              }}
            >
              Save mine over theirs
            </button>
          </div>
        </div>
      ) : null}
    </section>
  );
}
