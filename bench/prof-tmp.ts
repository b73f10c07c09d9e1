import { readFileSync } from "node:fs";
import { isWorkload, NO_POLICY } from "./context.js";
import { generateBundle } from "./generate.js";
import { compilePolicySet, evaluate, parseManifests, parsePolicyDocuments } from "./lib/core.js";
import { activationFor, runDirect } from "./rules/direct.js";

const parsed = parsePolicyDocuments(readFileSync("bench/rules/five-rules.yaml", "utf8"), "x");
const set = compilePolicySet(parsed.located.policies, {
  celEngine: process.env.ENGINE === "interpret" ? "interpret" : "compile",
}).set;
const g = generateBundle(1000);
const resources = parseManifests(g.yaml, "g").resources.filter(isWorkload);
const now = new Date();
const acts = resources.map((r) => activationFor(r, now));
const mode = process.env.MODE ?? "bare";
const t0 = performance.now();
let n = 0;
while (performance.now() - t0 < 8000) {
  if (mode === "bare")
    for (const a of acts) {
      if (a) for (const p of set.policies) runDirect(p, a);
    }
  else if (mode === "none") evaluate(set, { resources, now, select: NO_POLICY });
  else evaluate(set, { resources, now });
  n++;
}
console.log(mode, n, "rounds", ((performance.now() - t0) / n).toFixed(1), "ms/round");
