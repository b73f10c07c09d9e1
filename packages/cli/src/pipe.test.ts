// Output into a pipe whose reader stops early (`celgate check -o json | head`): the rest is
// dropped without a crash or a stack trace, and the exit code is still the decision's.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { exitCodeOf } from "./test/child.js";

const main = fileURLToPath(new URL("./main.ts", import.meta.url));

/** Runs the CLI, reads stdout until `bytes` have come, then closes the pipe; the exit code and stderr. */
async function celgateReadingOnly(
  args: string[],
  bytes: number,
): Promise<{ code: number | null; stderr: string; read: number }> {
  const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", main, ...args], {
    env: { ...process.env, NO_COLOR: "1", CELGATE_SERVER: "", CELGATE_TOKEN: "", CELGATE_CACHE: "off" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let read = 0;
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (d: string) => {
    stderr += d;
  });
  child.stdout.on("data", (chunk: Buffer) => {
    read += chunk.length;
    if (read >= bytes) child.stdout.destroy();
  });
  const code = await exitCodeOf(child);
  return { code, stderr, read };
}

/** A bundle whose report is far larger than a pipe's buffer: privileged Deployments (deny). */
function bigBundle(): string {
  const dir = mkdtempSync(join(tmpdir(), "celgate-pipe-"));
  const file = join(dir, "bundle.yaml");
  const doc = (i: number) => `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web-${i}, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: registry.example/web:${i}
          securityContext: {privileged: true}
`;
  writeFileSync(file, Array.from({ length: 300 }, (_, i) => doc(i)).join(""));
  return file;
}

describe("output into a pipe closed early", () => {
  const file = bigBundle();

  it.each([
    ["json", ["-o", "json"], 1],
    ["text", [], 1],
    ["sarif, --fail-on never", ["-o", "sarif", "--fail-on", "never"], 0],
  ])(
    "%s: no crash, and the decision's exit code",
    async (_name, flags, code) => {
      const r = await celgateReadingOnly(["check", ...flags, file], 1024);
      expect(r.read).toBeGreaterThanOrEqual(1024);
      expect(r.stderr).not.toMatch(/EPIPE|Error|at /);
      expect(r.code).toBe(code);
    },
    90_000,
  );
});
