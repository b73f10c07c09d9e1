/**
 * Pod Security Standards agreement: the library's `pss` policies must decide exactly as Pod
 * Security Admission does on the upstream fixtures (../shared/corpora/psa, see CHECKS.md there).
 * Pass fixtures must be allowed, fail fixtures denied, at both levels.
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { evaluate, parseLabelSelector, parseManifests } from "@celgate/core";
import { afterAll, describe, expect, test } from "vitest";
import { loadLibrary } from "./library.js";

const CORPUS = new URL("../../shared/corpora/psa/", import.meta.url);

const LEVELS = [
  { level: "baseline", folder: "baseline-v1.37", select: "pss=baseline" },
  { level: "restricted", folder: "restricted-v1.37", select: "pss in (baseline,restricted)" },
] as const;

for (const { level, folder, select } of LEVELS) {
  describe(`PSA ${level}`, () => {
    const cases = (["pass", "fail"] as const).flatMap((expected) => {
      const dir = new URL(`${folder}/${expected}/`, CORPUS);
      return readdirSync(dir)
        .filter((name) => name.endsWith(".yaml"))
        .sort()
        .map((name) => ({ expected, name, path: fileURLToPath(new URL(name, dir)) }));
    });
    let agree = 0;

    test("the corpus is there", () => {
      expect(cases.length).toBeGreaterThan(0);
    });

    test.each(cases)("$expected/$name", ({ expected, name, path }) => {
      const { set } = loadLibrary();
      const { resources, diagnostics } = parseManifests(readFileSync(path, "utf8"), name);
      expect(diagnostics.filter((d) => d.severity !== "warning")).toEqual([]);
      const selector = parseLabelSelector(select);
      if (!selector.ok) throw new Error(selector.error);
      const report = evaluate(set, {
        resources,
        select: selector.selector,
        now: new Date("2026-06-01T00:00:00Z"),
      });
      const errors = report.results.filter((r) => r.outcome === "error");
      expect(errors.map((r) => `${r.policy}: ${r.error}`)).toEqual([]);
      const failing = report.results.filter((r) => r.outcome === "fail").map((r) => r.policy);
      const want = expected === "pass" ? "allow" : "deny";
      if (report.decision === want) agree++;
      expect(report.decision, `failing policies: ${failing.join(", ") || "none"}`).toBe(want);
    });

    afterAll(() => {
      console.log(`PSA ${level}: ${agree}/${cases.length} agree`);
    });
  });
}
