import type { ChildProcess } from "node:child_process";

/**
 * The exit code of a CLI process the test started; rejects (and kills it) when it has not
 * exited within `ms`, so a CLI that hangs fails its test instead of holding the run.
 */
export function exitCodeOf(child: ChildProcess, ms = 60_000): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error("the CLI did not exit"));
    }, ms);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}
