import { useEffect, useRef, useState } from "react";
import { PageTitle } from "../components/common.js";
import { ReportView } from "../components/report.js";
import { SourceEditor } from "../components/source-editor.js";
import { download } from "../lib/format.js";
import type { Outcome, PlaygroundInput } from "../lib/playground-run.js";

const EXAMPLE = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: app
          image: registry.example/shop/web:1.0
`;

/** How long an evaluation may run before its worker is ended, unless the reader sets another. */
export const DEFAULT_TIME_LIMIT_S = 60;

/** How long the input must stay unchanged before it is evaluated, in milliseconds. */
const SETTLE_MS = 150;

/** Where an evaluation stands: the outcome shown is the newest one finished. */
type Run = { state: "running" } | { state: "done" } | { state: "ended"; why: string };

/**
 * Evaluates `input` in a worker (lib/playground.worker.ts), off the page's thread: each new input
 * supersedes an evaluation still running (its worker is terminated, a new one started), and one
 * that runs past `limitSeconds` (read when it starts) is ended the same way, saying so.
 */
function useEvaluation(input: PlaygroundInput, limitSeconds: number): [Outcome | null, Run] {
  const worker = useRef<Worker | null>(null);
  const busy = useRef(false);
  const limit = useRef(limitSeconds);
  limit.current = limitSeconds;
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [run, setRun] = useState<Run>({ state: "running" });
  const { manifests, policy, images, useLibrary } = input;
  useEffect(() => {
    // superseded: the newer input is what the reader wants evaluated
    if (busy.current) {
      worker.current?.terminate();
      worker.current = null;
      busy.current = false;
    }
    setRun({ state: "running" });
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // a pause in typing first, as before with the deferred value: one evaluation per burst of keys
    const start = setTimeout(() => {
      if (live) timer = begin();
    }, SETTLE_MS);
    const begin = () => {
      const w =
        worker.current ??
        new Worker(new URL("../lib/playground.worker.ts", import.meta.url), {
          type: "module",
          name: "playground",
        });
      worker.current = w;
      busy.current = true;
      const seconds = limit.current;
      const end = (why: string) => {
        w.terminate();
        if (worker.current === w) worker.current = null;
        busy.current = false;
        setRun({ state: "ended", why });
      };
      const limitTimer = setTimeout(
        () =>
          end(
            `The evaluation was stopped after ${seconds} s, its time limit (set beside the editors); a report shown is from an earlier input.`,
          ),
        seconds * 1000,
      );
      w.onmessage = (event: MessageEvent<Outcome>) => {
        if (!live) return;
        clearTimeout(limitTimer);
        busy.current = false;
        setOutcome(event.data);
        setRun({ state: "done" });
      };
      w.onerror = (event) => {
        if (!live) return;
        clearTimeout(limitTimer);
        event.preventDefault();
        end(`The evaluation failed: ${event.message || "the worker stopped"}.`);
      };
      w.postMessage({ manifests, policy, images, useLibrary } satisfies PlaygroundInput);
      return limitTimer;
    };
    return () => {
      live = false;
      clearTimeout(start);
      clearTimeout(timer);
    };
  }, [manifests, policy, images, useLibrary]);
  useEffect(
    () => () => {
      worker.current?.terminate();
      worker.current = null;
    },
    [],
  );
  return [outcome, run];
}

const NO_MARKERS = [] as const;

export default function Playground() {
  const [manifests, setManifests] = useState(EXAMPLE);
  const [policy, setPolicy] = useState("");
  const [images, setImages] = useState("");
  const [useLibrary, setUseLibrary] = useState(true);
  const [limitSeconds, setLimitSeconds] = useState(DEFAULT_TIME_LIMIT_S);
  const [outcome, run] = useEvaluation({ manifests, policy, images, useLibrary }, limitSeconds);
  const report = outcome?.report ?? null;
  return (
    <section>
      <PageTitle
        actions={
          <button
            type="button"
            disabled={!report}
            onClick={() =>
              report &&
              download("playground-report.json", `${JSON.stringify(report, null, 2)}\n`, "application/json")
            }
          >
            Download JSON
          </button>
        }
      >
        Playground
      </PageTitle>
      <p className="notice" role="note">
        Evaluated in this browser by the celgate engine: nothing you paste here is sent to the service or
        anywhere else, and nothing is recorded.
      </p>
      <div className="grid-2">
        <div>
          <SourceEditor
            id="pg-manifests"
            label="Manifests (YAML or JSON; paste or drop a file)"
            value={manifests}
            onChange={setManifests}
            markers={outcome?.manifestMarkers ?? NO_MARKERS}
          />
          <SourceEditor
            id="pg-policy"
            label="Policy (optional; replaces a library policy of the same name)"
            value={policy}
            onChange={setPolicy}
            markers={outcome?.policyMarkers ?? NO_MARKERS}
            rows={12}
          />
          <SourceEditor
            id="pg-images"
            label="Image facts (optional; native, Trivy or Grype JSON)"
            value={images}
            onChange={setImages}
            markers={outcome?.imageMarkers ?? NO_MARKERS}
            rows={6}
          />
          <label className="check">
            <input type="checkbox" checked={useLibrary} onChange={(e) => setUseLibrary(e.target.checked)} />{" "}
            Use the built-in library{outcome ? ` (${outcome.librarySize} policies)` : ""}
          </label>
          <label className="check">
            Stop an evaluation after{" "}
            <input
              type="number"
              min={1}
              max={3600}
              step={1}
              value={limitSeconds}
              onChange={(e) => {
                const n = Math.round(Number(e.target.value));
                if (Number.isFinite(n) && n >= 1) setLimitSeconds(Math.min(n, 3600));
              }}
            />{" "}
            seconds
          </label>
        </div>
        <div>
          <h2>Report</h2>
          <div aria-live="polite">
            {run.state === "running" ? (
              <p className="muted" role="status">
                Evaluating… (editing any field starts again)
              </p>
            ) : null}
            {run.state === "ended" ? (
              <p className="error" role="alert">
                {run.why}
              </p>
            ) : null}
            {outcome?.problem ? <p>{outcome.problem}</p> : null}
          </div>
          <div aria-busy={run.state === "running"}>
            {report ? <ReportView report={report} hints={outcome?.hints ?? {}} /> : null}
          </div>
        </div>
      </div>
    </section>
  );
}
