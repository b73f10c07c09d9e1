import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const tiering = fileURLToPath(new URL("./tiering.ts", import.meta.url));

describe("V8 tuning of the binary", () => {
  it("loads without a word on stderr (V8 knows the flag it sets on this Node)", () => {
    const r = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "--input-type=module",
        "-e",
        `await import(${JSON.stringify(tiering)}); console.log("ran");`,
      ],
      { encoding: "utf8", timeout: 60_000 },
    );
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("ran\n");
    expect(r.status).toBe(0);
  });
});
