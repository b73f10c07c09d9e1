import { describe, expect, it } from "vitest";
import { emptyFacts, normaliseFacts } from "./facts.js";
import { parseImageReference } from "./reference.js";
import { ImageFactsIndex } from "./store.js";
import type { ImageFacts, ImageReference } from "./types.js";

const A = `sha256:${"a".repeat(64)}`;
const B = `sha256:${"b".repeat(64)}`;

function ref(text: string): ImageReference {
  const parsed = parseImageReference(text);
  if ("error" in parsed) throw new Error(parsed.error);
  return parsed;
}

function scanned(text: string, scannedAt: string | null, critical: number, extra = {}): ImageFacts {
  return normaliseFacts(
    { scan: { scanner: `s-${critical}`, scannedAt, summary: { critical } }, ...extra },
    ref(text),
  );
}

describe("ImageFactsIndex.lookup", () => {
  it("matches a bare name to the fully qualified one and keeps the manifest's reference", () => {
    const index = new ImageFactsIndex([scanned("docker.io/library/nginx:1.27", null, 1, { user: "101" })]);
    const found = index.lookup(ref("nginx:1.27"));
    expect(found.known).toBe(true);
    expect(found.user).toBe("101");
    expect(found.scan?.summary.critical).toBe(1);
    expect(found.ref).toBe("nginx:1.27");
    expect({ ...found, scan: null, user: null, known: false }).toEqual(emptyFacts(ref("nginx:1.27")));
  });

  it("matches index.docker.io and a missing tag as latest", () => {
    const index = new ImageFactsIndex([scanned("index.docker.io/library/redis:latest", null, 2)]);
    expect(index.lookup(ref("redis")).known).toBe(true);
    expect(index.lookup(ref("redis:7")).known).toBe(false);
  });

  it("gives emptyFacts with known false when nothing matches", () => {
    const index = new ImageFactsIndex([scanned("nginx:1.27", null, 1)]);
    expect(index.lookup(ref("nginx:1.26"))).toEqual(emptyFacts(ref("nginx:1.26")));
    expect(index.lookup(ref("ghcr.io/library/nginx:1.27")).known).toBe(false);
  });

  it("matches by digest when both sides have one, whatever the names", () => {
    const index = new ImageFactsIndex([scanned(`mirror.example/nginx@${A}`, null, 3)]);
    const found = index.lookup(ref(`nginx:1.27@${A}`));
    expect(found.scan?.summary.critical).toBe(3);
    expect(found.digest).toBe(A);
    expect(found.registry).toBe("docker.io");
  });

  it("does not match equal tags whose digests differ (the tag moved)", () => {
    const index = new ImageFactsIndex([scanned(`nginx:1.27@${A}`, null, 3)]);
    expect(index.lookup(ref(`nginx:1.27@${B}`)).known).toBe(false);
  });

  it("falls back to the tag when only one side has a digest", () => {
    const index = new ImageFactsIndex([scanned(`nginx:1.27@${A}`, null, 3), scanned("redis:7", null, 4)]);
    const byTag = index.lookup(ref("nginx:1.27"));
    expect(byTag.scan?.summary.critical).toBe(3);
    expect(byTag.digest).toBeNull();
    expect(index.lookup(ref(`redis:7@${B}`)).scan?.summary.critical).toBe(4);
  });

  it("keeps the pinned digest's scan over a newer scan of its tag (the tag moved since)", () => {
    const index = new ImageFactsIndex([
      scanned("ghcr.io/acme/web:1.4.2", "2026-11-22T00:00:00Z", 0),
      scanned(`ghcr.io/acme/web:1.4.2@${A}`, "2026-11-20T00:00:00Z", 3),
    ]);
    expect(index.lookup(ref(`ghcr.io/acme/web:1.4.2@${A}`)).scan?.summary.critical).toBe(3);
    // the tag alone still gets the newest scan, and a digest nobody scanned the tag's scan
    expect(index.lookup(ref("ghcr.io/acme/web:1.4.2")).scan?.summary.critical).toBe(0);
    expect(index.lookup(ref(`ghcr.io/acme/web:1.4.2@${B}`)).scan?.summary.critical).toBe(0);
  });

  it("does not match a digest-only reference by name", () => {
    const index = new ImageFactsIndex([scanned("nginx:latest", null, 1)]);
    expect(index.lookup(ref(`nginx@${A}`)).known).toBe(false);
  });

  it("merges several matches: newest scan, every signature, first other fields", () => {
    const signed = normaliseFacts(
      { signatures: [{ verified: true, identity: "ci", issuer: "gh" }], createdAt: "2026-01-01T00:00:00Z" },
      ref(`ghcr.io/acme/web@${A}`),
    );
    const index = new ImageFactsIndex([
      scanned("ghcr.io/acme/web:1.4.2", "2026-11-20T10:00:00Z", 1, { user: "1000" }),
      scanned("ghcr.io/acme/web:1.4.2", "2026-11-21T10:00:00+05:00", 2, { user: "0" }),
      scanned("ghcr.io/acme/web:1.4.2", "2026-11-21T05:00:00.5Z", 3),
      scanned("ghcr.io/acme/web:1.4.2", null, 4),
      signed,
      normaliseFacts(
        { signatures: [{ verified: true, identity: "ci", issuer: "gh" }] },
        ref(`ghcr.io/acme/web@${A}`),
      ),
    ]);
    const found = index.lookup(ref(`ghcr.io/acme/web:1.4.2@${A}`));
    expect(found.scan?.scanner).toBe("s-3");
    expect(found.signatures).toEqual([
      { verified: true, identity: "ci", issuer: "gh", source: null, verifiedAt: null },
    ]);
    expect(found.createdAt).toBe("2026-01-01T00:00:00Z");
    expect(found.user).toBe("1000");
    expect(found.ref).toBe(`ghcr.io/acme/web:1.4.2@${A}`);
  });

  it("concatenates distinct signatures from several suppliers", () => {
    const index = new ImageFactsIndex([
      normaliseFacts({ signatures: [{ verified: true, identity: "a" }] }, ref("app:1")),
      normaliseFacts({ signatures: [{ verified: false, identity: "b" }] }, ref("docker.io/library/app:1")),
    ]);
    expect(index.lookup(ref("app:1")).signatures.map((s) => s.identity)).toEqual(["a", "b"]);
  });

  it("prefers an undated scan only when no scan is dated", () => {
    const index = new ImageFactsIndex([scanned("app:1", null, 1), scanned("app:1", "garbage", 2)]);
    expect(index.lookup(ref("app:1")).scan?.scanner).toBe("s-1");
  });

  it("does not let one lookup change what another sees", () => {
    const index = new ImageFactsIndex([normaliseFacts({ signatures: [{ verified: true }] }, ref("app:1"))]);
    index
      .lookup(ref("app:1"))
      .signatures.push({ verified: false, identity: null, issuer: null, source: null, verifiedAt: null });
    expect(index.lookup(ref("app:1")).signatures).toHaveLength(1);
  });
});
