/** docs/policies.md is generated from the policy files; this fails when it is out of date. */
import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { renderPolicyDocs } from "../scripts/policy-docs.js";
import { loadLibrary } from "./library.js";

test("docs/policies.md is up to date (regenerate: node --conditions=source --import tsx scripts/generate-policy-docs.ts)", () => {
  const { policies } = loadLibrary();
  const committed = readFileSync(new URL("../docs/policies.md", import.meta.url), "utf8");
  expect(committed).toBe(renderPolicyDocs(policies.map((p) => p.doc)));
});
