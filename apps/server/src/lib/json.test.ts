import { canonicalJson as coreCanonicalJson } from "@celgate/core";
import { describe, expect, it } from "vitest";
import { canonicalJson, findDuplicateKey, findProtoKey, locateProtoKey, parseJson } from "./json.js";

describe("parseJson", () => {
  it("parses valid JSON", () => {
    expect(parseJson('{"a": [1, 2.5e3, "x\\u0041", true, null]}')).toEqual({
      ok: true,
      value: { a: [1, 2500, "xA", true, null] },
    });
  });

  it.each([
    ['{"a":}', 1, 6],
    ['{\n  "a": 1,\n}', 3, 1],
    ["[1,2,,]", 1, 6],
    ['{"a": 1', 1, 8],
    ['{"a" 1}', 1, 6],
    ['{"a":1}x', 1, 8],
    ["{'a': 1}", 1, 2],
    ['{"a": 01}', 1, 8],
    ["", 1, 1],
  ])("locates the error in %j at %i:%i", (text, line, column) => {
    const r = parseJson(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ line, column });
  });
});

describe("findDuplicateKey and locateProtoKey", () => {
  const repeated = (text: string) => findDuplicateKey(text, JSON.parse(text));

  it.each([
    '{"a": 1, "b": {"a": 2}, "c": [{"a": 1}, {"a": 2}]}',
    '{"s": "\\"x\\": 1", "t": "a\\\\", "u": {"v": ":"}}',
    '{"constructor": 1, "__proto__": {"prototype": 2}}',
    "[]",
    '"just a string"',
  ])("finds no repeated key in %s", (text) => {
    expect(repeated(text)).toBeUndefined();
  });

  it.each([
    ['{"a": 1, "a": 2}', ["a"], 1, 10],
    ['{"a": 1, "\\u0061": 2}', ["a"], 1, 10],
    ['{"x": [1, {"b": 1,\n "b": 1}]}', ["x", 1, "b"], 2, 2],
  ] as const)("finds the repeated key of %s", (text, path, line, column) => {
    expect(repeated(text)).toMatchObject({ path, reason: "duplicate", line, column });
  });

  it.each([
    ['{"x": {"__proto__": {"polluted": true}}}', ["x", "__proto__"], 1, 8],
    ['{"\\u005f_proto__": 1}', ["__proto__"], 1, 2],
  ] as const)("locates the __proto__ key of %s", (text, path, line, column) => {
    expect(findProtoKey(JSON.parse(text))).toEqual(path);
    expect(locateProtoKey(text)).toMatchObject({ path, reason: "proto", line, column });
  });
});

describe("canonicalJson", () => {
  it("is core's, the one canonical form, and keeps a __proto__ key sorted with the others", () => {
    expect(canonicalJson).toBe(coreCanonicalJson);
    const value = JSON.parse('{"b":1,"__proto__":{"z":{"__proto__":2},"a":1}}');
    expect(canonicalJson(value)).toBe('{"__proto__":{"a":1,"z":{"__proto__":2}},"b":1}');
  });
});
