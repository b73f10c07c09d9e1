import { describe, expect, it } from "vitest";
import { parseManifests, resourcesFromObjects } from "../resources/parse.js";
import { skippedDocumentNotices } from "./notices.js";

const NO_KIND = "document has no apiVersion or kind, so it is not a Kubernetes object; skipped";
const NOT_A_MAPPING = "document is not a Kubernetes object (a mapping with apiVersion and kind); skipped";
const DEPLOYMENT = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n";

describe("skippedDocumentNotices", () => {
  it("names each skipped document of a YAML stream by file, line and document index, and why", () => {
    const text = `${DEPLOYMENT}---\n# config\nreplicas: 3\n---\nhello\n---\napiVersion: celgate.dev/v1\nkind: Policy\nmetadata: {name: p}\n`;
    const parsed = parseManifests(text, "k8s/app.yaml");
    expect(parsed.resources).toHaveLength(1);
    expect(skippedDocumentNotices(parsed.diagnostics)).toEqual([
      {
        kind: "skipped-document",
        message: `k8s/app.yaml:5: ${NO_KIND}`,
        source: { file: "k8s/app.yaml", document: 1, line: 5 },
      },
      {
        kind: "skipped-document",
        message: `k8s/app.yaml:8: ${NOT_A_MAPPING}`,
        source: { file: "k8s/app.yaml", document: 2, line: 8 },
      },
      {
        kind: "skipped-document",
        message:
          "k8s/app.yaml:10: a celgate Policy document, not a Kubernetes object; skipped (pass it with --policies, --exceptions or --images)",
        source: { file: "k8s/app.yaml", document: 3, line: 10 },
      },
    ]);
  });

  it("tells the documents of one JSON list apart by their index", () => {
    const parsed = parseManifests('[{"a": 1}, {"apiVersion": "v1", "kind": "ConfigMap"}, 7]', "list.json");
    expect(skippedDocumentNotices(parsed.diagnostics).map((n) => n.source)).toEqual([
      { file: "list.json", document: 0, line: 1 },
      { file: "list.json", document: 2, line: 1 },
    ]);
  });

  it("names an object of a list given as objects by its index, without a line", () => {
    const read = resourcesFromObjects([{ a: 1 }, { apiVersion: "v1", kind: "ConfigMap" }, "x"], "resources");
    expect(skippedDocumentNotices(read.diagnostics)).toEqual([
      {
        kind: "skipped-document",
        message: `resources[0]: ${NO_KIND}`,
        source: { file: "resources", document: 0 },
      },
      {
        kind: "skipped-document",
        message: `resources[2]: ${NOT_A_MAPPING}`,
        source: { file: "resources", document: 2 },
      },
    ]);
  });

  it("leaves errors out: input with one is refused, not evaluated with a notice", () => {
    const parsed = parseManifests("a: [1\n", "broken.yaml");
    expect(parsed.diagnostics.length).toBeGreaterThan(0);
    expect(skippedDocumentNotices(parsed.diagnostics)).toEqual([]);
    expect(skippedDocumentNotices(parseManifests(DEPLOYMENT, "ok.yaml").diagnostics)).toEqual([]);
  });
});
