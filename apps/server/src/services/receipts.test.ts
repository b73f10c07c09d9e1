import { randomBytes } from "node:crypto";
import { IN_TOTO_PAYLOAD_TYPE } from "@celgate/contracts";
import { describe, expect, it } from "vitest";
import { envelopeJson } from "./receipts.js";

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
