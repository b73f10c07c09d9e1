// docs/cli.md names every option that a command's --help lists: a flag added to a command and
// left out of the reference fails here.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runInProcess } from "./test/in-process.js";

const reference = readFileSync(fileURLToPath(new URL("../../../docs/cli.md", import.meta.url)), "utf8");

/** The text of the `## \`celgate COMMAND...\`` section of docs/cli.md. */
function section(command: string): string {
  const start = reference.indexOf(`## \`celgate ${command}`);
  expect(start, `docs/cli.md has a section for celgate ${command}`).toBeGreaterThanOrEqual(0);
  const end = reference.indexOf("\n## ", start + 1);
  return reference.slice(start, end < 0 ? undefined : end);
}

const COMMANDS = [
  "check",
  "test",
  "validate",
  "export vap",
  "images push",
  "findings",
  "policies",
  "explain",
  "eval",
  "verify",
  "completion",
];

describe("docs/cli.md", () => {
  it.each(COMMANDS)("names every option of celgate %s --help", async (command) => {
    const help = await runInProcess([...command.split(" "), "--help"]);
    expect(help.code).toBe(0);
    const text = section(command);
    const missing: string[] = [];
    // an option line of the help: "  -p, --policies PATH   ..." or "      --now TIMESTAMP ..."
    for (const [, short, long] of help.stdout.matchAll(/^\s+(?:(-[a-zA-Z]), )?(--[a-z][a-z-]*)/gm)) {
      if (long === "--help") continue;
      const named =
        text.includes(long!) ||
        (short !== undefined && new RegExp(`(^|[^\\w-])${short}([^\\w-]|$)`, "m").test(text));
      if (!named) missing.push(long!);
    }
    expect(missing, `options of celgate ${command} missing from docs/cli.md`).toEqual([]);
  });
});
