import { createHash, createPublicKey, generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { jwkThumbprint } from "./receipts.js";

describe("jwkThumbprint, the key id of an Ed25519 key", () => {
  it("is RFC 8037's example thumbprint (appendix A.3) for its example key", async () => {
    expect(await jwkThumbprint("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")).toBe(
      "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k",
    );
  });

  it("agrees with node:crypto over RFC 7638's canonical JSON for fresh keys", async () => {
    for (let i = 0; i < 20; i++) {
      const x = createPublicKey(generateKeyPairSync("ed25519").privateKey).export({ format: "jwk" })
        .x as string;
      const expected = createHash("sha256")
        .update(JSON.stringify({ crv: "Ed25519", kty: "OKP", x }))
        .digest("base64url");
      expect(await jwkThumbprint(x)).toBe(expected);
    }
  });
});
