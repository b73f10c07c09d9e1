import { describe, expect, it } from "vitest";
import { globMatch } from "./glob.js";
import { parseLabelSelector, selectorFromSpec, selectorMatches } from "./selector.js";

const sel = (text: string) => {
  const parsed = parseLabelSelector(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.matches;
};

describe("parseLabelSelector (Kubernetes string syntax)", () => {
  it.each([
    ["pss=baseline", { pss: "baseline" }, true],
    ["pss==baseline", { pss: "restricted" }, false],
    ["pss in (baseline,restricted)", { pss: "restricted" }, true],
    ["pss in (baseline, restricted)", {}, false],
    ["pss notin (baseline)", {}, true], // notin matches objects without the key, as in Kubernetes
    ["practice!=logging", {}, true],
    ["practice!=logging", { practice: "logging" }, false],
    ["experimental", { experimental: "" }, true],
    ["!experimental", { experimental: "yes" }, false],
    ["pss=baseline,practice=node-access", { pss: "baseline", practice: "node-access" }, true],
    ["pss=baseline,practice=node-access", { pss: "baseline" }, false],
    ["app.kubernetes.io/name=web", { "app.kubernetes.io/name": "web" }, true],
    ["", { any: "thing" }, true],
    ["pss=", { pss: "" }, true], // an empty value is a value, as in Kubernetes
  ])("%s on %j -> %s", (text, labels, expected) => {
    expect(sel(text)(labels as Record<string, string>)).toBe(expected);
  });

  it.each(["pss in (", "pss in ()", "=x", "a b", "pss in (a b)", "bad key!=x"])(
    "rejects %j with a position",
    (text) => {
      const parsed = parseLabelSelector(text);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.error).toMatch(/invalid selector .* at \d+: /);
    },
  );
});

describe("selectorFromSpec (matchLabels and matchExpressions)", () => {
  it("ANDs every requirement; empty matches everything", () => {
    expect(selectorMatches(selectorFromSpec(undefined), {})).toBe(true);
    const s = selectorFromSpec({
      matchLabels: { app: "web" },
      matchExpressions: [
        { key: "tier", operator: "In", values: ["front", "edge"] },
        { key: "legacy", operator: "DoesNotExist" },
      ],
    });
    expect(selectorMatches(s, { app: "web", tier: "edge" })).toBe(true);
    expect(selectorMatches(s, { app: "web", tier: "back" })).toBe(false);
    expect(selectorMatches(s, { app: "web", tier: "edge", legacy: "1" })).toBe(false);
    expect(selectorMatches(s, { tier: "edge" })).toBe(false);
  });

  it("does not treat inherited object properties as labels", () => {
    expect(
      selectorMatches(
        selectorFromSpec({ matchExpressions: [{ key: "constructor", operator: "Exists" }] }),
        {},
      ),
    ).toBe(false);
  });
});

describe("globMatch", () => {
  it.each([
    ["shop-*", "shop-eu", true],
    ["shop-*", "shop", false],
    ["shop-?", "shop-1", true],
    ["a.b", "axb", false],
    ["registry.example/*", "registry.example/team/app:1", true],
    ["exact", "exact", true],
    ["(x)+", "(x)+", true],
  ])("%s ~ %s -> %s", (pattern, text, expected) => {
    expect(globMatch(pattern, text)).toBe(expected);
  });
});
