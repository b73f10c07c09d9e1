/**
 * The CLI's main() run in this process, with what it writes to stdout and stderr captured: for
 * tests that talk to a service started in the same process (a child process could not reach it
 * as cheaply, and spawnSync would block its event loop).
 */
import { main } from "../cli.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `celgate ARGS...` in process; stdout and stderr are restored afterwards, whatever happens. */
export async function runInProcess(args: string[]): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}
