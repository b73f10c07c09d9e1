import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./env.js";

const dir = mkdtempSync(join(tmpdir(), "celgate-signing-"));
const write = (name: string, text: string) => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};

describe("CELGATE_SIGNING_KEY", () => {
  it("reads an Ed25519 PKCS#8 PEM key", () => {
    const { privateKey } = generateKeyPairSync("ed25519");
    const file = write("ed25519.pem", privateKey.export({ format: "pem", type: "pkcs8" }).toString());
    const config = loadConfig({ CELGATE_SIGNING_KEY: file });
    expect(config.signingKey?.asymmetricKeyType).toBe("ed25519");
    expect(loadConfig({}).signingKey).toBeUndefined();
  });

  it.each([
    ["a missing file", () => join(dir, "absent.pem"), "cannot read"],
    ["a file that is not PEM", () => write("junk.pem", "not a key"), "is not a PEM private key"],
    [
      "a key of another algorithm",
      () =>
        write(
          "ec.pem",
          generateKeyPairSync("ec", { namedCurve: "P-256" })
            .privateKey.export({ format: "pem", type: "pkcs8" })
            .toString(),
        ),
      "holds an ec key",
    ],
  ])("refuses %s at start, naming the variable", (_what, file, message) => {
    const load = () => loadConfig({ CELGATE_SIGNING_KEY: file() });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/CELGATE_SIGNING_KEY: .*/);
    expect(load).toThrow(message);
  });

  it("reads CELGATE_KEY_HANDOVER_S in whole seconds (default 15 minutes) and refuses anything else", () => {
    expect(loadConfig({}).keyHandoverMs).toBe(900_000);
    expect(loadConfig({ CELGATE_KEY_HANDOVER_S: "3600" }).keyHandoverMs).toBe(3_600_000);
    for (const bad of ["15m", "0x10", "-1", "1.5", String(8 * 86_400)])
      expect(() => loadConfig({ CELGATE_KEY_HANDOVER_S: bad }), bad).toThrow(/CELGATE_KEY_HANDOVER_S/);
  });
});
