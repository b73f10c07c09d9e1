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
/** A signature as normalised facts hold it: every field present. */
const complete = (s: {
  verified: boolean;
  identity: string;
  issuer: string;
  source?: string;
  verifiedAt?: string;
}) => ({
  source: null,
  verifiedAt: null,
  ...s,
});

describe("mergeImageFacts", () => {
  it("keeps the scan when signatures are pushed after it, and the signatures when a scan follows", () => {
    const scanned = facts({ scan: scan("2026-11-01T00:00:00Z"), user: "1000" });
    const signed = facts({ signatures: [signature("ci")] });
    const both = mergeImageFacts(scanned, signed);
    expect(both.scan).toEqual(scanned.scan);
    expect(both.signatures).toEqual([complete(signature("ci"))]);
    expect(both.user).toBe("1000");
    const rescanned = mergeImageFacts(both, facts({ scan: scan("2026-11-02T00:00:00Z", "grype") }));
    expect(rescanned.scan?.scanner).toBe("grype");
    expect(rescanned.signatures).toEqual([complete(signature("ci"))]);
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

  it("keeps signatures per signer and source, the update's first, without repeats", () => {
    const merged = mergeImageFacts(
      facts({ signatures: [signature("a"), signature("b", false)] }),
      facts({ signatures: [signature("b"), signature("a")] }),
    );
    // undated checks of the same signer by the same (unnamed) source: the update's verdict wins
    expect(merged.signatures).toEqual([signature("b"), signature("a")].map(complete));
  });

  it("keeps two signatures of one signer from different verification sources", () => {
    const cosign = { ...signature("ci"), source: "cosign", verifiedAt: "2026-11-01T00:00:00Z" };
    const controller = {
      ...signature("ci"),
      source: "policy-controller",
      verifiedAt: "2026-10-01T00:00:00Z",
    };
    const merged = mergeImageFacts(facts({ signatures: [cosign] }), facts({ signatures: [controller] }));
    expect(merged.signatures).toEqual([complete(controller), complete(cosign)]);
    // the same identity from another issuer is another signer
    const other = { ...cosign, issuer: "https://other.idp" };
    expect(mergeImageFacts(merged, facts({ signatures: [other] })).signatures).toHaveLength(3);
  });

  it("replaces a signature with a newer one of the same signer and source, in either order", () => {
    const older = { ...signature("ci"), source: "cosign", verifiedAt: "2026-11-01T00:00:00Z" };
    const newer = { ...signature("ci", false), source: "cosign", verifiedAt: "2026-11-02T00:00:00Z" };
    expect(
      mergeImageFacts(facts({ signatures: [older] }), facts({ signatures: [newer] })).signatures,
    ).toEqual([complete(newer)]);
    expect(
      mergeImageFacts(facts({ signatures: [newer] }), facts({ signatures: [older] })).signatures,
    ).toEqual([complete(newer)]);
    // a dated check beats an undated one; two undated: the update's
    const undated = { ...signature("ci", false), source: "cosign" };
    expect(
      mergeImageFacts(facts({ signatures: [older] }), facts({ signatures: [undated] })).signatures,
    ).toEqual([complete(older)]);
    const reverified = { ...signature("ci"), source: "cosign" };
    expect(
      mergeImageFacts(facts({ signatures: [undated] }), facts({ signatures: [reverified] })).signatures,
    ).toEqual([complete(reverified)]);
  });

  it("reads stored signatures from before sources and times as checked by an unnamed source", () => {
    const stored = facts({ signatures: [signature("ci")] });
    // a row written before `source` and `verifiedAt` existed has neither field
    const legacy = {
      ...stored,
      signatures: [{ verified: true, identity: "ci", issuer: "https://token.actions" }],
    };
    const update = facts({ signatures: [{ ...signature("ci"), verifiedAt: "2026-11-01T00:00:00Z" }] });
    // @ts-expect-error the legacy row lacks fields the type requires
    const merged = mergeImageFacts(legacy, update);
    expect(merged.signatures).toEqual([complete({ ...signature("ci"), verifiedAt: "2026-11-01T00:00:00Z" })]);
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
