import { realpathSync, statSync } from "node:fs";
import { dirname, resolve, sep } from "node:path";
import { displayPath } from "@celgate/core";
import { InputError } from "../errors.js";
import { maxInputBytes, readText } from "./files.js";

/**
 * How `celgate test` reads the fixture a case names (`file: fixtures/pod.yaml`, relative to
 * the test file): only a regular file inside the working directory (the checked-out
 * repository, in CI) or inside one of `roots` (the folders given on the command line, or the
 * folder of a file given), as the service reads fixtures only inside its policy repository;
 * and with the limits of any input file (size, UTF-8 text). So a test from a pull request
 * cannot make the run read `/dev/zero` or a named pipe (which never end), a file of any size,
 * or a file elsewhere on the machine (a kubeconfig, whose values a failing case would print).
 * Returns the text, or why it cannot be read. Throws InputError for a root that does not exist.
 */
export function fixtureReader(
  roots: readonly string[],
): (testFile: string | undefined, path: string) => string | { error: string } {
  const realRoots = [...roots, process.cwd()].map((root) => {
    let real: string;
    try {
      real = realpathSync(root);
    } catch {
      throw new InputError(`${displayPath(root)}: no such file or directory`);
    }
    return statSync(real).isDirectory() ? real : dirname(real);
  });
  const maxBytes = maxInputBytes();
  const inside = (real: string) =>
    realRoots.some((root) => real === root || real.startsWith(root.endsWith(sep) ? root : `${root}${sep}`));
  return (testFile, path) => {
    const full = resolve(testFile === undefined ? "." : dirname(testFile), path);
    let real: string;
    try {
      real = realpathSync(full);
    } catch (error) {
      return { error: `no such file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})` };
    }
    if (!inside(real))
      return {
        error: `outside the working directory and the folders tested (${[...new Set(realRoots)].join(", ")}); run celgate in a folder that holds both the test and its fixture, or name one`,
      };
    if (!statSync(real).isFile()) return { error: "not a regular file" };
    try {
      return readText(real, maxBytes);
    } catch (error) {
      if (error instanceof InputError) return { error: error.message };
      throw error;
    }
  };
}
