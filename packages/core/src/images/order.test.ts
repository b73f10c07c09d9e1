import { describe, expect, it } from "vitest";
import type { ImageFactsInput } from "./facts.js";
import { normaliseFacts } from "./facts.js";
import { checkImageFactsOrder, MAX_FACTS_PER_IMAGE } from "./order.js";
import { parseImageReference } from "./reference.js";
import { ImageFactsIndex } from "./store.js";
import type { ImageFacts } from "./types.js";

const DIGEST = `sha256:${"d".repeat(64)}`;
const OTHER = `sha256:${"e".repeat(64)}`;
const BY_DIGEST = `registry.example/shop/web@${DIGEST}`;
const BY_TAG = "registry.example/shop/web:1.0";

function reference(text: string) {
  const ref = parseImageReference(text);
  if ("error" in ref) throw new Error(ref.error);
  return ref;
}

function facts(input: ImageFactsInput, text = BY_DIGEST): ImageFacts {
  return normaliseFacts(input, reference(text));
}

const scan = (critical: number, scannedAt: string | null) => ({
  scanner: "trivy",
  scannedAt,
  summary: { critical },
  vulnerabilities: [],
});
const signed = (identity: string, verified = true, verifiedAt: string | null = null) => ({
  signatures: [{ verified, identity, issuer: "https://issuer.example", verifiedAt }],
});

/** What a policy sees of `ref` when the facts are given in this order. */
const seen = (list: readonly ImageFacts[], ref: string) => {
  const { ref: _, ...rest } = new ImageFactsIndex(list).lookup(reference(ref));
  return { ...rest, signatures: [...rest.signatures].map((s) => JSON.stringify(s)).sort() };
};

describe("checkImageFactsOrder", () => {
  const conflicts: [string, ImageFacts, ImageFacts, string, string[]][] = [
    ["one digest, another user", facts({ user: "root" }), facts({ user: "1000" }), BY_DIGEST, ["user"]],
    [
      "one tag, scans of the same time",
      facts({ scan: scan(1, "2026-01-01T00:00:00Z") }, BY_TAG),
      facts({ scan: scan(0, "2026-01-01T00:00:00Z") }, BY_TAG),
      BY_TAG,
      ["scan"],
    ],
    [
      "a tag used by two digests, other labels",
      facts({ labels: { team: "a" } }, `${BY_TAG}@${DIGEST}`),
      facts({ labels: { team: "b" } }, `${BY_TAG}@${OTHER}`),
      BY_TAG,
      ["labels"],
    ],
    [
      "another createdAt",
      facts({ createdAt: "2026-01-01T00:00:00Z" }),
      facts({ createdAt: "2026-02-01T00:00:00Z" }),
      BY_DIGEST,
      ["createdAt"],
    ],
    [
      "one signer and source, verified and not, at the same time",
      facts(signed("ci", true)),
      facts(signed("ci", false)),
      BY_DIGEST,
      ["signatures"],
    ],
  ];

  it.each(conflicts)(
    "refuses two entries that disagree (%s) in either order, naming both and the fields",
    (_, a, b, ref, fields) => {
      for (const [list, first, second] of [
        [[a, b], a, b],
        [[b, a], b, a],
      ] as const) {
        const problem = checkImageFactsOrder(list);
        expect(problem).toMatchObject({ kind: "conflict", entries: [0, 1], fields, count: 2 });
        expect(problem?.message).toBe(
          `images[0] and images[1] both describe ${problem?.image} and disagree (${fields.join(", ")}): which one counts would depend on their order; send one entry for the image`,
        );
        expect(problem?.detail).toBe(
          `describes ${problem?.image} as images[0] does, disagreeing on ${fields.join(", ")}`,
        );
        // the refusal is right: a policy would see two things
        expect(seen([first, second], ref)).not.toEqual(seen([second, first], ref));
      }
    },
  );

  it("names the image by digest, or by normalised name and tag", () => {
    expect(checkImageFactsOrder([facts({ user: "root" }), facts({ user: "1000" })])?.image).toBe(DIGEST);
    const tagged = [facts({ user: "root" }, "web:1.0"), facts({ user: "1000" }, "docker.io/library/web:1.0")];
    expect(checkImageFactsOrder(tagged)?.image).toBe("docker.io/library/web:1.0");
  });

  it("lists only the fields whose value depends on the order (a newer scan is no conflict)", () => {
    const a = facts({ user: "root", scan: scan(0, "2026-01-01T00:00:00Z") });
    const b = facts({ user: "1000", scan: scan(3, "2026-02-01T00:00:00Z") });
    expect(checkImageFactsOrder([a, b])?.fields).toEqual(["user"]);
  });

  const combining: [string, ImageFacts[], string][] = [
    [
      "a newer scan and a user given once",
      [
        facts({ user: "root", scan: scan(0, "2026-01-01T00:00:00Z") }),
        facts({ scan: scan(1, "2026-02-01T00:00:00Z") }),
      ],
      BY_DIGEST,
    ],
    ["other signers", [facts(signed("ci")), facts(signed("release"))], BY_DIGEST],
    [
      "a newer check by the same signer",
      [facts(signed("ci", false, "2026-01-01T00:00:00Z")), facts(signed("ci", true, "2026-02-01T00:00:00Z"))],
      BY_DIGEST,
    ],
    ["the same facts twice", [facts({ user: "root" }), facts({ user: "root" })], BY_DIGEST],
    [
      "other images",
      [facts({ user: "root" }, "registry.example/a:1"), facts({ user: "1000" }, "registry.example/b:1")],
      "registry.example/a:1",
    ],
    [
      "two digests of one tag, one pinned",
      [
        facts({ user: "root" }, `${BY_TAG}@${DIGEST}`),
        facts({ createdAt: "2026-01-01T00:00:00Z" }, `${BY_TAG}@${OTHER}`),
      ],
      BY_TAG,
    ],
  ];

  it.each(combining)("takes entries that combine the same either way (%s)", (_, list, ref) => {
    expect(checkImageFactsOrder(list)).toBeNull();
    expect(checkImageFactsOrder([...list].reverse())).toBeNull();
    expect(seen(list, ref)).toEqual(seen([...list].reverse(), ref));
  });

  it(`refuses more than ${MAX_FACTS_PER_IMAGE} different entries for one image, whatever they say`, () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => facts(signed(`signer-${i}`)));
    expect(checkImageFactsOrder(many(MAX_FACTS_PER_IMAGE))).toBeNull();
    const problem = checkImageFactsOrder(many(3_000));
    expect(problem).toMatchObject({
      kind: "too-many",
      image: DIGEST,
      entries: [0, 8],
      count: 3_000,
      fields: [],
    });
    expect(problem?.message).toBe(
      `3000 different entries of images describe ${DIGEST} (at most 8; images[8] is one too many): send one entry for the image`,
    );
    // equal entries count once
    expect(checkImageFactsOrder(Array.from({ length: 3_000 }, () => facts(signed("ci"))))).toBeNull();
  });

  it("names entries and the whole as the caller says, and one name given twice as two entries of it", () => {
    const list = [facts({ user: "root" }), facts({ user: "1000" }), facts({ user: "root" })];
    const files = ["a.json", "b.json", "b.json"];
    const named = checkImageFactsOrder(list, { what: "--images", name: (i) => files[i]! });
    expect(named?.message).toMatch(/^a\.json and b\.json both describe sha256:d+ and disagree \(user\)/);
    const same = checkImageFactsOrder(list.slice(1), { name: () => "scan.json" });
    expect(same?.message).toMatch(/^two entries of scan\.json both describe sha256:d+ and disagree \(user\)/);
  });

  it("passes no facts and one entry", () => {
    expect(checkImageFactsOrder([])).toBeNull();
    expect(checkImageFactsOrder([facts({ user: "root" })])).toBeNull();
  });
});
