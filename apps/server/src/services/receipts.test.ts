import { randomBytes } from "node:crypto";
import { IN_TOTO_PAYLOAD_TYPE } from "@celgate/contracts";
import { describe, expect, it } from "vitest";
import { buildStatement, envelopeJson, type ReceiptInput } from "./receipts.js";

describe("envelopeJson", () => {
  it("is the text JSON.stringify gives of the envelope, for base64 of every length and any key id", () => {
    const keyids = [
      "qs8hOZpwT3AdAmbKrF-hVBlkRq7xOTOhSCzon08T5bY",
      'a"b\\c',
      "line\nbreak\u0001",
      "é\u2028😀",
      "",
    ];
    for (let n = 0; n < 300; n += 7) {
      const payload = randomBytes(n).toString("base64");
      const sig = randomBytes(64).toString("base64");
      for (const keyid of keyids) {
        const envelope = { payload, payloadType: IN_TOTO_PAYLOAD_TYPE, signatures: [{ keyid, sig }] };
        expect(envelopeJson(payload, keyid, sig)).toBe(JSON.stringify(envelope));
      }
    }
    // every base64 character, + / and = included
    const all = Buffer.from(Array.from({ length: 96 }, (_, i) => (i * 53 + 251) % 256)).toString("base64");
    expect(all).toMatch(/[+]/);
    expect(all).toMatch(/[/]/);
    const envelope = {
      payload: all,
      payloadType: IN_TOTO_PAYLOAD_TYPE,
      signatures: [{ keyid: "k", sig: `${all}=` }],
    };
    expect(JSON.parse(envelopeJson(all, "k", `${all}=`))).toEqual(envelope);
    expect(envelopeJson(all, "k", `${all}=`)).toBe(JSON.stringify(envelope));
  });
});

describe("buildStatement", () => {
  const set = {
    digest: "sha256:set",
    policies: [
      { name: "a", digest: "sha256:a" },
      { name: "b", digest: "sha256:b" },
    ],
  };
  const input = (versions: ReadonlyMap<string, number>): ReceiptInput =>
    ({
      report: {
        id: "ev_1",
        decision: "allow",
        evaluatedAt: "2026-01-01T00:00:00.000Z",
        policySet: { digest: "sha256:set", policies: 2 },
        summary: { resources: 0, pass: 0, fail: 0, error: 0, skip: 0, waived: 0 },
        results: [],
      },
      resources: [],
      set,
      versions,
      source: "api",
      context: {},
      images: [],
    }) as unknown as ReceiptInput;

  it("lists the set's policies with the versions given, whichever versions came before", () => {
    const v1 = new Map([["a", 1]]);
    const first = buildStatement(input(v1)).predicate.policySet.policies;
    expect(first).toEqual([
      { name: "a", version: 1, digest: "sha256:a" },
      { name: "b", digest: "sha256:b" },
    ]);
    expect(buildStatement(input(v1)).predicate.policySet.policies).toEqual(first);
    const v2 = new Map([
      ["a", 2],
      ["b", 7],
    ]);
    expect(buildStatement(input(v2)).predicate.policySet.policies).toEqual([
      { name: "a", version: 2, digest: "sha256:a" },
      { name: "b", version: 7, digest: "sha256:b" },
    ]);
    expect(JSON.stringify(buildStatement(input(v1)).predicate.policySet)).toBe(
      '{"digest":"sha256:set","policies":[{"name":"a","version":1,"digest":"sha256:a"},{"name":"b","digest":"sha256:b"}]}',
    );
  });
});
