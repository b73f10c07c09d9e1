/**
 * Writes docs/policies.md from the policy files under policies/.
 * Run: node --conditions=source --import tsx scripts/generate-policy-docs.ts
 * policies/docs.test.ts fails when the committed page differs from what this writes.
 */
import { writeFileSync } from "node:fs";
import { loadLibrary } from "../policies/library.js";
import { renderPolicyDocs } from "./policy-docs.js";

const target = new URL("../docs/policies.md", import.meta.url);
const { policies } = loadLibrary();
writeFileSync(target, renderPolicyDocs(policies.map((p) => p.doc)));
console.log(`wrote docs/policies.md (${policies.length} policies)`);
