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
