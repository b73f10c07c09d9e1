import { DEFAULT_INPUT_LIMITS, INPUT_LIMITS } from "@celgate/core";
import { describe, expect, it } from "vitest";
import { loadConfig } from "./env.js";

describe("loadConfig: input limits", () => {
  it("defaults to the engine's limits", () => {
    expect(loadConfig({}).limits).toEqual(DEFAULT_INPUT_LIMITS);
  });

  it("reads every limit's variable", () => {
    const env = Object.fromEntries(Object.values(INPUT_LIMITS).map((l) => [l.variable, String(l.min)]));
    const limits = loadConfig(env).limits;
    for (const [key, l] of Object.entries(INPUT_LIMITS))
      expect(limits[key as keyof typeof limits]).toBe(l.min);
  });

  it("names every bad variable together with the others", () => {
    expect(() => loadConfig({ CELGATE_MAX_DEPTH: "1000", PORT: "x", CELGATE_MAX_DOCUMENTS: "many" })).toThrow(
      /PORT: [^\n]+\n {2}CELGATE_MAX_DEPTH: a whole number from 2 to 512, not "1000"\n {2}CELGATE_MAX_DOCUMENTS:/,
    );
  });
});
