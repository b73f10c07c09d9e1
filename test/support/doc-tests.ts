/**
 * The vitest side of executable documentation (test/support/doc-shell.ts): one test per shell
 * block of a Markdown file, run in order; illustrative blocks are listed as skipped with their
 * reason, and a marker without a reason fails.
 */
import { describe, expect, it } from "vitest";
import { type BlockRun, type DocShell, type ShellBlock, shellBlocksOf } from "./doc-shell.js";

/** What a document says about a block's output, beyond its status: by the block's first command line. */
export type OutputChecks = Record<string, (run: BlockRun) => void>;

/** The first command line of a block (without a trailing comment), for test names and checks. */
const firstCommand = (block: ShellBlock) =>
  block.text
    .split("\n")
    .map((l) =>
      l
        .replace(/^\$ /, "")
        .replace(/\s+#\s.*$/, "")
        .trim(),
    )
    .find((l) => l && !l.startsWith("#")) ?? "(empty)";

/**
 * Declares the tests of one Markdown file: its blocks run in order with `shell()` (started by
 * the caller's beforeAll); `checks` add assertions on the output of the block whose first
 * command line is the key (and fail if no runnable block has it).
 */
export function describeDocument(file: string, shell: () => DocShell, checks: OutputChecks = {}): void {
  const blocks = shellBlocksOf(file);
  describe(file, () => {
    let runBlock: ((block: ShellBlock) => Promise<BlockRun>) | undefined;
    const next = () => {
      runBlock ??= shell().runner();
      return runBlock;
    };
    for (const block of blocks) {
      const name = `${file}:${block.line} ${firstCommand(block)}`;
      const mode = block.mode;
      if ("problem" in mode) {
        it(name, () => {
          expect.fail(`${file}:${block.line}: ${mode.problem}`);
        });
      } else if ("reason" in mode) {
        it.skip(`${name} (illustrative: ${mode.reason})`, () => {});
      } else {
        it(name, { timeout: 300_000 }, async () => {
          const result = await next()(block);
          const shown = `${file}:${block.line}\n${block.text}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
          expect(result.mismatches, shown).toEqual([]);
          expect(result.code, shown).toBe(mode.exit);
          checks[firstCommand(block)]?.(result);
        });
      }
    }
    for (const key of Object.keys(checks)) {
      it(`has a block with "${key}"`, () => {
        expect(blocks.filter((b) => b.mode.run).map(firstCommand)).toContain(key);
      });
    }
  });
}
