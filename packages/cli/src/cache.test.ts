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
    // a compile error: the documents are valid and cached; a warm run compiles them again,
    // finds the error, and renders it from a full load, with positions
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
    expect(entries()).toHaveLength(1);
    // a document error: nothing is cached
    writeFileSync(join(root, "broken.yaml"), POLICY.replace("match:", "unknownField: 1\n  match:"));
    expect(() => loadPolicyInputs([root], [], { forEvaluation: true })).toThrow(/broken\.yaml:5:\d+/);
    expect(entries()).toHaveLength(1);
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
