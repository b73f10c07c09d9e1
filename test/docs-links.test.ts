// Links in the repository's Markdown stay inside the repository and point at files that exist,
// so that a clone alone (or a package's README on a registry page) has no dead or outside links.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { repositoryRoot } from "./support/corpora.js";

const markdown = execFileSync("git", ["ls-files", "*.md"], { cwd: repositoryRoot, encoding: "utf8" })
  .split("\n")
  .filter(Boolean);

describe("Markdown links", () => {
  it("finds the documents", () => {
    expect(markdown).toContain("README.md");
    expect(markdown).toContain("docs/api.md");
  });

  for (const file of markdown) {
    it(`${file}: relative links resolve inside the repository`, () => {
      const text = readFileSync(join(repositoryRoot, file), "utf8").replace(/```[\s\S]*?```/g, "");
      const problems: string[] = [];
      for (const match of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = match[1]!;
        if (/^(https?:|mailto:|#)/.test(target)) continue;
        const path = resolve(dirname(join(repositoryRoot, file)), target.split("#")[0]!);
        const inside = !relative(repositoryRoot, path).startsWith("..");
        if (!inside) problems.push(`${target}: outside the repository`);
        else if (!existsSync(path)) problems.push(`${target}: no such file`);
      }
      expect(problems).toEqual([]);
    });
  }
});
