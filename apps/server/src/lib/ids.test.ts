import { describe, expect, it } from "vitest";
import { newId } from "./ids.js";

describe("newId", () => {
  it("is the prefix, 10 characters of time and 16 of randomness in Crockford base32", () => {
    const id = newId("ev", 0);
    expect(id).toMatch(/^ev_0{10}[0-9A-HJKMNP-TV-Z]{16}$/);
    expect(newId("ev", 1_700_000_000_000).slice(3, 13)).toBe("01HF7YAT00");
  });

  it("never repeats, and its random part varies, across many refills of the random pool", () => {
    const ids = Array.from({ length: 5000 }, () => newId("ev", 1));
    expect(new Set(ids).size).toBe(ids.length);
    // every character of the random part takes many values (the pool is refilled, not reused)
    for (let i = 13; i < 29; i++) expect(new Set(ids.map((id) => id[i])).size).toBeGreaterThan(20);
    const suffixes = new Set(ids.map((id) => id.slice(13)));
    expect(suffixes.size).toBe(ids.length);
  });
});
