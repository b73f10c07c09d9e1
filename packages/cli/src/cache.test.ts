import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cacheDir, cacheKey, readCache, writeCache } from "./cache.js";
import { InputError } from "./errors.js";
import { loadPolicyInputs } from "./inputs/policy-set.js";

const POLICY = `apiVersion: celgate.dev/v1
kind: Policy
metadata: {name: no-privileged}
spec:
  match: {kinds: [Workload]}
  validations:
    - expression: containers.all(c, !c.?securityContext.?privileged.orValue(false))
`;

const TEST = `apiVersion: celgate.dev/v1
kind: PolicyTest
metadata: {name: no-privileged-tests}
spec:
  policy: no-privileged
  cases:
    - name: plain pod
      expect: pass
      resource: {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x}]}}
`;

let dir: string;
let saved: string | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "celgate-cache-test-"));
  saved = process.env.CELGATE_CACHE_DIR;
  process.env.CELGATE_CACHE_DIR = join(dir, "cache");
});

afterEach(() => {
  if (saved === undefined) delete process.env.CELGATE_CACHE_DIR;
  else process.env.CELGATE_CACHE_DIR = saved;
});

function entries(): string[] {
  try {
    return readdirSync(join(dir, "cache")).filter((name) => name.endsWith(".bin"));
  } catch {
    return [];
  }
}

describe("cacheDir", () => {
  it("prefers CELGATE_CACHE_DIR, then XDG_CACHE_HOME, and is off with CELGATE_CACHE=off", () => {
    expect(cacheDir({ CELGATE_CACHE_DIR: "/c", XDG_CACHE_HOME: "/x" })).toBe("/c");
    expect(cacheDir({ XDG_CACHE_HOME: "/x" })).toBe(join("/x", "celgate"));
    expect(cacheDir({ HOME: "/h" })).toMatch(/\.cache[/\\]celgate$/);
    expect(cacheDir({ CELGATE_CACHE: "off", CELGATE_CACHE_DIR: "/c" })).toBeUndefined();
  });
});

describe("readCache and writeCache", () => {
  const documents = {
    policies: [{ doc: { metadata: { name: "a" } } as never, origin: { file: "a.yaml", document: 0 } }],
    exceptions: [],
    typedFacts: new Map([["a\u0000spec.validations[0].expression", { types: ["bool"], cost: 3 }]]),
  };
  const key = cacheKey([{ name: "a.yaml", text: "x" }]);

  it("round-trips, and keys differ with a file's name or content", () => {
    const store = join(dir, "store");
    writeCache(key, documents, store);
    expect(readCache(key, store)).toEqual(documents);
    expect(cacheKey([{ name: "a.yaml", text: "y" }])).not.toBe(key);
    expect(cacheKey([{ name: "b.yaml", text: "x" }])).not.toBe(key);
    expect(readCache(cacheKey([{ name: "a.yaml", text: "y" }]), store)).toBeUndefined();
  });

  it("ignores a truncated, corrupted or foreign entry", () => {
    const store = join(dir, "store");
    writeCache(key, documents, store);
    const file = join(store, `policies-${key}.bin`);
    const good = readFileSync(file);
    writeFileSync(file, good.subarray(0, good.length - 3));
    expect(readCache(key, store)).toBeUndefined();
    const flipped = Buffer.from(good);
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] ?? 0) ^ 0xff;
    writeFileSync(file, flipped);
    expect(readCache(key, store)).toBeUndefined();
    writeFileSync(file, "garbage");
    expect(readCache(key, store)).toBeUndefined();
    // an entry written for another key, renamed to this one
    const other = cacheKey([{ name: "o.yaml", text: "o" }]);
    writeCache(other, documents, store);
    writeFileSync(file, readFileSync(join(store, `policies-${other}.bin`)));
    expect(readCache(key, store)).toBeUndefined();
  });

  it("ignores an entry whose typed-check findings are not a map of {types, cost}", () => {
    const store = join(dir, "store");
    for (const typedFacts of [
      undefined,
      {},
      new Map([["k", { types: "bool", cost: 1 }]]),
      new Map([["k", { types: ["bool"], cost: Number.NaN }]]),
      new Map([["k", null]]),
    ]) {
      writeCache(key, { ...documents, typedFacts: typedFacts as never }, store);
      expect(readCache(key, store)).toBeUndefined();
    }
  });
});

describe("loadPolicyInputs for check", () => {
  function library(): string {
    const root = join(dir, "policies");
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, "no-privileged.yaml"), POLICY);
    writeFileSync(join(root, "no-privileged.test.yaml"), TEST);
    return root;
  }

  it("does not read test files, caches the parsed documents, and reuses them when unchanged", () => {
    const root = library();
    const cold = loadPolicyInputs([root], [], { forEvaluation: true });
    expect(cold.documents.tests).toEqual([]);
    expect(entries()).toHaveLength(1);
    const warm = loadPolicyInputs([root], [], { forEvaluation: true });
    expect(warm.set.digest).toBe(cold.set.digest);
    expect(warm.set.policies.map((p) => p.name)).toEqual(["no-privileged"]);
    // the same documents as a load without the cache that reads the tests too (validate, test)
    const plain = loadPolicyInputs([root], [], { tests: true });
    expect(plain.set.digest).toBe(cold.set.digest);
    expect(plain.documents.tests).toHaveLength(1);
    // a changed file is a new key: the new content is used
    writeFileSync(join(root, "no-privileged.yaml"), POLICY.replace("no-privileged}", "no-priv}"));
    expect(loadPolicyInputs([root], [], { forEvaluation: true }).set.policies[0]!.name).toBe("no-priv");
    expect(entries()).toHaveLength(2);
  });

  it("replays the typed check's findings from the cache instead of checking again", () => {
    const root = library();
    const cold = loadPolicyInputs([root], [], { forEvaluation: true });
    const [file] = entries();
    const key = file!.slice("policies-".length, -".bin".length);
    const entry = readCache(key);
    expect([...(entry?.typedFacts.entries() ?? [])]).toEqual([
      [
        "no-privileged\u0000spec.validations[0].expression",
        { types: expect.any(Array), cost: expect.any(Number) },
      ],
    ]);
    const [, facts] = [...entry!.typedFacts][0]!;
    expect(cold.set.policies[0]!.validations[0]!.expression.cost).toBe(facts.cost);
    // a finding the check would never make (this validation typed as a string): replayed, so
    // the warm load refuses it where a fresh check would not, which shows the check was skipped
    writeCache(key, {
      ...entry!,
      typedFacts: new Map([[[...entry!.typedFacts.keys()][0]!, { types: ["string"], cost: 1 }]]),
    });
    // a set with a diagnostic from the cache is loaded again from the files, so it still loads
    const warm = loadPolicyInputs([root], [], { forEvaluation: true });
    expect(warm.set.digest).toBe(cold.set.digest);
    expect(warm.set.policies[0]!.validations[0]!.expression.cost).toBe(facts.cost);
    // and a replayed cost is the one the expression carries
    writeCache(key, {
      ...entry!,
      typedFacts: new Map([[[...entry!.typedFacts.keys()][0]!, { types: ["bool"], cost: 7 }]]),
    });
    expect(
      loadPolicyInputs([root], [], { forEvaluation: true }).set.policies[0]!.validations[0]!.expression.cost,
    ).toBe(7);
  });

  it("rebuilds from a corrupt entry", () => {
    const root = library();
    const cold = loadPolicyInputs([root], [], { forEvaluation: true });
    const [entry] = entries();
    writeFileSync(join(dir, "cache", entry!), "not a cache entry");
    expect(loadPolicyInputs([root], [], { forEvaluation: true }).set.digest).toBe(cold.set.digest);
    expect(readFileSync(join(dir, "cache", entry!), "utf8")).not.toBe("not a cache entry");
  });

  it("never takes a policy from a *.test.* file; validating names it as misplaced", () => {
    const root = join(dir, "odd");
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, "odd.test.yaml"), `${POLICY}---\n${TEST}`);
    expect(() => loadPolicyInputs([root], [], { forEvaluation: true })).toThrow(/no policies found/);
    expect(() => loadPolicyInputs([root], [], { tests: true })).toThrow(/is in a test file/);
  });

  it("reports problems with line and column, cold or warm; never caches documents with problems", () => {
    const root = join(dir, "broken");
    mkdirSync(root, { recursive: true });
    // a compile error: rendered with positions on every run, and nothing is cached (an entry
    // vouches for a set that compiles without a word)
    writeFileSync(join(root, "broken.yaml"), POLICY.replace("orValue(false))", "orValue(false)) +"));
    for (let i = 0; i < 2; i++) {
      let error: unknown;
      try {
        loadPolicyInputs([root], [], { forEvaluation: true });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InputError);
      expect((error as Error).message).toMatch(/broken\.yaml:7:\d+/);
    }
    expect(entries()).toHaveLength(0);
    // a document error: nothing is cached either
    writeFileSync(join(root, "broken.yaml"), POLICY.replace("match:", "unknownField: 1\n  match:"));
    expect(() => loadPolicyInputs([root], [], { forEvaluation: true })).toThrow(/broken\.yaml:5:\d+/);
    expect(entries()).toHaveLength(0);
  });

  it("writes nothing with CELGATE_CACHE=off", () => {
    const root = library();
    process.env.CELGATE_CACHE = "off";
    try {
      loadPolicyInputs([root], [], { forEvaluation: true });
    } finally {
      delete process.env.CELGATE_CACHE;
    }
    expect(entries()).toEqual([]);
  });
});
