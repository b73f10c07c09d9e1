import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { canonicalJson, sha256Hex } from "./sha256.js";

describe("sha256Hex", () => {
  it.each(["", "abc", "a".repeat(55), "a".repeat(56), "a".repeat(64), "ünïcødé ✓", "x".repeat(10_000)])(
    "agrees with node:crypto on %#",
    (text) => {
      expect(sha256Hex(text)).toBe(createHash("sha256").update(text, "utf8").digest("hex"));
    },
  );
});

describe("canonicalJson", () => {
  it("sorts keys at every level", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: 2 } })).toBe(
      '{"a":{"c":2,"d":[1,{"y":2,"z":1}]},"b":1}',
    );
  });

  it("leaves out undefined keys, writes undefined items and undefined alone as null, bigints as numbers", () => {
    expect(canonicalJson({ b: undefined, a: [undefined, 1n] })).toBe('{"a":[null,1]}');
    expect(canonicalJson(undefined)).toBe("null");
  });
});

describe("canonicalJson and __proto__", () => {
  it("keeps a __proto__ key at every level as data", () => {
    const value = JSON.parse('{"b":1,"__proto__":{"z":{"__proto__":2},"a":1}}');
    expect(canonicalJson(value)).toBe('{"__proto__":{"a":1,"z":{"__proto__":2}},"b":1}');
    expect(canonicalJson(JSON.parse('{"__proto__":1}'))).not.toBe(canonicalJson({}));
  });

  it("gives the text and hash it gave before for values without __proto__ (stored hashes hold)", () => {
    const sample = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", labels: { "app.kubernetes.io/name": "web", z: "1" } },
      spec: {
        replicas: 2,
        template: {
          spec: {
            containers: [
              { name: "web", image: "nginx:1.27", env: [{ name: "A", value: "ü✓" }], u: undefined },
            ],
          },
        },
      },
      n: null,
      big: 12n,
      list: [undefined, 1.5, true],
    };
    // pinned from the implementation before __proto__ was kept
    expect(sha256Hex(canonicalJson(sample))).toBe(
      "a23bdd467a85e99215f6fb97116acfb27d0e1caad237562e2f2d4e002fcb12bc",
    );
  });
});
