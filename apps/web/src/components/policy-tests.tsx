import type { PolicyTestCase, PolicyTestCaseResult, PolicyTestList, PolicyTestRun } from "@celgate/sdk";
import { useState } from "react";
import { stringify } from "yaml";
import { useSession } from "../session.js";
import { CodeView } from "./code.js";
import { ErrorBox, OutcomeBadge } from "./common.js";
import { Literal } from "./literal.js";

/** What a case evaluates, in a few words: the fixture file, or the inline object's kind and name. */
function subject(c: PolicyTestCase): string {
  if (c.fixture) return c.fixture.path;
  const r = c.resource as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } } | undefined;
  const ns = typeof r?.metadata?.namespace === "string" ? `${r.metadata.namespace}/` : "";
  return `${String(r?.kind ?? "object")} ${ns}${String(r?.metadata?.name ?? "")}`.trim();
}

/** The case as written: its input, and what else it sets. */
function caseText(c: PolicyTestCase): string {
  const { test: _t, file: _f, name: _n, expect: _e, fixture, ...rest } = c;
  const head = stringify(rest).trim();
  if (!fixture) return head;
  const body = fixture.content ?? `# ${fixture.error ?? "not read"}`;
  return `${head === "{}" ? "" : `${head}\n`}# ${fixture.path}\n${body}`;
}

function Result({ result }: { result: PolicyTestCaseResult | undefined }) {
  if (!result) return <span className="muted">not run</span>;
  return (
    <>
      <span className={`badge ${result.passed ? "outcome-pass" : "outcome-fail"}`}>
        {result.passed ? "passed" : "failed"}
      </span>{" "}
      {result.actual ? (
        <>
          got <OutcomeBadge outcome={result.actual} />
        </>
      ) : null}
      {result.reason ? (
        <div className="error-text">
          <Literal text={result.reason} />
        </div>
      ) : null}
      {!result.passed && result.line !== undefined ? (
        // where the failing case is, as `celgate test` points at it (an editor jumps there)
        <div className="muted">
          at <Literal text={`${result.file}:${result.line}:${result.column ?? 1}`} />
        </div>
      ) : null}
      {result.messages.length ? (
        <ul className="messages" aria-label="Messages">
          {result.messages.map((m, i) => (
            <li key={i}>
              <Literal text={m} />
            </li>
          ))}
        </ul>
      ) : null}
    </>
  );
}

/**
 * A policy's PolicyTest cases (from the service's policy repository) with their expected
 * outcome, and a "Run tests" action that shows each case's result and messages.
 */
export function PolicyTests({ tests }: { tests: PolicyTestList }) {
  const { client } = useSession();
  const [run, setRun] = useState<PolicyTestRun | null>(null);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const start = async () => {
    setRunning(true);
    setError(null);
    try {
      setRun(await client.policies.runTests(tests.policy));
    } catch (e) {
      setError(e);
    } finally {
      setRunning(false);
    }
  };
  // a run answers the cases in the order listed; pair them by position and name
  const resultOf = (c: PolicyTestCase, i: number) => {
    const r = run?.cases[i];
    return r && r.name === c.name && r.test === c.test ? r : undefined;
  };
  return (
    <div className="policy-tests">
      {tests.empty ? (
        <p className="muted">
          <Literal text={tests.empty.message} />.
        </p>
      ) : null}
      {tests.diagnostics.length ? (
        <ul className="problems" aria-label="Problems in the test files">
          {tests.diagnostics.map((d, i) => (
            <li key={i}>
              <Literal text={d.file} />
              {d.line ? `:${d.line}${d.column ? `:${d.column}` : ""}` : ""}: <Literal text={d.message} />
            </li>
          ))}
        </ul>
      ) : null}
      {tests.cases.length ? (
        <>
          <div className="buttons">
            <button type="button" className="primary" onClick={start} disabled={running}>
              Run tests
            </button>
          </div>
          <p role="status">
            {running
              ? "Running…"
              : run
                ? `${run.passed} passed, ${run.failed} failed (version ${run.version})`
                : ""}
          </p>
          {error ? <ErrorBox error={error} /> : null}
          <table>
            <caption className="visually-hidden">
              Test cases of <Literal text={tests.policy} />
            </caption>
            <thead>
              <tr>
                <th scope="col">Case</th>
                <th scope="col">Expected</th>
                <th scope="col">Input</th>
                <th scope="col">Result</th>
              </tr>
            </thead>
            <tbody>
              {tests.cases.map((c, i) => (
                <tr key={`${c.file}\u0000${c.test}\u0000${i}`}>
                  <th scope="row">
                    <Literal text={c.name} />
                    <div className="muted">
                      <Literal text={`${c.file} (${c.test})`} />
                    </div>
                  </th>
                  <td>
                    <OutcomeBadge outcome={c.expect} />
                    {c.messageContains ? (
                      <div className="muted">
                        message contains “<Literal text={c.messageContains} />”
                      </div>
                    ) : null}
                  </td>
                  <td>
                    <details>
                      <summary>
                        <Literal text={subject(c)} />
                      </summary>
                      <CodeView text={caseText(c)} label={`Input of ${c.name}`} />
                    </details>
                  </td>
                  <td>
                    <Result result={resultOf(c, i)} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </div>
  );
}
