// Compiled CEL decides as the interpreter does, over the built-in library: every expression of
// the library compiles (none falls back), every PolicyTest case ends alike (outcome, messages,
// pass or fail) with the library compiled and interpreted, and so do whole reports over the
// corpora's real manifests and Pod Security Admission fixtures (when CELGATE_CORPORA is set).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { compilePolicySet, evaluate, parseManifests } from "@celgate/core";
import { runPolicyTests } from "@celgate/core/testing";
import { describe, expect, it } from "vitest";
import { generateBundle } from "../../bench/generate.js";
import { loadLibrary } from "../../policies/library.js";
import { corpus, needsCorpora } from "../support/corpora.js";

const library = loadLibrary();
const compiled = compilePolicySet(library.policies, { celEngine: "compile" });
const interpreted = compilePolicySet(library.policies, { celEngine: "interpret" });
const NOW = new Date("2026-06-01T00:00:00Z");

function expressionsOf(set: typeof compiled.set) {
  return set.policies.flatMap((p) =>
    [
      ...p.matchConditions,
      ...p.variables,
      ...p.validations.flatMap((v) => [v.expression, ...(v.messageExpression ? [v.messageExpression] : [])]),
    ].map((e) => ({ policy: p.name, path: e.path, engine: e.engine, because: e.interpretedBecause })),
  );
}

describe("the library compiled and interpreted", () => {
  it("compiles every expression of the library", () => {
    expect(compiled.diagnostics).toEqual([]);
    const expressions = expressionsOf(compiled.set);
    expect(expressions.length).toBeGreaterThan(100);
    expect(expressions.filter((e) => e.engine !== "compiled")).toEqual([]);
    expect(expressionsOf(interpreted.set).every((e) => e.engine === "interpreted")).toBe(true);
  });

  it("ends every PolicyTest case alike", () => {
    const readFixture = (testFile: string | undefined, path: string) => {
      try {
        return readFileSync(join(testFile ? join(testFile, "..") : ".", path), "utf8");
      } catch {
        return undefined;
      }
    };
    const a = runPolicyTests(library.tests, compiled.set, { readFixture });
    const b = runPolicyTests(library.tests, interpreted.set, { readFixture });
    expect(a.cases.length).toBeGreaterThan(150);
    expect(a.cases).toEqual(b.cases);
  });
});

describe("the generated bench bundle", () => {
  // namespaces with NetworkPolicies, quotas and LimitRanges around their workloads: the policies
  // that read `bundle` run their comprehensions through list indexes (cel/compile/list-index.ts)
  // when compiled, and scan when interpreted
  it("gets the same report compiled and interpreted", () => {
    const generated = generateBundle(150);
    const { resources } = parseManifests(generated.yaml, "generated.yaml");
    const input = { resources, context: { namespace: "team-001" }, now: NOW };
    const a = evaluate(compiled.set, input);
    const b = evaluate(interpreted.set, input);
    expect(a.results.some((r) => r.policy === "workload-network-policy" && r.outcome === "pass")).toBe(true);
    expect(a.results.some((r) => r.policy === "workload-network-policy" && r.outcome === "fail")).toBe(true);
    expect(a.results).toEqual(b.results);
    expect(a.summary).toEqual(b.summary);
  });
});

const withManifests = needsCorpora("compiled-cel-manifests");
describe.skipIf(!withManifests)("real manifests (corpora)", () => {
  const dir = withManifests ? corpus("manifests") : "";
  const files = withManifests ? readdirSync(dir).filter((name) => name.endsWith(".yaml")) : [];
  it.each(files)("%s: the same report", (name) => {
    const { resources } = parseManifests(readFileSync(join(dir, name), "utf8"), name);
    const input = { resources, context: { namespace: "default" }, now: NOW };
    const a = evaluate(compiled.set, input);
    const b = evaluate(interpreted.set, input);
    expect(a.results.length).toBeGreaterThan(0);
    expect(a.results).toEqual(b.results);
    expect(a.summary).toEqual(b.summary);
  });
});

const withPsa = needsCorpora("compiled-cel-psa");
describe.skipIf(!withPsa)("Pod Security Admission fixtures (corpora)", () => {
  const files = withPsa
    ? ["baseline-v1.37", "restricted-v1.37"].flatMap((level) =>
        ["pass", "fail"].flatMap((expected) => {
          const dir = corpus("psa", level, expected);
          return readdirSync(dir)
            .filter((name) => name.endsWith(".yaml"))
            .map((name) => join(dir, name));
        }),
      )
    : [];
  it("decide alike on every fixture", () => {
    expect(files.length).toBeGreaterThan(100);
    for (const path of files) {
      const { resources } = parseManifests(readFileSync(path, "utf8"), path);
      const input = { resources, now: NOW };
      expect(evaluate(compiled.set, input).results, path).toEqual(evaluate(interpreted.set, input).results);
    }
  });
});
