import { describe, expect, it } from "vitest";
import { evalCel, evalError } from "../test-env.js";

// cel-go's Bytes.ConvertToType(StringType) checks utf8.Valid (cel-spec conversions/string bytes_invalid)
describe("string(bytes)", () => {
  it("decodes valid UTF-8, keeping a leading byte order mark", () => {
    expect(evalCel("string(b'h\\303\\251')")).toBe("hé");
    expect(evalCel("string(b'\\357\\273\\277a')")).toBe("\uFEFFa");
    expect(evalCel("string(b'')")).toBe("");
  });

  it("fails at run time on invalid UTF-8, as cel-go does", () => {
    expect(evalError("string(b'\\000\\xff')")).toMatch(/invalid UTF-8/);
    expect(evalError("string(b'\\303')")).toMatch(/invalid UTF-8/);
  });
});
