import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadManifests } from "../commands/check.js";
import { InputError } from "../errors.js";
import { parseData } from "./data.js";
import { inputLimits } from "./files.js";

const fixtures = fileURLToPath(new URL("../../test/fixtures", import.meta.url));
const main = fileURLToPath(new URL("../main.ts", import.meta.url));

/** Runs the CLI from source as a process: exit codes and stderr as a user sees them. */
function celgate(args: string[], env: Record<string, string> = {}) {
  const started = Date.now();
  const result = spawnSync(process.execPath, ["--conditions=source", "--import", "tsx", main, ...args], {
    cwd: fixtures,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", ...env },
    timeout: 60_000,
  });
  return { code: result.status, stderr: result.stderr, ms: Date.now() - started };
}

/** The InputError a call throws (its one-line message), and how long it took. */
function refusal(run: () => unknown): { message: string; ms: number } {
  const started = performance.now();
  try {
    run();
  } catch (error) {
    if (error instanceof InputError) return { message: error.message, ms: performance.now() - started };
    throw error;
  }
  throw new Error("expected an InputError");
}

describe("input limits in the CLI", () => {
  it("an alias bomb in a manifest: exit 2 at once, naming file, line and limit", () => {
    const r = celgate(["check", "-p", "policies", "hostile/alias-bomb.yaml"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n").at(-1)).toMatch(
      /^celgate: hostile\/alias-bomb\.yaml:1: data\.\S+: too large once YAML aliases are expanded, over the expanded size limit of 33554432 \(CELGATE_MAX_EXPANDED_SIZE\)$/,
    );
    expect(r.ms).toBeLessThan(20_000);
    const inProcess = refusal(() => loadManifests([`${fixtures}/hostile/alias-bomb.yaml`]));
    expect(inProcess.ms).toBeLessThan(100);
  });

  it("a manifest nested 1,000 levels deep, and a NUL written as an escape: exit 2 naming the field", () => {
    const deep = celgate(["check", "-p", "policies", "hostile/deep.json"]);
    expect(deep.code).toBe(2);
    expect(deep.stderr).toMatch(
      /celgate: hostile\/deep\.json:1: data\.a\.a\.a[.a]*…[.a]*: nested too deeply, over the nesting depth limit of 128 \(CELGATE_MAX_DEPTH\)\n$/,
    );
    expect(refusal(() => loadManifests([`${fixtures}/hostile/nul.yaml`])).message).toMatch(
      /hostile\/nul\.yaml:1: metadata\.name: contains a NUL character \(U\+0000\), which cannot be stored; remove it$/,
    );
  });

  it("reads the service's variables, and names a bad one", () => {
    const strict = celgate(["check", "-p", "policies", "manifests/good.yaml"], { CELGATE_MAX_DEPTH: "3" });
    expect(strict.code).toBe(2);
    expect(strict.stderr).toContain("over the nesting depth limit of 3 (CELGATE_MAX_DEPTH)");
    const bad = celgate(["check", "-p", "policies", "manifests/good.yaml"], {
      CELGATE_MAX_YAML_ALIASES: "lots",
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      'celgate: CELGATE_MAX_YAML_ALIASES: a whole number from 0 to 100000, not "lots"',
    );
    expect(() => inputLimits({ CELGATE_MAX_DEPTH: "0" })).toThrow(InputError);
  });

  it("image facts and params files get the same limits", () => {
    const bomb = `ref: registry.example/x:1\nscan:\n  scanner: t\n  scannedAt: "2026-01-01T00:00:00Z"\n  vulnerabilities: []\nextra:\n${[
      '  a: &a ["x","x","x","x","x","x","x","x","x"]',
      ..."bcdefghi"
        .split("")
        .map((c, i) => `  ${c}: &${c} [${Array(9).fill(`*${"abcdefghi"[i]}`).join(",")}]`),
    ].join("\n")}\n`;
    const r = refusal(() => parseData(bomb, "images.yaml"));
    expect(r.message).toMatch(/^images\.yaml: extra\.\S+: too large once YAML aliases are expanded/);
    expect(r.ms).toBeLessThan(100);
    expect(refusal(() => parseData(`a: ${"[".repeat(300)}`, "params.yaml")).message).toBe(
      "params.yaml:1:133: nested too deeply, over the nesting depth limit of 128 (CELGATE_MAX_DEPTH)",
    );
  });
});
