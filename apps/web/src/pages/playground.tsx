import {
  compilePolicySet,
  type Diagnostic,
  evaluate,
  type ImageFacts,
  parseImageFacts,
  parseManifests,
  parsePolicyDocuments,
  toWireReport,
} from "@celgate/core";
import type { EvaluationReport } from "@celgate/sdk";
import { useDeferredValue, useMemo, useState } from "react";
import type { Marker } from "../components/code.js";
import { PageTitle } from "../components/common.js";
import { type PolicyHint, ReportView } from "../components/report.js";
import { SourceEditor } from "../components/source-editor.js";
import { LIBRARY } from "../lib/library.js";

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

const toMarkers = (ds: readonly Diagnostic[], file: string): Marker[] =>
  ds
    .filter((d) => d.file === undefined || d.file === file)
    .map((d) => ({ line: d.line, column: d.column, message: d.message, code: d.code }));

interface Outcome {
  report: EvaluationReport | null;
  hints: Record<string, PolicyHint>;
  manifestMarkers: Marker[];
  policyMarkers: Marker[];
  imageMarkers: Marker[];
  problem: string | null;
}

/** Everything runs here, in this page: parse, compile, evaluate. Never throws. */
function run(manifests: string, policy: string, images: string, useLibrary: boolean): Outcome {
  const out: Outcome = {
    report: null,
    hints: {},
    manifestMarkers: [],
    policyMarkers: [],
    imageMarkers: [],
    problem: null,
  };
  const parsed = parseManifests(manifests, "manifests.yaml");
  out.manifestMarkers = toMarkers(parsed.diagnostics, "manifests.yaml");
  const located = [];
  if (useLibrary)
    for (const f of LIBRARY) {
      const docs = parsePolicyDocuments(f.text, f.file);
      located.push(...docs.located.policies);
    }
  if (policy.trim()) {
    const own = parsePolicyDocuments(policy, "policy.yaml");
    out.policyMarkers = toMarkers(own.diagnostics, "policy.yaml");
    // a pasted policy replaces the library's policy of the same name
    const names = new Set(own.located.policies.map((p) => p.doc.metadata.name));
    for (let i = located.length - 1; i >= 0; i--)
      if (names.has(located[i]!.doc.metadata.name)) located.splice(i, 1);
    located.push(...own.located.policies);
  }
  const compiled = compilePolicySet(located, {
    fileLines: (file) => (file === "policy.yaml" ? policy.split("\n") : undefined),
  });
  out.policyMarkers.push(...toMarkers(compiled.diagnostics, "policy.yaml"));
  let facts: ImageFacts[] = [];
  if (images.trim()) {
    try {
      const parsedFacts = parseImageFacts(JSON.parse(images), "images.json");
      facts = parsedFacts.images;
      out.imageMarkers = toMarkers(parsedFacts.diagnostics, "images.json");
    } catch (e) {
      out.imageMarkers = [{ message: `not JSON: ${(e as Error).message}` }];
    }
  }
  if (compiled.set.policies.length === 0) {
    out.problem = "No policy to evaluate: paste a policy or use the built-in library.";
    return out;
  }
  if (parsed.resources.length === 0) {
    out.problem = "No resource to evaluate: paste or drop manifests.";
    return out;
  }
  const report = evaluate(compiled.set, { resources: parsed.resources, images: facts });
  for (const r of report.results) out.hints[r.policy] = { title: r.title, remediation: r.remediation };
  out.report = toWireReport(report);
  return out;
}

export default function Playground() {
  const [manifests, setManifests] = useState(EXAMPLE);
  const [policy, setPolicy] = useState("");
  const [images, setImages] = useState("");
  const [useLibrary, setUseLibrary] = useState(true);
  // typing stays responsive: the evaluation follows the deferred text
  const inputs = useDeferredValue({ manifests, policy, images, useLibrary });
  const outcome = useMemo(
    () => run(inputs.manifests, inputs.policy, inputs.images, inputs.useLibrary),
    [inputs.manifests, inputs.policy, inputs.images, inputs.useLibrary],
  );
  return (
    <section>
      <PageTitle>Playground</PageTitle>
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
            markers={outcome.manifestMarkers}
          />
          <SourceEditor
            id="pg-policy"
            label="Policy (optional; replaces a library policy of the same name)"
            value={policy}
            onChange={setPolicy}
            markers={outcome.policyMarkers}
            rows={12}
          />
          <SourceEditor
            id="pg-images"
            label="Image facts (optional; native, Trivy or Grype JSON)"
            value={images}
            onChange={setImages}
            markers={outcome.imageMarkers}
            rows={6}
          />
          <label className="check">
            <input type="checkbox" checked={useLibrary} onChange={(e) => setUseLibrary(e.target.checked)} />{" "}
            Use the built-in library ({LIBRARY.length} policies)
          </label>
        </div>
        <div aria-live="polite">
          <h2>Report</h2>
          {outcome.problem ? <p>{outcome.problem}</p> : null}
          {outcome.report ? <ReportView report={outcome.report} hints={outcome.hints} /> : null}
        </div>
      </div>
    </section>
  );
}
