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
import type { Marker } from "../components/code.js";
import type { PolicyHint } from "../components/report.js";
import { LIBRARY } from "./library.js";

/** What the playground evaluates: the three editors' texts and whether the library is used. */
export interface PlaygroundInput {
  manifests: string;
  policy: string;
  images: string;
  useLibrary: boolean;
}

/** What an evaluation gives the page: plain data, so it crosses from the worker as it is. */
export interface Outcome {
  report: EvaluationReport | null;
  hints: Record<string, PolicyHint>;
  manifestMarkers: Marker[];
  policyMarkers: Marker[];
  imageMarkers: Marker[];
  problem: string | null;
  /** How many files the built-in library has (the page does not load it: the worker does). */
  librarySize: number;
}

const toMarkers = (ds: readonly Diagnostic[], file: string): Marker[] =>
  ds
    .filter((d) => d.file === undefined || d.file === file)
    .map((d) => ({ line: d.line, column: d.column, message: d.message, code: d.code }));

/**
 * Parses, compiles and evaluates the playground's input with the engine. Never throws. Runs in
 * the playground's worker (playground.worker.ts), off the page's thread.
 */
export function runPlayground({ manifests, policy, images, useLibrary }: PlaygroundInput): Outcome {
  const out: Outcome = {
    report: null,
    hints: {},
    manifestMarkers: [],
    policyMarkers: [],
    imageMarkers: [],
    problem: null,
    librarySize: LIBRARY.length,
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
