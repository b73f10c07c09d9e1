import { describe, expect, it } from "vitest";
import { parseJson } from "./json.js";

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
