import { describe, expect, it } from "vitest";
import type { ImageFactsInput } from "./facts.js";
import { normaliseFacts } from "./facts.js";
import { mergeImageFacts } from "./merge.js";
import { parseImageReference } from "./reference.js";
import type { ImageFacts } from "./types.js";

const DIGEST = `sha256:${"d".repeat(64)}`;

function facts(input: ImageFactsInput, text = `registry.example/shop/web:1.0@${DIGEST}`): ImageFacts {
  const ref = parseImageReference(text);
  if ("error" in ref) throw new Error(ref.error);
  return normaliseFacts(input, ref);
}

const scan = (scannedAt: string | null, scanner = "trivy") => ({ scanner, scannedAt, vulnerabilities: [] });
const signature = (identity: string, verified = true) => ({
  verified,
  identity,
  issuer: "https://token.actions",
});

describe("mergeImageFacts", () => {
  it("keeps the scan when signatures are pushed after it, and the signatures when a scan follows", () => {
    const scanned = facts({ scan: scan("2026-11-01T00:00:00Z"), user: "1000" });
    const signed = facts({ signatures: [signature("ci")] });
    const both = mergeImageFacts(scanned, signed);
    expect(both.scan).toEqual(scanned.scan);
    expect(both.signatures).toEqual([signature("ci")]);
    expect(both.user).toBe("1000");
    const rescanned = mergeImageFacts(both, facts({ scan: scan("2026-11-02T00:00:00Z", "grype") }));
    expect(rescanned.scan?.scanner).toBe("grype");
    expect(rescanned.signatures).toEqual([signature("ci")]);
    expect(rescanned.user).toBe("1000");
  });

  it("replaces a scan only with a newer one; a dated scan beats an undated one", () => {
    const newer = facts({ scan: scan("2026-11-02T00:00:00Z", "new") });
    const older = facts({ scan: scan("2026-11-01T00:00:00Z", "old") });
    expect(mergeImageFacts(newer, older).scan?.scanner).toBe("new");
    expect(mergeImageFacts(older, newer).scan?.scanner).toBe("new");
    expect(mergeImageFacts(older, facts({ scan: scan(null, "undated") })).scan?.scanner).toBe("old");
    expect(
      mergeImageFacts(facts({ scan: scan(null, "a") }), facts({ scan: scan(null, "b") })).scan?.scanner,
    ).toBe("b");
  });

  it("keeps signatures per signer and verdict, the update's first, without repeats", () => {
    const merged = mergeImageFacts(
      facts({ signatures: [signature("a"), signature("b", false)] }),
      facts({ signatures: [signature("b"), signature("a")] }),
    );
    expect(merged.signatures).toEqual([signature("b"), signature("a"), signature("b", false)]);
  });

  it("takes the update's reference, and the base's digest when the update has none", () => {
    const merged = mergeImageFacts(
      facts({ user: "1" }),
      facts({ user: "2" }, "registry.example/shop/web:1.0"),
    );
    expect(merged).toMatchObject({
      ref: "registry.example/shop/web:1.0",
      digest: DIGEST,
      user: "2",
      known: true,
    });
  });
});
