// The canonical form of a resource is defined once, in the engine (packages/core/src/receipts);
// the SDK, which may not import the engine, holds a copy. These tests prove the copy equal: the
// same bytes and digest for the fixed test vector, for hand-made edge cases, and for every
// resource of the manifest corpora.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  canonicalResourceJson,
  parseManifests,
  resourceDigest,
  resourceSubjectName,
} from "../../packages/core/src/index.js";
import * as sdk from "../../packages/sdk/src/receipts/canonical.js";
import { corpus, needsCorpora } from "../support/corpora.js";
import { fixture } from "../support/fixtures.js";

async function expectSame(object: unknown): Promise<void> {
  expect(sdk.canonicalResourceJson(object)).toBe(canonicalResourceJson(object));
  expect(await sdk.resourceDigest(object)).toBe(resourceDigest(object));
  expect(sdk.resourceSubjectName(object)).toBe(resourceSubjectName(object));
}

describe("the SDK's canonical form equals the engine's", () => {
  it("on the test vector, byte for byte", async () => {
    const { resources } = parseManifests(
      readFileSync(fixture("receipts", "manifest.yaml"), "utf8"),
      "m.yaml",
    );
    const object = resources[0]!.object;
    expect(sdk.canonicalResourceJson(object)).toBe(
      readFileSync(fixture("receipts", "canonical.json"), "utf8"),
    );
    expect(await sdk.resourceDigest(object)).toBe(
      readFileSync(fixture("receipts", "canonical.sha256"), "utf8").trim(),
    );
    await expectSame(object);
  });

  it.each([
    ["no metadata", { apiVersion: "v1", kind: "ConfigMap", status: { x: 1 } }],
    ["metadata that is not an object", { kind: "ConfigMap", metadata: "x" }],
    [
      "only the last-applied annotation",
      { metadata: { annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{}" } } },
    ],
    ["an empty annotations map", { metadata: { annotations: {}, uid: "u", generation: 3 } }],
    ["non-ASCII keys out of order", { é: 1, z: 2, Z: 3, "\u{1F600}": 4, "\uFFFD": 5, a: [{ b: 1, a: 2 }] }],
    ["numbers", { a: 1e21, b: 1e-7, c: -0, d: 0.1, e: 123456789012345680000, f: 5e-324 }],
    ["control characters and a lone surrogate", { s: "\u0000\u001f\u007f\u2028\ud800" }],
    // JSON.parse (and the YAML reader) make `__proto__` an own key: it is data, in both copies
    ["a __proto__ key", JSON.parse('{"data":{"__proto__":{"x":1},"a":"1"},"__proto__":"top"}')],
    ["a scalar", "text"],
    ["null", null],
  ])("on %s", async (_name, object) => {
    await expectSame(object);
  });

  describe.skipIf(!needsCorpora("receipts canonical agreement"))(
    "on every resource of the manifest corpora",
    () => {
      const files = needsCorpora("receipts canonical agreement")
        ? readdirSync(corpus("manifests")).filter((f) => f.endsWith(".yaml"))
        : [];
      it.each(files)("%s", async (file) => {
        const { resources } = parseManifests(readFileSync(corpus("manifests", file), "utf8"), file);
        expect(resources.length).toBeGreaterThan(0);
        for (const r of resources) await expectSame(r.object);
      });
    },
  );
});
