import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fixture } from "../../../../test/support/fixtures.js";
import { IMAGE_FACTS_LIMITS, parseImageFacts } from "./index.js";

describe("parseImageFacts: unrecognised input", () => {
  it.each([null, undefined, 42, "nginx", true, {}, { images: [] }])(
    "reports %j without throwing",
    (input) => {
      const { images, diagnostics, format } = parseImageFacts(input, "in.json");
      expect(format).toBeNull();
      expect(images).toEqual([]);
      expect(diagnostics).toHaveLength(1);
      expect(diagnostics[0]).toMatchObject({
        code: "image-facts-format",
        file: "in.json",
        severity: "error",
      });
      expect(diagnostics[0]?.message).toMatch(/Trivy or Grype/);
    },
  );

  it("reads an empty list as no images and no problems", () => {
    expect(parseImageFacts([])).toEqual({ images: [], diagnostics: [], format: "native" });
  });
});

describe("parseImageFacts: hostile input", () => {
  it("never throws, even when reading the input does", () => {
    const trap = {
      get ref(): string {
        throw new Error("boom");
      },
    };
    const { images, diagnostics } = parseImageFacts([trap], "trap.json");
    expect(images).toEqual([]);
    expect(diagnostics.length).toBeGreaterThan(0);
    expect(diagnostics[0]?.file).toBe("trap.json");
  });

  it("bounds huge lists without walking them", () => {
    const huge = new Array(50_000_000);
    const started = Date.now();
    const { images, diagnostics } = parseImageFacts({ ref: "nginx", scan: { vulnerabilities: huge } });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(images).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ code: "limit", path: "scan.vulnerabilities" });
  });

  it("reads many real findings quickly", () => {
    const vulnerabilities = Array.from({ length: 60_000 }, (_, i) => ({
      id: `CVE-2024-${i}`,
      severity: ["critical", "high", "medium", "low"][i % 4],
      package: `pkg-${i % 100}`,
      fixedVersion: i % 2 === 0 ? "1" : null,
      aliases: [],
    }));
    const started = Date.now();
    const { images, diagnostics } = parseImageFacts([{ ref: "nginx", scan: { vulnerabilities } }]);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(diagnostics).toEqual([]);
    expect(images[0]?.scan?.summary).toEqual({
      critical: 15_000,
      high: 15_000,
      medium: 15_000,
      low: 15_000,
      unknown: 0,
    });
    expect(images[0]?.scan?.fixable.critical).toBe(15_000);
  });

  it("caps the number of images", () => {
    const list = Array.from({ length: IMAGE_FACTS_LIMITS.images + 5 }, () => ({ ref: "nginx" }));
    const { images, diagnostics } = parseImageFacts(list);
    expect(images).toHaveLength(IMAGE_FACTS_LIMITS.images);
    expect(diagnostics).toEqual([expect.objectContaining({ code: "limit" })]);
  });

  it("caps the number of diagnostics and says how many were left out", () => {
    const list = Array.from({ length: 1_000 }, () => ({ ref: 1 }));
    const { diagnostics } = parseImageFacts(list, "many.json");
    expect(diagnostics).toHaveLength(IMAGE_FACTS_LIMITS.diagnostics + 1);
    expect(diagnostics.at(-1)).toMatchObject({
      code: "too-many-problems",
      message: "900 more problems not shown",
      file: "many.json",
    });
  });

  it("keeps __proto__ keys as data", () => {
    const input = JSON.parse(
      '[{"ref": "nginx", "labels": {"__proto__": {"polluted": "yes"}, "a": "b"}, "__proto__": {"known": true}}]',
    ) as unknown;
    const { images } = parseImageFacts(input);
    expect(images[0]?.known).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(images[0]?.labels).toEqual({ a: "b" });
  });

  it("rejects wrong types at every level with paths", () => {
    const { diagnostics } = parseImageFacts([
      { ref: "nginx", scan: "none" },
      { ref: "nginx", scan: { vulnerabilities: "lots" } },
      { ref: "nginx", signatures: {} },
      { ref: "nginx", createdAt: 5 },
    ]);
    expect(diagnostics.map((d) => d.path)).toEqual([
      "[0].scan",
      "[1].scan.vulnerabilities",
      "[2].signatures",
      "[3].createdAt",
    ]);
  });
});

describe("parseImageFacts: a list of scanner reports", () => {
  const read = (name: string) => JSON.parse(readFileSync(fixture("image-scans", name), "utf8"));

  it("reads every report of the list, one image each", () => {
    const parsed = parseImageFacts(
      [read("trivy-web.json"), read("grype-worker.json"), read("trivy-api.json")],
      "scans.json",
    );
    expect(parsed.diagnostics.filter((d) => d.severity !== "warning")).toEqual([]);
    expect(parsed.format).toBe("trivy");
    expect(parsed.images.map((i) => i.repository)).toEqual([
      "example/shop-web",
      "shop/worker",
      "example/shop-api",
    ]);
  });

  it("names the report a problem is in", () => {
    const broken = read("trivy-web.json");
    broken.Results = "not a list";
    const parsed = parseImageFacts([read("trivy-api.json"), broken], "scans.json");
    expect(parsed.diagnostics.some((d) => d.path?.startsWith("[1]"))).toBe(true);
  });
});
