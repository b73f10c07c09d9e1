import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fixture } from "../../../../test/support/fixtures.js";
import { parseManifests } from "../resources/parse.js";
import {
  canonicalResource,
  canonicalResourceJson,
  LAST_APPLIED_ANNOTATION,
  resourceDigest,
  resourceSubjectName,
} from "./canonical.js";

const read = (name: string) => readFileSync(fixture("receipts", name), "utf8");

describe("the canonical form of a resource", () => {
  it("gives the test vector's bytes and digest for its manifest", () => {
    const { resources, diagnostics } = parseManifests(read("manifest.yaml"), "manifest.yaml");
    expect(diagnostics).toEqual([]);
    expect(resources).toHaveLength(1);
    const object = resources[0]!.object;
    expect(canonicalResourceJson(object)).toBe(read("canonical.json"));
    expect(resourceDigest(object)).toBe(read("canonical.sha256").trim());
    expect(resourceSubjectName(object)).toBe("Deployment/shop/web");
  });

  it("leaves the input unchanged", () => {
    const object = { kind: "ConfigMap", metadata: { name: "a", uid: "u" }, status: {} };
    const copy = structuredClone(object);
    canonicalResource(object);
    expect(object).toEqual(copy);
  });

  it("removes an annotations map only when the last-applied annotation was all it held", () => {
    const only = { metadata: { annotations: { [LAST_APPLIED_ANNOTATION]: "{}" } } };
    expect(canonicalResource(only)).toEqual({ metadata: {} });
    expect(canonicalResource({ metadata: { annotations: {} } })).toEqual({ metadata: { annotations: {} } });
  });

  it("gives different digests for a one-character change, and the same for key order and server fields", () => {
    const a = { kind: "ConfigMap", metadata: { name: "a" }, data: { x: "1" } };
    expect(resourceDigest({ ...a, data: { x: "2" } })).not.toBe(resourceDigest(a));
    expect(resourceDigest({ data: { x: "1" }, metadata: { uid: "u", name: "a" }, kind: "ConfigMap" })).toBe(
      resourceDigest(a),
    );
  });

  it("names cluster-scoped and unnamed objects with empty parts, and never throws", () => {
    expect(resourceSubjectName({ kind: "Namespace", metadata: { name: "shop" } })).toBe("Namespace//shop");
    expect(resourceSubjectName(null)).toBe("//");
    expect(canonicalResourceJson("text")).toBe('"text"');
  });
});
