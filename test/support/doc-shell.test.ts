// The docs runner itself: what it extracts from Markdown, and how it runs blocks (in a real
// bash, without the service).
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { blockRunner, type ShellBlock, shellBlocks, transcript } from "./doc-shell.js";

const fence = "```";

describe("shellBlocks", () => {
  it("takes sh, bash, shell and console blocks, with their line and markers, and leaves the rest", () => {
    const md = [
      "# Title",
      `${fence}sh`,
      "echo one",
      fence,
      `${fence}yaml`,
      "a: 1",
      fence,
      "- a list item:",
      "",
      `  ${fence}bash`,
      "  # exit: 3",
      "  exit 3",
      `  ${fence}`,
      `${fence}console`,
      "# illustrative: needs a cluster",
      "$ kubectl get pods",
      fence,
      `${fence}sh`,
      "#!/bin/sh",
      "# illustrative: a hook",
      "true",
      fence,
      fence,
      "plain",
      fence,
    ].join("\n");
    const blocks = shellBlocks("x.md", md);
    expect(blocks.map((b) => [b.line, b.language, b.mode])).toEqual([
      [2, "sh", { run: true, exit: 0 }],
      [10, "bash", { run: true, exit: 3 }],
      [14, "console", { run: false, reason: "needs a cluster" }],
      [18, "sh", { run: false, reason: "a hook" }],
    ]);
    expect(blocks[1]!.text).toBe("# exit: 3\nexit 3\n");
  });

  it("reports an illustrative marker without a reason, and a malformed exit marker", () => {
    for (const first of [
      "# illustrative",
      "# illustrative:",
      "# illustrative:   ",
      "# Illustrative - no colon",
    ]) {
      const [block] = shellBlocks("x.md", `${fence}sh\n${first}\nkubectl apply\n${fence}\n`);
      expect(block!.mode, first).toMatchObject({ run: false, problem: expect.stringContaining("say why") });
    }
    const [bad] = shellBlocks("x.md", `${fence}sh\n# exit: one\nfalse\n${fence}\n`);
    expect(bad!.mode).toMatchObject({ run: false, problem: expect.stringContaining("# exit: N") });
  });
});

describe("transcript", () => {
  it("splits commands (with continuations) from their output", () => {
    expect(transcript("# exit: 1\n$ a \\\n  --b\nout 1\nout 2\n$ c\n\n")).toEqual([
      { command: "a \\\n  --b", output: "out 1\nout 2\n" },
      { command: "c", output: "\n\n" },
    ]);
  });
});

describe("blockRunner", () => {
  const dir = mkdtempSync(join(tmpdir(), "celgate-doc-shell-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const block = (text: string, language = "sh"): ShellBlock => {
    const [b] = shellBlocks("t.md", `${fence}${language}\n${text}${fence}\n`);
    return b!;
  };
  const runner = () => {
    const sub = join(dir, String(n++));
    rmSync(sub, { recursive: true, force: true });
    mkdirSync(sub);
    return blockRunner({ env: { PATH: process.env.PATH }, dir: sub });
  };

  it("carries the variables (and arrays) a block sets to the blocks after it", async () => {
    const run = runner();
    expect(
      (await run(block('ID=$(echo \'{"id": "ev_1"}\' | jq -r .id)\nauth=(-H "a b")\nexport E=x\n'))).code,
    ).toBe(0);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash's ${...}, not a template
    const r = await run(block('echo "$ID ${#auth[@]} ${auth[1]} $E"\n'));
    expect(r).toMatchObject({ code: 0, stdout: "ev_1 2 a b x\n" });
  });

  it("stops at the first failing command, with its status, also inside a pipeline", async () => {
    const run = runner();
    expect(await run(block("false\necho not reached\n"))).toMatchObject({ code: 1, stdout: "" });
    expect((await run(block("exit 7 | cat\necho not reached\n"))).code).toBe(7);
    expect((await run(block("( exit 3 ) | cat\n"))).code).toBe(3);
  });

  it("compares a console block's output, and lets only the last command fail", async () => {
    const run = runner();
    expect((await run(block("$ echo hi\nhi\n$ printf 'a  \\n\\n'\na\n", "console"))).mismatches).toEqual([]);
    expect((await run(block("$ echo hi\nho\n", "console"))).mismatches).toEqual([
      { command: "echo hi", expected: "ho", actual: "hi" },
    ]);
    const failing = await run(block("$ false\n$ echo later\nlater\n", "console"));
    expect(failing.mismatches).toContainEqual({ command: "false", expected: "status 0", actual: "status 1" });
    expect((await run(block("# exit: 4\n$ echo x; exit 4\nx\n", "console"))).code).toBe(4);
    expect((await run(block("no command here\n", "console"))).mismatches).not.toEqual([]);
  });

  it("kills a block past its time", async () => {
    const sub = join(dir, "slow");
    mkdirSync(sub);
    const run = blockRunner({ env: { PATH: process.env.PATH }, dir: sub, timeoutMs: 300 });
    const r = await run(block("sleep 20\n"));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("killed after 300 ms");
  });
});
